// Package upstream is where tests and benchmarks compile the upstream Falco
// rules files (../shared/falco-rules) into Go. On disk it is empty: the
// generated rules_gen.go is supplied at build time through a go build
// overlay (see testutil.UpstreamOverlay and `make bench`), so no upstream
// rule text is kept in this repository. Code importing it builds only with
// the lanner_upstream tag.
package upstream
