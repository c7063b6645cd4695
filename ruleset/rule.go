package ruleset

import (
	"fmt"
	"strings"

	"github.com/lannersec/lanner/event"
)

// Priority is a rule's severity, most severe first. It is the one priority
// type of the project: package lang reads rules files into it, and the
// engine, the outputs and the selection flags use it.
type Priority uint8

// Priorities, as Falco names them.
const (
	Emergency Priority = iota
	Alert
	Critical
	Error
	Warning
	Notice
	Informational
	Debug
)

var priorityNames = [...]string{"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}

func (p Priority) String() string {
	if int(p) < len(priorityNames) {
		return priorityNames[p]
	}
	return "Debug"
}

// ParsePriority reads a priority name, case-insensitively; "info" is
// accepted for Informational.
func ParsePriority(s string) (Priority, error) {
	for i, n := range priorityNames {
		if strings.EqualFold(s, n) {
			return Priority(i), nil
		}
	}
	if strings.EqualFold(s, "info") {
		return Informational, nil
	}
	return 0, fmt.Errorf("unknown priority %q", s)
}

// OutputField is one field an output names, reported in output_fields.
type OutputField struct {
	Key   string // as written in the output: proc.aname[2], evt.arg.flags
	Field *event.Field
	Arg   event.Arg
	// Transformers applied to the value, innermost first.
	Transformers []string
}

// Rule is one rule as the engine runs it.
type Rule struct {
	Name string
	Desc string
	// Condition and Output are the rule's condition as written and its
	// output format (with %container.info dropped), for listings.
	Condition string
	Output    string
	Priority  Priority
	Source    string
	Tags      []string
	Enabled   bool
	// EvtTypes are the event types the rule can match, sorted.
	EvtTypes []event.Type
	File     string
	Line     int
	// Interpreted is set for a rule evaluated by walking its intermediate
	// form (package interp) rather than by code compiled into the binary.
	Interpreted bool

	// Match reports whether ev satisfies the rule's condition.
	Match func(ev *event.Event) bool
	// Format appends the rule's output text for ev to dst. Missing values
	// print as <NA>.
	Format func(dst []byte, ev *event.Event) []byte
	// Fields are the fields the output names, in order of appearance,
	// each once.
	Fields []OutputField
	// CondFields are the names of the fields the condition reads, sorted,
	// each once (for collector coverage reports).
	CondFields []string
	// Cond evaluates the condition in three-valued logic over the events
	// that Facts describe (see Possible); nil when the rule's source has
	// no such form.
	Cond func(f *Facts) Tri
}

// HasTag reports whether r carries tag t.
func (r *Rule) HasTag(t string) bool {
	for _, x := range r.Tags {
		if x == t {
			return true
		}
	}
	return false
}

// Source is a rules file compiled into the binary: its name and text.
type Source struct {
	Name string
	Text string
}
