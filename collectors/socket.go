package collectors

import (
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/linuxabi"
)

// Socket constants of the Linux ABI, shared by the collectors' decoders:
// address families, socket types and IP protocols.
const (
	AFUnix    = linuxabi.AFUnix
	AFInet    = linuxabi.AFInet
	AFInet6   = linuxabi.AFInet6
	AFNetlink = linuxabi.AFNetlink

	SockStream = 1
	SockDgram  = 2
	SockRaw    = 3

	IPProtoICMP   = 1
	IPProtoTCP    = 6
	IPProtoUDP    = 17
	IPProtoICMPv6 = 58
)

// FamilyKind is the fd kind of a socket of address family family.
func FamilyKind(family uint16) event.FDKind {
	switch family {
	case AFInet:
		return event.FDIPv4
	case AFInet6:
		return event.FDIPv6
	case AFUnix:
		return event.FDUnix
	case AFNetlink:
		return event.FDNetlink
	}
	return event.FDUnknown
}

// L4Proto is the transport protocol of a socket, from its protocol number
// or, when that is 0, its type.
func L4Proto(sotype, proto uint16) event.L4Proto {
	switch proto {
	case IPProtoTCP:
		return event.L4TCP
	case IPProtoUDP:
		return event.L4UDP
	case IPProtoICMP, IPProtoICMPv6:
		return event.L4ICMP
	}
	switch sotype {
	case SockRaw:
		return event.L4Raw
	case SockStream:
		return event.L4TCP
	case SockDgram:
		return event.L4UDP
	}
	return event.L4Unknown
}
