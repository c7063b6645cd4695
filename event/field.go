package event

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
)

// Kind is how a field's value is represented in Go, and so which
// operators and accessor signature it has.
type Kind uint8

// Field value kinds.
const (
	KindString Kind = iota + 1 // string
	KindInt                    // int64
	KindBool                   // bool
	KindIP                     // netip.Addr
	KindIPNet                  // netip.Addr compared against CIDR prefixes
	KindBytes                  // []byte
)

func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindInt:
		return "number"
	case KindBool:
		return "bool"
	case KindIP:
		return "ipaddr"
	case KindIPNet:
		return "ipnet"
	case KindBytes:
		return "bytebuf"
	}
	return "invalid"
}

// ArgRule says what argument a field takes.
type ArgRule uint8

// Argument rules.
const (
	ArgNone       ArgRule = iota // no argument
	ArgIndex                     // a non-negative integer: proc.aname[2]
	ArgKey                       // a string: proc.env[HOME], evt.arg.flags
	ArgIndexOrKey                // either: evt.arg[0] or evt.arg.flags
)

// Arg is the argument a field is used with, resolved when the rule is
// compiled.
type Arg struct {
	Set   bool
	Index int
	Key   string
	ID    ArgID // for evt.arg and evt.rawarg with a key
}

// Accessor signatures. Every accessor returns ok=false when the value is
// absent for the event. Accessors never allocate, except where a field's
// documentation says it renders text for outputs.
type (
	StringFunc func(*Event, Arg) (string, bool)
	IntFunc    func(*Event, Arg) (int64, bool)
	BoolFunc   func(*Event, Arg) (bool, bool)
	IPFunc     func(*Event, Arg) (netip.Addr, bool)
	BytesFunc  func(*Event, Arg) ([]byte, bool)
	// BothIPFunc returns the client and server addresses of a socket.
	BothIPFunc func(*Event, Arg) (client, server netip.Addr, ok bool)
	// BothIntFunc returns the client and server ports of a socket.
	BothIntFunc func(*Event, Arg) (client, server int64, ok bool)
)

// Render says how a value is printed in a text output.
type Render uint8

// Text renderings.
const (
	RenderDefault   Render = iota
	RenderTimeOfDay        // an abstime printed as HH:MM:SS.nnnnnnnnn (UTC)
)

// Field describes one field rules can use.
type Field struct {
	Name string
	Kind Kind
	// Type is the field's type as Falco names it (charbuf, fspath, int64,
	// uint32, port, abstime, ...).
	Type string
	Arg  ArgRule
	// ArgRequired means the field cannot be used without its argument.
	ArgRequired bool
	// DotArg means the argument may be written after a dot:
	// evt.arg.flags is evt.arg with key "flags".
	DotArg bool
	// FilterOnly fields cannot appear in outputs.
	FilterOnly bool
	// Both marks fields that look at both endpoints of a socket: "=" and
	// "in" hold if either endpoint matches, "!=" only if neither does.
	Both bool
	// Ancestors marks fields that, used without an index in a condition,
	// hold if any ancestor (from the parent up) satisfies the check.
	Ancestors bool
	Render    Render
	Desc      string
	// Func is the name of the accessor in this package; Get holds it.
	Func string
	Get  any
}

var fieldByName = func() map[string]*Field {
	m := make(map[string]*Field, len(fieldTable))
	for i := range fieldTable {
		f := &fieldTable[i]
		if _, dup := m[f.Name]; dup {
			panic("event: duplicate field " + f.Name)
		}
		m[f.Name] = f
	}
	return m
}()

// Fields returns every field, sorted by name.
func Fields() []*Field {
	out := make([]*Field, 0, len(fieldTable))
	for i := range fieldTable {
		out = append(out, &fieldTable[i])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupField finds the field a name refers to. A name may carry an
// argument after a dot (evt.arg.flags, k8s.pod.label.app): then the field is
// the longest registered prefix that allows one, and dotArg is the rest.
func LookupField(name string) (f *Field, dotArg string, ok bool) {
	if f, ok := fieldByName[name]; ok {
		return f, "", true
	}
	for i := len(name) - 1; i > 0; i-- {
		if name[i] != '.' {
			continue
		}
		if f, ok := fieldByName[name[:i]]; ok && f.DotArg && i+1 < len(name) {
			return f, name[i+1:], true
		}
	}
	return nil, "", false
}

// IsField reports whether name (without a bracket argument) names a field.
func IsField(name string) bool {
	_, _, ok := LookupField(name)
	return ok
}

// ResolveArg checks the argument a field is used with and resolves it.
// hasArg and arg come from brackets or after a dot.
func (f *Field) ResolveArg(hasArg bool, arg string) (Arg, error) {
	if !hasArg {
		if f.ArgRequired {
			return Arg{}, fieldErr("field %s requires an argument", f.Name)
		}
		return Arg{}, nil
	}
	switch f.Arg {
	case ArgNone:
		return Arg{}, fieldErr("field %s does not take an argument", f.Name)
	case ArgIndex:
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return Arg{}, fieldErr("field %s needs a non-negative index, not %q", f.Name, arg)
		}
		return Arg{Set: true, Index: n}, nil
	case ArgIndexOrKey:
		if n, err := strconv.Atoi(arg); err == nil {
			if n < 0 {
				return Arg{}, fieldErr("field %s needs a non-negative index, not %q", f.Name, arg)
			}
			return Arg{Set: true, Index: n, Key: ""}, nil
		}
	}
	a := Arg{Set: true, Index: -1, Key: arg}
	if f.Name == "evt.arg" || f.Name == "evt.rawarg" {
		id, ok := LookupArgID(arg)
		if !ok {
			return Arg{}, fieldErr("field %s: unknown event argument %q", f.Name, arg)
		}
		a.ID = id
	}
	return a, nil
}

func fieldErr(format string, args ...any) error { return fmt.Errorf(format, args...) }

// MustField returns the field called name (with no argument); it panics
// if there is none. Generated code uses it once, at package init.
func MustField(name string) *Field {
	f, ok := fieldByName[name]
	if !ok {
		panic("event: no field " + name)
	}
	return f
}

// SchemaVersion is the version of the event model's Go API that generated
// rule code is written against. Generated code refers to
// EnforceVersion(SchemaVersion - N) so that code generated for another
// version fails to compile.
const SchemaVersion = 1

// EnforceVersion is a compile-time check: EnforceVersion(SchemaVersion - N)
// compiles only when N equals SchemaVersion.
type EnforceVersion uint
