// Package pipeline runs Lanner's monitor: it chooses and starts a
// collector (Open: eBPF, else audit, else fanotify, saying why each one
// skipped failed), plans what the audit collector audits for the rules,
// reports how well the collector serves each rule (CoverageReport, from
// what the collector declares in its Capabilities), runs the engine until
// a signal or the duration, reloads the rules files on SIGHUP and when
// they change, and says when the sinks did not deliver every alert.
//
// It imports the collectors, the engine, outputs, metrics and the
// self-check; the command line (cmd/lanner) imports it, and nothing it
// imports imports it back.
package pipeline
