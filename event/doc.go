// Package event is Lanner's event model: the syscall event types rules can
// name, the Event a collector produces and the state tables enrich, and the
// field table that says which Falco fields exist, their types, which
// arguments they take and how each is read from an Event.
//
// A field that cannot be extracted for an event is absent, which is distinct
// from its zero value: every accessor returns (value, ok) and ok is false
// when the value is absent.
package event
