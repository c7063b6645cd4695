// Package match implements the comparison operators of the rule language at
// run time: glob and iglob ([Glob], [IGlob]), icontains ([ContainsFold]),
// pmatch ([PathPrefixes]), the hex operand of bcontains and bstartswith
// ([ParseHex]), CIDR membership for the fd.net family of fields ([NetSet]),
// and the transformers of the rule language, tolower, toupper, b64,
// basename and len ([Transform]).
//
// Both the Go code generated from rules and the condition interpreter call
// into this package, so the two agree by construction. The matchers on the
// per-event path (Glob, IGlob, ContainsFold, PathPrefixes.Match and
// NetSet.Contains) do not allocate. Sets are built once, when a rule is
// loaded, and are safe for concurrent use by any number of goroutines once
// built. The transformers may allocate.
//
// Semantics follow libsinsp, the library Falco evaluates rules with: glob is
// glibc's fnmatch(3) with flags 0 in the C locale, and pmatch is the
// component-wise prefix search of libsinsp's path_prefix_search. Where the
// upstream behaviour is surprising it is reproduced and documented on the
// function rather than silently corrected.
package match
