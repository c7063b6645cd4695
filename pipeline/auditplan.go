package pipeline

import (
	"os"
	"slices"
	"strings"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/collectors/audit"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/ruleset"
)

// The audit collector makes every process it audits pay for each audited
// call, so Lanner asks it for no call that no rule can match. Which calls
// those are follows from the rules' conditions, evaluated in three-valued
// logic (ruleset.Rule.Possible) over what is known of a class of calls.

// auditedDevices are device files that programs open all the time (Go's
// os/exec opens /dev/null for every command it starts). Their opens are
// not audited when no rule can match an open of the file by its name.
var auditedDevices = []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}

// socketFamilies are the address families of most sockets (AF_UNIX,
// AF_INET, AF_INET6, AF_NETLINK). socket calls of these families are not
// audited when no rule can match a socket call of the family.
var socketFamilies = []uint32{collectors.AFUnix, collectors.AFInet, collectors.AFInet6, collectors.AFNetlink}

// ipFamilies are the address families of IP sockets, whose socket calls
// tell the audit collector each socket's transport protocol.
var ipFamilies = []uint32{collectors.AFInet, collectors.AFInet6}

// openTypes are the event types of the calls that open a file by path.
var openTypes = []event.Type{event.TypeOpen, event.TypeOpenat, event.TypeOpenat2, event.TypeCreat}

// auditPlan is what the audit collector is asked to audit for a set of
// rules.
type auditPlan struct {
	// Types are the event types to audit.
	Types event.TypeSet
	// Unmatchable are event types of the rules that no rule can match with
	// what audit logs of them; they are not audited.
	Unmatchable []event.Type
	// Exclusions are calls of the audited types that no rule can match.
	Exclusions []audit.Exclusion
	// Protocols is set when socket calls of IP sockets are audited
	// because a rule's condition reads fd.l4proto: audit logs a
	// socket's protocol only in its socket call.
	Protocols bool
}

// planAudit works out the audit plan for set from what audit can see,
// caps. With exclusions false, it plans no Exclusions.
func planAudit(set *ruleset.Set, caps collectors.Capabilities, exclusions bool) auditPlan {
	var p auditPlan
	want := set.Types()
	for _, t := range want.Types() {
		if possible(set, t, absentFacts(caps, t)) {
			p.Types.Add(t)
		} else {
			p.Unmatchable = append(p.Unmatchable, t)
		}
	}
	if needsProtocols(set, &p.Types) {
		p.Protocols = true
		if !p.Types.Has(event.TypeSocket) {
			p.Types.Add(event.TypeSocket)
			p.Unmatchable = slices.DeleteFunc(p.Unmatchable, func(t event.Type) bool { return t == event.TypeSocket })
		}
	}
	if needsBind(&p.Types) {
		// Listen and accept log no address of their own: the audit
		// collector names their socket by the address it was bound to.
		// bind calls are few.
		p.Types.Add(event.TypeBind)
		p.Unmatchable = slices.DeleteFunc(p.Unmatchable, func(t event.Type) bool { return t == event.TypeBind })
	}
	if !exclusions {
		return p
	}
	for _, path := range auditedDevices {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			continue
		}
		var types []event.Type
		for _, t := range openTypes {
			if p.Types.Has(t) && !possible(set, t, openFacts(t, path)) {
				types = append(types, t)
			}
		}
		if len(types) > 0 {
			p.Exclusions = append(p.Exclusions, audit.Exclusion{Types: types, Path: path})
		}
	}
	if p.Types.Has(event.TypeSocket) {
		for _, family := range socketFamilies {
			if p.Protocols && slices.Contains(ipFamilies, family) {
				continue
			}
			if !possible(set, event.TypeSocket, socketFacts(family)) {
				p.Exclusions = append(p.Exclusions, audit.Exclusion{Types: []event.Type{event.TypeSocket}, Arg: 0, Value: family})
			}
		}
	}
	return p
}

// serverTypes are the calls of a server socket whose own address audit
// does not log.
var serverTypes = []event.Type{event.TypeListen, event.TypeAccept, event.TypeAccept4, event.TypeRecvfrom, event.TypeRecvmsg}

// needsBind reports whether audited has a call of a server socket, whose
// address comes from the socket's bind call.
func needsBind(audited *event.TypeSet) bool {
	for _, t := range serverTypes {
		if audited.Has(t) {
			return true
		}
	}
	return false
}

// needsProtocols reports whether a rule of set that has an event type in
// audited reads fd.l4proto in its condition.
func needsProtocols(set *ruleset.Set, audited *event.TypeSet) bool {
	for _, r := range set.Rules() {
		if !slices.Contains(r.CondFields, "fd.l4proto") {
			continue
		}
		for _, t := range r.EvtTypes {
			if audited.Has(t) {
				return true
			}
		}
	}
	return false
}

// possible reports whether some rule of set might match an event of type t
// that f describes.
func possible(set *ruleset.Set, t event.Type, f *ruleset.Facts) bool {
	for _, r := range set.Rules() {
		for _, rt := range r.EvtTypes {
			if rt == t && r.Possible(f) != ruleset.False {
				return true
			}
		}
	}
	return false
}

// absentFacts describe the events of type t a collector delivers: their
// type is t, and the fields caps.MissingOn lists for t are absent.
func absentFacts(caps collectors.Capabilities, t event.Type) *ruleset.Facts {
	return &ruleset.Facts{
		Event: &event.Event{Type: t},
		Known: func(field string) bool {
			return field == "evt.type" || caps.AbsentOn(t, field)
		},
	}
}

// openFacts describe the opens of the file path as the audit collector
// reports them: an event of type t whose fd names path (a regular-file
// kind of fd, as audit reports devices).
func openFacts(t event.Type, path string) *ruleset.Facts {
	return &ruleset.Facts{
		Event: &event.Event{Type: t, FD: event.FD{Kind: event.FDFile, Name: path}},
		Known: func(field string) bool {
			switch field {
			case "evt.type", "fd.name", "fd.directory", "fd.filename", "fd.typechar", "fd.type", "fd.sockfamily":
				return true
			}
			return false
		},
	}
}

// socketFacts describe the socket calls of one address family.
func socketFacts(family uint32) *ruleset.Facts {
	return &ruleset.Facts{
		Event: &event.Event{Type: event.TypeSocket, Args: event.Args{Set: event.ArgDomain, Domain: int64(family)}},
		Known: func(field string) bool { return field == "evt.type" || field == "evt.arg.domain" },
	}
}

// describe says what the plan leaves out, for the log; "" when nothing.
func (p *auditPlan) describe(applied []audit.Exclusion) string {
	var parts []string
	if len(p.Unmatchable) > 0 {
		parts = append(parts, strings.Join(TypeNames(event.TypeSetOf(p.Unmatchable...)), ",")+
			" (no rule can match what audit logs of them)")
	}
	// Exclusions of the same calls by the same kind of field, one part.
	for i := 0; i < len(applied); {
		x := applied[i]
		field, _ := x.Field()
		var values []string
		for ; i < len(applied); i++ {
			y := applied[i]
			f, v := y.Field()
			if f != field || !slices.Equal(y.Types, x.Types) {
				break
			}
			values = append(values, v)
		}
		parts = append(parts, strings.Join(TypeNames(event.TypeSetOf(x.Types...)), ",")+" with "+field+" in "+
			strings.Join(values, ",")+" (no rule can match them)")
	}
	return strings.Join(parts, "; ")
}
