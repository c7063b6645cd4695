package state

import (
	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// SetCred gives process pid the identity a credential call (setuid,
// setresuid, capset, ...) left one of its threads with: the effective user
// and group ids (and their names) and, when c.CapsKnown, the capability
// sets. Later events of every thread of the process see it; see the
// package documentation for why the table keeps one identity per process.
// A process the table lacks is read from /proc, which already tells the
// new identity.
func (t *Tables) SetCred(pid int64, c *collectors.Cred) {
	if !c.UIDsKnown && !c.GIDsKnown && !c.CapsKnown {
		return
	}
	e := t.lookup(pid, maxLinkReads)
	if e == nil {
		return
	}
	p := &e.proc
	changed := false
	if c.UIDsKnown && p.UID != c.EUID {
		p.UID, changed = c.EUID, true
	}
	if c.GIDsKnown && p.GID != c.EGID {
		p.GID, changed = c.EGID, true
	}
	if changed {
		t.setNames(p, pid)
	}
	if c.CapsKnown {
		p.CapInheritable, p.CapPermitted, p.CapEffective = c.CapInheritable, c.CapPermitted, c.CapEffective
	}
}

// NameArgs fills the names of the user and group id arguments of ev (a
// credential call of process p): Args.UserName, Args.GroupName and
// Args.IDNames, from the user database p sees. An id without a name, and
// -1 (unchanged), keep no name.
func (t *Tables) NameArgs(ev *event.Event, p *event.Process) {
	a := &ev.Args
	if p == nil || a.Set&(event.ArgUID|event.ArgGID|event.ArgRID|event.ArgEID|event.ArgSID) == 0 {
		return
	}
	db := t.userDB(p.Container, p.PID)
	if a.Has(event.ArgUID) {
		a.UserName = db.users[a.UID]
	}
	if a.Has(event.ArgGID) {
		a.GroupName = db.groups[a.GID]
	}
	names := db.users
	if event.CredArgIsGroup(ev.Type) {
		names = db.groups
	}
	for i, bit := range [3]event.ArgMask{event.ArgRID, event.ArgEID, event.ArgSID} {
		if a.Has(bit) && a.IDs[i] != noChange {
			a.IDNames[i] = names[a.IDs[i]]
		}
	}
}

// noChange is the id argument that leaves an id as it is ((uid_t)-1).
const noChange = 0xffffffff
