package testutil

import (
	"fmt"
	"runtime"
	"strings"
)

// DoublingRules returns a rules file of at least size bytes in which macro
// mK uses m(K-1) twice for K up to top, so that mK expands to 2^K checks,
// followed by rules r0, r1, ... that each use m<top>. It is the shape of
// file that makes a rule loader without a total budget run out of memory.
func DoublingRules(top, size int) string {
	var b strings.Builder
	b.WriteString("- macro: m0\n  condition: proc.name = x\n")
	for k := 1; k <= top; k++ {
		fmt.Fprintf(&b, "- macro: m%d\n  condition: m%d and m%d\n", k, k-1, k-1)
	}
	for i := 0; i == 0 || b.Len() < size; i++ {
		fmt.Fprintf(&b, "- rule: r%d\n  desc: d\n  condition: m%d\n  output: o\n  priority: INFO\n", i, top)
	}
	return b.String()
}

// TotalAlloc returns the bytes f allocates, as runtime.MemStats counts
// them (allocations of other goroutines meanwhile included).
func TotalAlloc(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
