package collectors

import "github.com/lannersec/lanner/event"

// Socket constants of the Linux ABI, shared by the collectors' decoders.
const (
	afUnix    = 1
	afInet    = 2
	afInet6   = 10
	afNetlink = 16

	sockStream = 1
	sockDgram  = 2
	sockRaw    = 3

	ipprotoICMP   = 1
	ipprotoTCP    = 6
	ipprotoUDP    = 17
	ipprotoICMPv6 = 58
)

// FamilyKind is the fd kind of a socket of address family family.
func FamilyKind(family uint16) event.FDKind {
	switch family {
	case afInet:
		return event.FDIPv4
	case afInet6:
		return event.FDIPv6
	case afUnix:
		return event.FDUnix
	case afNetlink:
		return event.FDNetlink
	}
	return event.FDUnknown
}

// L4Proto is the transport protocol of a socket, from its protocol number
// or, when that is 0, its type.
func L4Proto(sotype, proto uint16) event.L4Proto {
	switch proto {
	case ipprotoTCP:
		return event.L4TCP
	case ipprotoUDP:
		return event.L4UDP
	case ipprotoICMP, ipprotoICMPv6:
		return event.L4ICMP
	}
	switch sotype {
	case sockRaw:
		return event.L4Raw
	case sockStream:
		return event.L4TCP
	case sockDgram:
		return event.L4UDP
	}
	return event.L4Unknown
}
