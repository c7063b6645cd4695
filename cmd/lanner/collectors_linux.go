package main

import (
	"fmt"
	"os"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/collectors/audit"
	"github.com/lannersec/lanner/collectors/ebpf"
	"github.com/lannersec/lanner/collectors/fanotify"
	"github.com/lannersec/lanner/event"
)

// collectorNames are the collectors in the order auto tries them.
var collectorNames = []string{"ebpf", "audit", "fanotify"}

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
	case "audit":
		missing := map[string]string{
			"proc.env":                "audit does not log the environment",
			"proc.is_exe_writable":    "audit does not say",
			"proc.is_exe_upper_layer": "audit does not say",
			"proc.is_exe_from_memfd":  "audit does not say",
			"fd.lip":                  "audit logs only the peer of a socket",
			"fd.lport":                "audit logs only the peer of a socket",
			"fd.l4proto":              "audit does not log a connected socket's protocol",
		}
		for k, v := range notCollected {
			missing[k] = v
		}
		dupFD := map[string]string{"fd.*": "audit does not say what a duplicated descriptor refers to"}
		return collectors.Capabilities{Types: syscallTypes(), Missing: missing,
			MissingOn: map[event.Type]map[string]string{event.TypeDup: dupFD, event.TypeDup2: dupFD, event.TypeDup3: dupFD}}
	case "fanotify":
		missing := map[string]string{
			"fd.num":            "fanotify does not report fd numbers",
			"evt.rawres":        "fanotify does not report return values",
			"evt.arg.flags":     "fanotify reports open flags only for writes and creates",
			"evt.is_open_read":  "fanotify reports the access mode only for writes and creates",
			"evt.is_open_write": "fanotify reports the access mode only for writes and creates",
		}
		for k, v := range notCollected {
			missing[k] = v
		}
		// fanotify sees the effect, not the syscall: every open, exec,
		// mkdir, unlink and rename is reported under one type (openat,
		// execve, mkdirat, unlinkat, renameat2), so rules naming the
		// other variants are served by those events.
		types := fanotify.Types()
		for _, t := range []event.Type{event.TypeOpen, event.TypeOpenat2, event.TypeCreat, event.TypeExecveat,
			event.TypeMkdir, event.TypeUnlink, event.TypeRmdir, event.TypeRename, event.TypeRenameat} {
			types.Add(t)
		}
		return collectors.Capabilities{Types: types, Missing: missing}
	}
	return collectors.Capabilities{}
}

// runningCapabilities are what the started collector col can see: its
// capabilities less the event types of syscalls this kernel lacks.
func runningCapabilities(col collectors.Collector) collectors.Capabilities {
	caps := capabilities(col.Name())
	if a, ok := col.(interface{ Absent() []event.Type }); ok {
		for _, t := range a.Absent() {
			caps.Types.Remove(t)
		}
	}
	return caps
}

func newCollector(name string, types event.TypeSet, tee func([]byte)) (collectors.Collector, error) {
	switch name {
	case "ebpf":
		return ebpf.New(ebpf.Options{Types: types, ExcludePID: os.Getpid(), Tee: tee})
	case "audit":
		return audit.New(audit.Options{Types: types, ExcludePID: os.Getpid()})
	case "fanotify":
		return fanotify.New(fanotify.Options{Types: types, ExcludePID: os.Getpid()})
	}
	return nil, fmt.Errorf("unknown collector %q", name)
}
