// Package output turns rule matches into alerts in Falco's formats (the
// text line and the JSON schema) and delivers them to sinks, each behind
// its own bounded queue so that a slow or dead sink drops alerts (counted)
// instead of stalling event processing. Field values in the text line are
// escaped so that an alert is always one line (see ruleset.AppendEscaped);
// a sink that starts failing, and its recovery, are reported on stderr,
// and every alert given to a sink is counted as sent, failed, dropped or
// lost at shutdown.
package output
