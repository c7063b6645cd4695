// Package lang is the front end of the rule compiler. It reads Falco rules
// files (Read), applies definitions, appends and overrides across files in
// load order (Collect), expands lists, macros and exceptions, and type-checks
// every condition and output against the event model (Compile). The result,
// a Program, is the intermediate form that both the Go code generator and the
// interpreter consume. A rule's priority is a [ruleset.Priority], the type
// the run-time rules carry too; the transformers a condition may use are
// those of package match.
//
// Rules files are untrusted input, and loading them is bounded: a file's
// size and YAML (package yamlguard), a condition's text after list
// expansion (1 MiB) and its nodes after macro expansion (2^18), and the
// nodes of all the conditions of one load together (2^19, every file of
// the load, macros included): macros that each use the previous one twice
// reach any of these in a few kilobytes, and the load then fails with an
// error naming the rule or macro where it happened.
package lang
