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
		"evt.type": "fanotify reports every open as openat, exec as execve, mkdir as mkdirat, unlink and rmdir as " +
			"unlinkat, rename as renameat2",
		// The process is read from /proc when the event is read.
		"proc.cwd":                               "read from /proc when the event is read: the process may have moved on",
		"proc.exe":                               "read from /proc when the event is read: argv[0] is not known, the executable's path stands for it",
		"proc.exepath":                           "read from /proc when the event is read: the process may have executed another program since",
		"proc.pname,proc.pcmdline,proc.pexepath": "read from /proc when the event is read: the parent may have executed another program or exited (the process reparented)",
		"proc.aname":                             "read from /proc when the event is read: the ancestors may have executed other programs or exited",
		"proc.sname":                             "read from /proc when the event is read: the session leader may be gone",
		"proc.tty,user.loginuid,user.loginname":  "read from /proc when the event is read: a process gone by then is given its parent's",
		"user.uid,user.name,group.gid,group.name": "read from /proc when the event is read: fanotify sees no setuid or setgid, " +
			"and the identity may predate or follow one",
	}
	openLimits := map[string]string{
		"fd.name": "fanotify knows a file's real path only, not the path as given",
		"evt.args": "fanotify reports no descriptor number, directory descriptor, open flags but O_CREAT and the " +
			"access mode, mode or inode",
		"fd.type,fd.typechar,fd.directory,fd.filename": "fanotify reports no open flags: a directory opened " +
			"without O_DIRECTORY is typed as a directory (Falco: file)",
	}
	mkdirLimits := map[string]string{
		"evt.args,evt.arg.mode": "fanotify reports no directory descriptor or mode of mkdir",
		"evt.arg.path,evt.arg.name,fd.name": "fanotify reports mkdir as mkdirat, whose parameters are named " +
			"otherwise and which has no descriptor",
	}
	fileOps := map[string]string{"evt.args": "fanotify reports no directory descriptors or flags of file operations"}
	limitsOn := map[event.Type]map[string]string{event.TypeOpenat: openLimits, event.TypeMkdirat: mkdirLimits,
		event.TypeUnlinkat: fileOps, event.TypeRenameat2: fileOps}
	types := Types()
	for _, t := range []event.Type{event.TypeOpen, event.TypeOpenat2, event.TypeCreat, event.TypeExecveat,
		event.TypeMkdir, event.TypeUnlink, event.TypeRmdir, event.TypeRename, event.TypeRenameat} {
		types.Add(t)
	}
	return collectors.Capabilities{Types: types, Missing: missing, Limits: limits, LimitsOn: limitsOn}
}

// Capabilities are what the started collector sees: those of the
// collector whatever the kernel, and the types it was asked for (it cannot
// change what it watches).
func (c *Collector) Capabilities() collectors.Capabilities {
	caps := Capabilities()
	caps.Watched = c.watched()
	return caps
}
