// Package ruleset is the run-time side of rules: the Rule descriptor that
// compiled (and interpreted) rules provide, the per-event-type index, rule
// selection by name, tag and priority, and evaluation with Falco's
// rule_matching modes. It also holds the value rendering that every output
// of a rule shares.
package ruleset
