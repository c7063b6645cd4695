// Package interp evaluates rules directly from the compiler's intermediate
// form, without generating code. It serves `lanner rules check` and
// `lanner rules test` (rules used without rebuilding) and is the oracle the
// compiled matchers are tested against.
package interp
