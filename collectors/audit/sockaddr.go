package audit

import (
	"encoding/binary"
	"net/netip"
	"strconv"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/linuxabi"
)

// socket fills ev.FD for file descriptor num of a socket syscall from the
// SOCKADDR record (the address passed to or returned by the call). Audit
// tells nothing of the socket itself: without a SOCKADDR record the kind is
// unknown, and so is the other endpoint (shown as the unspecified address
// and port 0). The transport protocol of an IP socket comes from the fd
// table: the socket (or accept) call that made the descriptor.
func (d *decoder) socket(ev *event.Event, num int64) {
	fd := &ev.FD
	fd.Num = num
	fd.Kind = event.FDUnknown
	switch ev.Type {
	case event.TypeAccept, event.TypeAccept4, event.TypeListen:
		fd.Server = true
	}
	if !d.hasSA || len(d.saddr) < 2 {
		if ev.Type == event.TypeListen {
			d.listening(ev, num)
		}
		return
	}
	family := binary.LittleEndian.Uint16(d.saddr)
	fd.Kind = collectors.FamilyKind(family)
	switch fd.Kind {
	case event.FDUnix:
		fd.Name = d.unixName(d.saddr[2:])
		passedAddr(ev)
		return
	case event.FDIPv4, event.FDIPv6:
	default:
		return
	}
	sa, ok := linuxabi.ParseInetSockaddr(d.saddr)
	if !ok {
		fd.Kind = event.FDUnknown
		return
	}
	if sa.Addr().Is4In6() {
		fd.Kind = event.FDIPv4
	}
	if fd.Kind == event.FDIPv4 {
		sa = netip.AddrPortFrom(sa.Addr().Unmap(), sa.Port())
	}
	passedAddr(ev)
	protoFD := num
	if ev.Type == event.TypeAccept || ev.Type == event.TypeAccept4 {
		protoFD, _ = d.argInt(0) // the listening socket
	}
	fd.L4Proto = d.sockProto(protoFD, fd.Kind)
	own := d.boundTo(num, fd.Kind)
	unspec := netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	if fd.Kind == event.FDIPv6 {
		unspec = netip.AddrPortFrom(netip.IPv6Unspecified(), 0)
	}
	fd.Local, fd.Remote = unspec, unspec
	// localUnknown: the socket has a local address of its own (the
	// kernel binds one on connect and the accepted socket has the one
	// the peer reached), but audit does not log it. It stays invalid,
	// so that fd.lip and fd.lport are absent and fd.ip and fd.net
	// compare the known endpoint only; fd.name shows it unspecified.
	localUnknown := false
	switch ev.Type {
	case event.TypeBind:
		fd.Local = sa
	case event.TypeConnect, event.TypeSendto, event.TypeSendmsg:
		fd.Remote = sa
		// A datagram sent to an address makes the socket's peer known:
		// Falco calls it connected.
		fd.Connected = ev.Type == event.TypeConnect && ev.Res == 0 || ev.Res >= 0 && fd.L4Proto == event.L4UDP
		localUnknown = ev.Type == event.TypeConnect && (ev.Res == 0 || ev.Res == -eInProgress)
	case event.TypeAccept, event.TypeAccept4:
		fd.Remote = sa
		fd.Connected = true
		// The listening socket's address, when it was bound to one.
		localUnknown = true
		if lfd, ok := d.argInt(0); ok {
			if l := d.boundTo(lfd, fd.Kind); l.IsValid() {
				fd.Local, localUnknown = l, false
			}
		}
	case event.TypeRecvfrom, event.TypeRecvmsg:
		// A datagram's source: the socket is a server's.
		fd.Remote = sa
		fd.Server = true
	default:
		return
	}
	if own.IsValid() && ev.Type != event.TypeBind && ev.Type != event.TypeAccept && ev.Type != event.TypeAccept4 {
		// Bound before it sent, received or connected.
		fd.Local, localUnknown = own, false
	}
	n := len(d.scratch)
	if ev.Type == event.TypeBind {
		// Bound, no peer: named by its own endpoint, as Falco names a
		// server socket.
		d.scratch = appendEndpoint(d.scratch, fd.Local)
		fd.Name = view(d.scratch[n:len(d.scratch):len(d.scratch)])
		return
	}
	client, server := fd.Local, fd.Remote
	if fd.Server {
		client, server = server, client
	}
	d.scratch = appendEndpoint(d.scratch, client)
	d.scratch = append(d.scratch, "->"...)
	d.scratch = appendEndpoint(d.scratch, server)
	fd.Name = view(d.scratch[n:len(d.scratch):len(d.scratch)])
	if localUnknown {
		fd.Local = netip.AddrPort{}
	}
}

// passedAddr says that the SOCKADDR record of ev is the address the call
// passed (not one it returned, as accept's and recvfrom's).
func passedAddr(ev *event.Event) {
	switch ev.Type {
	case event.TypeBind, event.TypeConnect, event.TypeSendto, event.TypeSendmsg:
		ev.Args.Set |= event.ArgSockAddr
	}
}

// boundTo returns the address the fd table says socket num of kind kind
// was bound to (or an accepted connection reached): invalid when not
// known, or when it was a wildcard address (which says nothing of the
// address a peer reached).
func (d *decoder) boundTo(num int64, kind event.FDKind) netip.AddrPort {
	if d.fds == nil {
		return netip.AddrPort{}
	}
	e := d.fds.get(d.sys.pid, num)
	if e == nil || e.dir || e.kind != kind || !e.local.IsValid() || e.local.Addr().IsUnspecified() {
		return netip.AddrPort{}
	}
	return e.local
}

// listening fills ev.FD of a listen call (which logs no address) from the
// fd table: the kind, protocol and bound address of socket num.
func (d *decoder) listening(ev *event.Event, num int64) {
	if d.fds == nil {
		return
	}
	e := d.fds.get(d.sys.pid, num)
	if e == nil || e.dir || (e.kind != event.FDIPv4 && e.kind != event.FDIPv6) {
		return
	}
	fd := &ev.FD
	fd.Kind, fd.L4Proto = e.kind, e.l4
	if !e.local.IsValid() {
		return
	}
	unspec := netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	if fd.Kind == event.FDIPv6 {
		unspec = netip.AddrPortFrom(netip.IPv6Unspecified(), 0)
	}
	fd.Local, fd.Remote = e.local, unspec
	n := len(d.scratch)
	d.scratch = appendEndpoint(d.scratch, fd.Local)
	fd.Name = view(d.scratch[n:len(d.scratch):len(d.scratch)])
}

// eInProgress is EINPROGRESS: a non-blocking connect under way.
const eInProgress = 115

// unixName renders a sun_path: up to its first NUL, an abstract address
// (leading NUL) as "@" and its name.
func (d *decoder) unixName(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	n := len(d.scratch)
	if p[0] == 0 {
		if len(p) == 1 {
			return ""
		}
		d.scratch = append(d.scratch, '@')
		p = p[1:]
	}
	for i, c := range p {
		if c == 0 {
			p = p[:i]
			break
		}
	}
	d.scratch = append(d.scratch, p...)
	return view(d.scratch[n:len(d.scratch):len(d.scratch)])
}

func appendEndpoint(b []byte, ap netip.AddrPort) []byte {
	b = ap.Addr().AppendTo(b)
	b = append(b, ':')
	return strconv.AppendUint(b, uint64(ap.Port()), 10)
}
