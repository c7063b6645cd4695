module github.com/lannersec/lanner

go 1.26

require (
	github.com/alecthomas/kong v1.17.0
	github.com/cilium/ebpf v0.22.0
	github.com/dave/jennifer v1.7.1
	github.com/goccy/go-yaml v1.19.2
	github.com/hashicorp/golang-lru/v2 v2.0.7
)

require golang.org/x/sys v0.43.0

require (
	github.com/elastic/go-libaudit/v2 v2.6.2
	github.com/elastic/go-licenser v0.4.1 // indirect
)

tool github.com/cilium/ebpf/cmd/bpf2go
