package main

import (
	"fmt"
	"os"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/collectors/ebpf"
	"github.com/lannersec/lanner/event"
)

func newCollector(name string, types event.TypeSet) (collectors.Collector, error) {
	switch name {
	case "ebpf":
		return ebpf.New(ebpf.Options{Types: types, ExcludePID: os.Getpid()})
	}
	return nil, fmt.Errorf("unknown collector %q", name)
}
