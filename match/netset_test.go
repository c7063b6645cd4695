package match

import (
	"fmt"
	"net/netip"
	"testing"
)

func prefixes(t testing.TB, ss ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func TestNetSet(t *testing.T) {
	n := NewNetSet(prefixes(t,
		"10.0.0.0/8", "192.168.1.0/24", "127.0.0.1/32", "172.16.9.9/12",
		"fd00::/8", "2001:db8::/32", "fe80::/10",
		"::ffff:100.64.0.0/106", // an IPv4 prefix written as IPv4-mapped IPv6
	)...)
	tests := map[string]bool{
		"10.1.2.3":          true,
		"10.255.255.255":    true,
		"11.0.0.1":          false,
		"192.168.1.77":      true,
		"192.168.2.1":       false,
		"127.0.0.1":         true,
		"127.0.0.2":         false,
		"172.20.0.1":        true, // host bits of 172.16.9.9/12 are ignored
		"172.32.0.1":        false,
		"100.64.1.1":        true,
		"100.128.0.1":       false,
		"fd12:3456::1":      true,
		"2001:db8:1::1":     true,
		"2001:db9::1":       false,
		"::1":               false,
		"fe80::1%eth0":      true, // zones are ignored
		"::ffff:10.1.2.3":   true, // mapped addresses are IPv4
		"::ffff:11.0.0.1":   false,
		"::ffff:100.64.0.9": true,
	}
	for s, want := range tests {
		if got := n.Contains(netip.MustParseAddr(s)); got != want {
			t.Errorf("Contains(%s) = %v, want %v", s, got, want)
		}
	}
	if n.Contains(netip.Addr{}) {
		t.Error("Contains(invalid address) = true")
	}
}

func TestNetSetFamiliesApart(t *testing.T) {
	v6all := NewNetSet(prefixes(t, "::/0")...)
	v4all := NewNetSet(prefixes(t, "0.0.0.0/0")...)
	for _, c := range []struct {
		set  *NetSet
		addr string
		want bool
	}{
		{v6all, "2001:db8::1", true},
		{v6all, "10.0.0.1", false},
		{v6all, "::ffff:10.0.0.1", false},
		{v4all, "10.0.0.1", true},
		{v4all, "::ffff:10.0.0.1", true},
		{v4all, "::1", false},
	} {
		if got := c.set.Contains(netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("%v.Contains(%s) = %v, want %v", c.set.v4, c.addr, got, c.want)
		}
	}
}

func TestNetSetEmptyAndNil(t *testing.T) {
	var nilSet *NetSet
	a := netip.MustParseAddr("10.0.0.1")
	if nilSet.Contains(a) {
		t.Error("nil set contains an address")
	}
	if NewNetSet().Contains(a) {
		t.Error("empty set contains an address")
	}
	if NewNetSet(netip.Prefix{}).Contains(a) {
		t.Error("set of an invalid prefix contains an address")
	}
}

// A set larger than linearMax is looked up by prefix length; it must agree
// with testing each prefix in turn.
func TestNetSetLarge(t *testing.T) {
	var ps []netip.Prefix
	for i := range 64 {
		ps = append(ps, netip.MustParsePrefix(fmt.Sprintf("10.%d.%d.0/24", i, i*3)))
	}
	ps = append(ps, prefixes(t, "172.16.0.0/12", "192.0.2.7/32", "2001:db8::/48", "2001:db8:ffff::/64", "::ffff:198.51.100.0/120")...)
	n := NewNetSet(ps...)
	if n.set == nil {
		t.Fatalf("a set of %d prefixes was not indexed", len(ps))
	}
	var addrs []netip.Addr
	for i := range 70 {
		addrs = append(addrs,
			netip.MustParseAddr(fmt.Sprintf("10.%d.%d.9", i, i*3)),
			netip.MustParseAddr(fmt.Sprintf("10.%d.%d.9", i, i*3+1)),
			netip.MustParseAddr(fmt.Sprintf("::ffff:10.%d.%d.1", i, i*3)),
		)
	}
	for _, s := range []string{"172.31.255.255", "172.32.0.0", "192.0.2.7", "192.0.2.8", "2001:db8:0:1::1", "2001:db8:1::1", "2001:db8:ffff::5", "2001:db8:ffff:1::5", "198.51.100.200", "198.51.101.1"} {
		addrs = append(addrs, netip.MustParseAddr(s))
	}
	for _, a := range addrs {
		want := false
		u := a.Unmap()
		for _, p := range ps {
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			if p.Contains(u) {
				want = true
			}
		}
		if got := n.Contains(a); got != want {
			t.Errorf("Contains(%s) = %v, want %v", a, got, want)
		}
	}
}

func BenchmarkNetSetContains(b *testing.B) {
	small := NewNetSet(prefixes(b, "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8")...)
	var ps []netip.Prefix
	for i := range 200 {
		ps = append(ps, netip.MustParsePrefix(fmt.Sprintf("100.%d.0.0/16", i)))
	}
	large := NewNetSet(ps...)
	a := netip.MustParseAddr("::ffff:100.150.3.4")
	b.Run("small", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			small.Contains(a)
		}
	})
	b.Run("large", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			large.Contains(a)
		}
	})
}
