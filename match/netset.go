package match

import "net/netip"

// linearMax is the size up to which a NetSet scans its prefixes one by one;
// larger sets look up one masked prefix per distinct prefix length.
const linearMax = 16

// NetSet is a set of CIDR prefixes for fd.net and the fields like it. Build
// it once with [NewNetSet]; after that it is read-only and safe for
// concurrent use.
//
// IPv4 and IPv6 are kept apart: an IPv4 address is only in IPv4 prefixes and
// an IPv6 address only in IPv6 prefixes, so ::/0 does not contain 10.0.0.1.
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) count as IPv4, both when
// given to Contains and when given as a prefix of at least 96 bits.
type NetSet struct {
	v4, v6 []netip.Prefix

	// Only for sets larger than linearMax.
	set            map[netip.Prefix]struct{}
	v4Bits, v6Bits []int
}

// NewNetSet builds a set from prefixes. Host bits are ignored
// (10.1.2.3/8 is 10.0.0.0/8) and invalid prefixes are skipped.
func NewNetSet(prefixes ...netip.Prefix) *NetSet {
	n := &NetSet{}
	seen := make(map[netip.Prefix]struct{}, len(prefixes))
	for _, p := range prefixes {
		if !p.IsValid() {
			continue
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		p = p.Masked()
		if _, dup := seen[p]; dup {
			continue
		}
		seen[p] = struct{}{}
		if p.Addr().Is4() {
			n.v4 = append(n.v4, p)
		} else {
			n.v6 = append(n.v6, p)
		}
	}
	if len(seen) > linearMax {
		n.set = seen
		n.v4Bits = distinctBits(n.v4)
		n.v6Bits = distinctBits(n.v6)
	}
	return n
}

func distinctBits(ps []netip.Prefix) []int {
	var has [129]bool
	for _, p := range ps {
		has[p.Bits()] = true
	}
	var bits []int
	for b, ok := range has {
		if ok {
			bits = append(bits, b)
		}
	}
	return bits
}

// Contains reports whether a is in one of the prefixes of n. An IPv4-mapped
// IPv6 address is unmapped first, and an IPv6 zone is ignored. A nil
// *NetSet and an invalid address contain nothing. Contains does not
// allocate.
func (n *NetSet) Contains(a netip.Addr) bool {
	if n == nil || !a.IsValid() {
		return false
	}
	a = a.Unmap()
	if a.Zone() != "" {
		a = a.WithZone("")
	}
	list, bits := n.v6, n.v6Bits
	if a.Is4() {
		list, bits = n.v4, n.v4Bits
	}
	if n.set == nil {
		for _, p := range list {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	for _, b := range bits {
		p, _ := a.Prefix(b)
		if _, ok := n.set[p]; ok {
			return true
		}
	}
	return false
}
