package collectors

import "github.com/lannersec/lanner/event"

// CredArgs sets the arguments of a credential call of type t (see
// event.Type.IsCred) from its first three raw arguments, as every
// collector reports them: uid or gid for setuid, setgid, setfsuid and
// setfsgid, the ids for setresuid, setresgid, setreuid and setregid, and
// for capset the capability sets the thread has once it returned (c, when
// c.CapsKnown), as Falco reports capset.
func CredArgs(a *event.Args, t event.Type, arg [3]uint32, c *Cred) {
	switch t {
	case event.TypeSetuid, event.TypeSetfsuid:
		a.UID = arg[0]
		a.Set |= event.ArgUID
	case event.TypeSetgid, event.TypeSetfsgid:
		a.GID = arg[0]
		a.Set |= event.ArgGID
	case event.TypeSetresuid, event.TypeSetresgid:
		a.IDs = arg
		a.Set |= event.ArgRID | event.ArgEID | event.ArgSID
	case event.TypeSetreuid, event.TypeSetregid:
		a.IDs = [3]uint32{arg[0], arg[1], 0}
		a.Set |= event.ArgRID | event.ArgEID
	case event.TypeCapset:
		if c.CapsKnown {
			a.Caps = [3]uint64{c.CapInheritable, c.CapPermitted, c.CapEffective}
			a.Set |= event.ArgCaps
		}
	}
}
