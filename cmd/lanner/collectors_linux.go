package main

import (
	"fmt"
	"os"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/collectors/ebpf"
	"github.com/lannersec/lanner/event"
)

func newCollector(name string, types event.TypeSet, tee func([]byte)) (collectors.Collector, error) {
	switch name {
	case "ebpf":
		return ebpf.New(ebpf.Options{Types: types, ExcludePID: os.Getpid(), Tee: tee})
	}
	return nil, fmt.Errorf("unknown collector %q", name)
}
