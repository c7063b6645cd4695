package main

import (
	"fmt"
	"os"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/collectors/ebpf"
	"github.com/lannersec/lanner/event"
)

// collectorNames are the collectors in the order auto tries them.
var collectorNames = []string{"ebpf"}

// syscallTypes are the syscall event types (not Lanner's synthetic ones).
func syscallTypes() event.TypeSet {
	var ts event.TypeSet
	for t := event.TypeUnknown + 1; t < event.NumTypes; t++ {
		if t != event.TypeProcexit && t != event.TypeContainer {
			ts.Add(t)
		}
	}
	return ts
}

// notCollected are fields no collector fills yet.
var notCollected = map[string]string{
	"evt.buffer":  "I/O buffers are not captured",
	"fd.sip.name": "no DNS names are resolved",
	"fd.cip.name": "no DNS names are resolved",
	"fd.lip.name": "no DNS names are resolved",
	"fd.rip.name": "no DNS names are resolved",
}

// capabilities says what each collector can see.
func capabilities(name string) collectors.Capabilities {
	switch name {
	case "ebpf":
		return collectors.Capabilities{Types: syscallTypes(), Missing: notCollected}
	}
	return collectors.Capabilities{}
}

func newCollector(name string, types event.TypeSet, tee func([]byte)) (collectors.Collector, error) {
	switch name {
	case "ebpf":
		return ebpf.New(ebpf.Options{Types: types, ExcludePID: os.Getpid(), Tee: tee})
	}
	return nil, fmt.Errorf("unknown collector %q", name)
}
