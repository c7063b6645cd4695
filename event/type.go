package event

import "strings"

// Type is the kind of an event: a syscall (always its exit), or one of the
// few synthetic events Lanner produces itself (container start, process
// exit).
type Type uint8

// The event types. The syscall types are the ones rules can name in
// evt.type; their order is part of no external format.
const (
	TypeUnknown Type = iota
	TypeOpen
	TypeOpenat
	TypeOpenat2
	TypeCreat
	TypeExecve
	TypeExecveat
	TypeConnect
	TypeAccept
	TypeAccept4
	TypeListen
	TypeSocket
	TypeBind
	TypeSendto
	TypeSendmsg
	TypeRecvfrom
	TypeRecvmsg
	TypeRename
	TypeRenameat
	TypeRenameat2
	TypeUnlink
	TypeUnlinkat
	TypeRmdir
	TypeMkdir
	TypeMkdirat
	TypeChmod
	TypeFchmod
	TypeFchmodat
	TypeLink
	TypeLinkat
	TypeSymlink
	TypeSymlinkat
	TypeDup
	TypeDup2
	TypeDup3
	TypePtrace
	TypeSetuid
	TypeSetgid
	TypeSetns
	TypeUnshare
	TypeBpf
	TypeInitModule
	TypeFinitModule
	TypeUserfaultfd
	TypeMount
	TypeSetresuid
	TypeSetresgid
	TypeSetreuid
	TypeSetregid
	TypeSetfsuid
	TypeSetfsgid
	TypeCapset
	TypeClone
	TypeClone3
	TypeFork
	TypeVfork
	TypeProcexit
	TypeContainer

	// NumTypes is one more than the largest Type.
	NumTypes
)

var typeNames = [NumTypes]string{
	TypeUnknown:     "unknown",
	TypeOpen:        "open",
	TypeOpenat:      "openat",
	TypeOpenat2:     "openat2",
	TypeCreat:       "creat",
	TypeExecve:      "execve",
	TypeExecveat:    "execveat",
	TypeConnect:     "connect",
	TypeAccept:      "accept",
	TypeAccept4:     "accept4",
	TypeListen:      "listen",
	TypeSocket:      "socket",
	TypeBind:        "bind",
	TypeSendto:      "sendto",
	TypeSendmsg:     "sendmsg",
	TypeRecvfrom:    "recvfrom",
	TypeRecvmsg:     "recvmsg",
	TypeRename:      "rename",
	TypeRenameat:    "renameat",
	TypeRenameat2:   "renameat2",
	TypeUnlink:      "unlink",
	TypeUnlinkat:    "unlinkat",
	TypeRmdir:       "rmdir",
	TypeMkdir:       "mkdir",
	TypeMkdirat:     "mkdirat",
	TypeChmod:       "chmod",
	TypeFchmod:      "fchmod",
	TypeFchmodat:    "fchmodat",
	TypeLink:        "link",
	TypeLinkat:      "linkat",
	TypeSymlink:     "symlink",
	TypeSymlinkat:   "symlinkat",
	TypeDup:         "dup",
	TypeDup2:        "dup2",
	TypeDup3:        "dup3",
	TypePtrace:      "ptrace",
	TypeSetuid:      "setuid",
	TypeSetgid:      "setgid",
	TypeSetns:       "setns",
	TypeUnshare:     "unshare",
	TypeBpf:         "bpf",
	TypeInitModule:  "init_module",
	TypeFinitModule: "finit_module",
	TypeUserfaultfd: "userfaultfd",
	TypeMount:       "mount",
	TypeSetresuid:   "setresuid",
	TypeSetresgid:   "setresgid",
	TypeSetreuid:    "setreuid",
	TypeSetregid:    "setregid",
	TypeSetfsuid:    "setfsuid",
	TypeSetfsgid:    "setfsgid",
	TypeCapset:      "capset",
	TypeClone:       "clone",
	TypeClone3:      "clone3",
	TypeFork:        "fork",
	TypeVfork:       "vfork",
	TypeProcexit:    "procexit",
	TypeContainer:   "container",
}

var typeByName = func() map[string]Type {
	m := make(map[string]Type, NumTypes)
	for t := TypeUnknown + 1; t < NumTypes; t++ {
		m[typeNames[t]] = t
	}
	return m
}()

// String returns the name rules use for t in evt.type.
func (t Type) String() string {
	if t < NumTypes {
		return typeNames[t]
	}
	return "unknown"
}

// ParseType returns the type named name, as written in evt.type.
func ParseType(name string) (Type, bool) {
	t, ok := typeByName[name]
	return t, ok
}

// IsOpen reports whether t opens a file (open, openat, openat2, creat).
func (t Type) IsOpen() bool {
	return t == TypeOpen || t == TypeOpenat || t == TypeOpenat2 || t == TypeCreat
}

// IsCred reports whether t changes the credentials of the calling thread
// (setuid, setgid and the other set*id calls, capset).
func (t Type) IsCred() bool {
	return t == TypeSetuid || t == TypeSetgid || t >= TypeSetresuid && t <= TypeCapset
}

// IsExec reports whether t is a successful program execution (execve, execveat).
func (t Type) IsExec() bool { return t == TypeExecve || t == TypeExecveat }

// TypeSet is a set of event types, as used by the per-type rule index.
type TypeSet [(NumTypes + 63) / 64]uint64

// TypeSetOf returns the set of ts.
func TypeSetOf(ts ...Type) TypeSet {
	var s TypeSet
	for _, t := range ts {
		s.Add(t)
	}
	return s
}

// Add adds t to s.
func (s *TypeSet) Add(t Type) { s[t/64] |= 1 << (t % 64) }

// Remove removes t from s.
func (s *TypeSet) Remove(t Type) { s[t/64] &^= 1 << (t % 64) }

// Has reports whether t is in s.
func (s *TypeSet) Has(t Type) bool { return s[t/64]&(1<<(t%64)) != 0 }

// Types returns the members of s in order.
func (s *TypeSet) Types() []Type {
	var out []Type
	for t := Type(0); t < NumTypes; t++ {
		if s.Has(t) {
			out = append(out, t)
		}
	}
	return out
}

// GoName returns the name of t's constant in this package (TypeOpenat),
// for generated code.
func (t Type) GoName() string {
	var b strings.Builder
	b.WriteString("Type")
	up := true
	for _, c := range t.String() {
		if c == '_' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		b.WriteRune(c)
	}
	return b.String()
}
