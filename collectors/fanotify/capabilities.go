package fanotify

import (
	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// Capabilities are what the fanotify collector can see. It sees the
// effect, not the syscall: every open, exec, mkdir, unlink and rename is
// reported under one type (openat, execve, mkdirat, unlinkat, renameat2),
// so rules naming the other variants are served by those events.
func Capabilities() collectors.Capabilities {
	missing := collectors.NotCollected()
	for k, v := range map[string]string{
		"fd.num":                  "fanotify does not report fd numbers",
		"evt.rawres":              "fanotify does not report return values",
		"proc.is_exe_writable":    "fanotify does not say",
		"proc.is_exe_upper_layer": "fanotify does not say",
	} {
		missing[k] = v
	}
	limits := map[string]string{
		"evt.arg.flags": "fanotify reports no open flags but O_CREAT and the access mode, and the access mode only once " +
			"the file is read, written or closed (absent before)",
		"evt.is_open_read":  "fanotify reports the access mode only once the file is read, written or closed (a read through mmap: at the close)",
		"evt.is_open_write": "fanotify reports the access mode only once the file is written or closed",
	}
	types := Types()
	for _, t := range []event.Type{event.TypeOpen, event.TypeOpenat2, event.TypeCreat, event.TypeExecveat,
		event.TypeMkdir, event.TypeUnlink, event.TypeRmdir, event.TypeRename, event.TypeRenameat} {
		types.Add(t)
	}
	return collectors.Capabilities{Types: types, Missing: missing, Limits: limits}
}

// Capabilities are what the started collector sees: those of the
// collector whatever the kernel, and the types it was asked for (it cannot
// change what it watches).
func (c *Collector) Capabilities() collectors.Capabilities {
	caps := Capabilities()
	caps.Watched = c.watched()
	return caps
}
