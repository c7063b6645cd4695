//go:build linux

package audit

import (
	"encoding/binary"
	"errors"
	"sync/atomic"
	"syscall"
	"unsafe"

	libaudit "github.com/elastic/go-libaudit/v2"
	"golang.org/x/sys/unix"
)

// nlSock is an audit netlink socket. It implements go-libaudit's
// NetlinkSendReceiver, so that its AuditClient can send commands on it,
// while the collector keeps the descriptor to poll it and read records
// without blocking.
type nlSock struct {
	fd     int
	seq    atomic.Uint32
	rbuf   []byte
	closed atomic.Bool

	batch *recvBatch // records read ahead by nextRecord
}

// batchLen is how many datagrams one recvmmsg may read.
const batchLen = 64

// recvBatch holds the datagrams of one recvmmsg.
type recvBatch struct {
	hdrs  [batchLen]mmsghdr
	iovs  [batchLen]unix.Iovec
	names [batchLen]unix.RawSockaddrNetlink
	bufs  [batchLen][]byte
	n, i  int
}

// mmsghdr is struct mmsghdr.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
	_   [4]byte
}

// auditMaxMessage bounds one audit record (MAX_AUDIT_MESSAGE_LENGTH is
// 8970) with room to spare.
const auditMaxMessage = 16 << 10

// newNLSock opens an audit netlink socket, bound to the multicast groups
// given (0 for none, 1 for the read-only log group).
func newNLSock(groups uint32, rcvbuf int) (*nlSock, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_AUDIT)
	if err != nil {
		return nil, err
	}
	s := &nlSock{fd: fd, rbuf: make([]byte, auditMaxMessage)}
	if rcvbuf > 0 {
		_ = s.setRcvBuf(rcvbuf)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return s, nil
}

// setRcvBuf sets the size of the socket's receive buffer. Forcing it needs
// CAP_NET_ADMIN; without, the net.core.rmem_max limit applies.
func (s *nlSock) setRcvBuf(n int) error {
	if unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n) == nil {
		return nil
	}
	return unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, n)
}

// Send sends a request to the kernel and returns its sequence number.
func (s *nlSock) Send(msg syscall.NetlinkMessage) (uint32, error) { return s.send(msg, 0) }

// SendNoWait is Send that does not block when the socket is full.
func (s *nlSock) SendNoWait(msg syscall.NetlinkMessage) (uint32, error) {
	return s.send(msg, unix.MSG_DONTWAIT)
}

func (s *nlSock) send(msg syscall.NetlinkMessage, flags int) (uint32, error) {
	if s.closed.Load() {
		return 0, unix.EBADF
	}
	msg.Header.Seq = s.seq.Add(1)
	msg.Header.Len = uint32(unix.SizeofNlMsghdr + len(msg.Data))
	b := make([]byte, msg.Header.Len)
	binary.NativeEndian.PutUint32(b[0:], msg.Header.Len)
	binary.NativeEndian.PutUint16(b[4:], msg.Header.Type)
	binary.NativeEndian.PutUint16(b[6:], msg.Header.Flags)
	binary.NativeEndian.PutUint32(b[8:], msg.Header.Seq)
	binary.NativeEndian.PutUint32(b[12:], msg.Header.Pid)
	copy(b[unix.SizeofNlMsghdr:], msg.Data)
	return msg.Header.Seq, unix.Sendto(s.fd, b, flags, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
}

// Receive reads one message, for go-libaudit's request/reply exchanges. It
// never blocks: the client polls.
func (s *nlSock) Receive(_ bool, parse libaudit.NetlinkParser) ([]syscall.NetlinkMessage, error) {
	b, err := s.recvRaw(s.rbuf)
	if err != nil {
		return nil, err
	}
	return parse(b)
}

// drain discards what the socket holds: replies to requests that gave up
// waiting (the kernel sends a rule list from a thread of its own, which
// may be late), which would otherwise be taken for the reply to the next
// request.
func (s *nlSock) drain() {
	for {
		if _, err := s.recvRaw(s.rbuf); err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
	}
}

// recvRaw reads one datagram from the kernel into buf without blocking.
func (s *nlSock) recvRaw(buf []byte) ([]byte, error) {
	if s.closed.Load() {
		return nil, unix.EBADF
	}
	for {
		n, from, err := unix.Recvfrom(s.fd, buf, unix.MSG_DONTWAIT)
		if err != nil {
			return nil, err
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue // not from the kernel
		}
		if n < unix.SizeofNlMsghdr {
			continue
		}
		return buf[:n], nil
	}
}

// nextRecord returns the next audit record without blocking, reading
// up to batchLen datagrams with one system call when none is left. The
// text is valid until the next call.
func (s *nlSock) nextRecord() (uint16, []byte, error) {
	b := s.batch
	if b == nil {
		b = &recvBatch{}
		for i := range b.hdrs {
			b.bufs[i] = make([]byte, auditMaxMessage)
			b.iovs[i].Base = &b.bufs[i][0]
			b.iovs[i].SetLen(auditMaxMessage)
		}
		s.batch = b
	}
	for {
		for b.i < b.n {
			i := b.i
			b.i++
			h := &b.hdrs[i]
			n := int(h.n)
			if h.hdr.Namelen < unix.SizeofSockaddrNetlink || b.names[i].Pid != 0 || n < unix.SizeofNlMsghdr {
				continue // not from the kernel, or too short
			}
			return splitRecord(b.bufs[i][:n])
		}
		if s.closed.Load() {
			return 0, nil, unix.EBADF
		}
		for i := range b.hdrs {
			b.hdrs[i] = mmsghdr{}
			h := &b.hdrs[i].hdr
			h.Name = (*byte)(unsafe.Pointer(&b.names[i]))
			h.Namelen = unix.SizeofSockaddrNetlink
			h.Iov = &b.iovs[i]
			h.SetIovlen(1)
		}
		r, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&b.hdrs[0])),
			batchLen, unix.MSG_DONTWAIT, 0, 0)
		if errno != 0 {
			b.n, b.i = 0, 0
			return 0, nil, errno
		}
		b.n, b.i = int(r), 0
	}
}

// splitRecord splits a datagram into the record's type and text.
func splitRecord(b []byte) (uint16, []byte, error) {
	typ := binary.NativeEndian.Uint16(b[4:])
	data := b[unix.SizeofNlMsghdr:]
	for len(data) > 0 && (data[len(data)-1] == 0 || data[len(data)-1] == '\n') {
		data = data[:len(data)-1]
	}
	return typ, data, nil
}

// Close closes the socket.
func (s *nlSock) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return unix.Close(s.fd)
}
