package match

import (
	"fmt"
	"net/netip"
	"testing"
)

// The matchers called for every event must not allocate.
func TestNoAllocs(t *testing.T) {
	prefixes := NewPathPrefixes("/var/run", "/etc", "/opt/*/subdir", "/proc/[0-9]*/environ")
	small := NewNetSet(netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8"))
	var many []netip.Prefix
	for i := range 2 * linearMax {
		many = append(many, netip.MustParsePrefix(fmt.Sprintf("10.%d.0.0/16", i)))
	}
	large := NewNetSet(many...)
	mapped := netip.MustParseAddr("::ffff:10.3.2.1")
	zoned := netip.MustParseAddr("fd00::1%eth0")

	checks := map[string]func(){
		"Glob":           func() { Glob("/proc/[0-9]*/env[[:alpha:]]ron", "/proc/1234/task/1/environ") },
		"Glob backtrack": func() { Glob("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaa") },
		"IGlob":          func() { IGlob("*/BIN/[!x]*SH", "/usr/local/bin/bash") },
		"ContainsFold":   func() { ContainsFold("/usr/bin/Python3 -c 'import pty'", "PTY") },
		"PathPrefixes.Match": func() {
			prefixes.Match("/opt/app/subdir/file")
			prefixes.Match("/proc/42/environ")
			prefixes.Match("/var/runx")
		},
		"NetSet.Contains small": func() {
			small.Contains(mapped)
			small.Contains(zoned)
		},
		"NetSet.Contains large": func() { large.Contains(mapped) },
	}
	for name, f := range checks {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations per call, want 0", name, n)
		}
	}
}
