package collectors

import (
	"testing"

	"github.com/lannersec/lanner/event"
)

// TestSyscallTable: every event type of a syscall is there once (present
// or absent, fchmodat twice for fchmodat2), numbers and names are unique.
func TestSyscallTable(t *testing.T) {
	nrs, names := map[uint32]string{}, map[string]bool{}
	types := map[event.Type]int{}
	for _, s := range Syscalls {
		if other, ok := nrs[s.Nr]; ok {
			t.Errorf("%s and %s both have number %d", s.Name, other, s.Nr)
		}
		nrs[s.Nr] = s.Name
		if names[s.Name] {
			t.Errorf("%s twice", s.Name)
		}
		names[s.Name] = true
		types[s.Type]++
	}
	for _, s := range AbsentSyscalls {
		if names[s.Name] {
			t.Errorf("%s both present and absent", s.Name)
		}
		names[s.Name] = true
		types[s.Type]++
	}
	if len(names) != 52 {
		t.Errorf("%d syscalls, want the 52 of x86_64", len(names))
	}
	for ty, n := range types {
		if n != 1 && ty != event.TypeFchmodat {
			t.Errorf("type %v from %d syscalls", ty, n)
		}
	}
}
