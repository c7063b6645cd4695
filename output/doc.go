// Package output turns rule matches into alerts in Falco's formats (the
// text line and the JSON schema) and delivers them to sinks, each behind
// its own bounded queue so that a slow or dead sink drops alerts (counted)
// instead of stalling event processing.
package output
