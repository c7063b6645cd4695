// Package lang is the front end of the rule compiler. It reads Falco rules
// files (Read), applies definitions, appends and overrides across files in
// load order (Collect), expands lists, macros and exceptions, and type-checks
// every condition and output against the event model (Compile). The result,
// a Program, is the intermediate form that both the Go code generator and the
// interpreter consume. A rule's priority is a [ruleset.Priority], the type
// the run-time rules carry too; the transformers a condition may use are
// those of package match.
package lang
