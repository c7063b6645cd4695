package fanotify

// The netlink process connector ABI (linux/connector.h, linux/cn_proc.h).
const (
	nlmsgHdrLen = 16
	cnMsgLen    = 20
	cnIdxProc   = 1
	cnValProc   = 1

	procEventFork = 0x00000001
	procEventExec = 0x00000002
	procEventUID  = 0x00000004
	procEventGID  = 0x00000040
	procEventExit = 0x80000000

	procCnMcastListen = 1
	procCnMcastIgnore = 2

	nlmsgNoop  = 1
	nlmsgDone  = 3
	nlmsgError = 2
)

// procEvent is one process connector event.
type procEvent struct {
	What uint32
	// Timestamp is CLOCK_MONOTONIC, ns.
	Timestamp uint64
	// Fork: parent and child; exec and exit: PID, TGID.
	ParentPID, ParentTGID int64
	PID, TGID             int64
	ExitCode              int64
	// UID and GID events: the real and effective id after the change.
	RealID, EffectiveID uint32
}

// parseConnector calls fn for each process event in b, what one recv
// from a NETLINK_CONNECTOR socket returned. It returns how many netlink
// messages it could not decode.
func parseConnector(b []byte, fn func(ev *procEvent)) (bad int) {
	for len(b) >= nlmsgHdrLen {
		n := le.Uint32(b)
		typ := le.Uint16(b[4:])
		if n < nlmsgHdrLen || uint64(n) > uint64(len(b)) {
			return bad + 1
		}
		msg := b[nlmsgHdrLen:n]
		// Messages are aligned to 4 bytes.
		next := (int(n) + 3) &^ 3
		if next > len(b) {
			next = len(b)
		}
		b = b[next:]
		if typ == nlmsgNoop || typ == nlmsgError {
			continue
		}
		if len(msg) < cnMsgLen {
			bad++
			continue
		}
		if le.Uint32(msg) != cnIdxProc || le.Uint32(msg[4:]) != cnValProc {
			continue
		}
		dlen := int(le.Uint16(msg[16:]))
		data := msg[cnMsgLen:]
		if dlen > len(data) {
			bad++
			continue
		}
		data = data[:dlen]
		// struct proc_event: what, cpu, timestamp_ns, then the union.
		if len(data) < 16 {
			bad++
			continue
		}
		ev := procEvent{What: le.Uint32(data), Timestamp: le.Uint64(data[8:])}
		u := data[16:]
		switch ev.What {
		case procEventFork:
			if len(u) < 16 {
				bad++
				continue
			}
			ev.ParentPID = int64(le.Uint32(u))
			ev.ParentTGID = int64(le.Uint32(u[4:]))
			ev.PID = int64(le.Uint32(u[8:]))
			ev.TGID = int64(le.Uint32(u[12:]))
		case procEventExec:
			if len(u) < 8 {
				bad++
				continue
			}
			ev.PID = int64(le.Uint32(u))
			ev.TGID = int64(le.Uint32(u[4:]))
		case procEventUID, procEventGID:
			if len(u) < 16 {
				bad++
				continue
			}
			ev.PID = int64(le.Uint32(u))
			ev.TGID = int64(le.Uint32(u[4:]))
			ev.RealID = le.Uint32(u[8:])
			ev.EffectiveID = le.Uint32(u[12:])
		case procEventExit:
			if len(u) < 12 {
				bad++
				continue
			}
			ev.PID = int64(le.Uint32(u))
			ev.TGID = int64(le.Uint32(u[4:]))
			ev.ExitCode = int64(le.Uint32(u[8:]))
		default:
			continue
		}
		fn(&ev)
	}
	return bad
}

// connectorListen returns the message that subscribes (or, with
// listen false, unsubscribes) a NETLINK_CONNECTOR socket to process
// events.
func connectorListen(pid uint32, listen bool) []byte {
	op := uint32(procCnMcastListen)
	if !listen {
		op = procCnMcastIgnore
	}
	b := make([]byte, nlmsgHdrLen+cnMsgLen+4)
	le.PutUint32(b, uint32(len(b)))
	le.PutUint16(b[4:], nlmsgDone)
	le.PutUint32(b[12:], pid)
	m := b[nlmsgHdrLen:]
	le.PutUint32(m, cnIdxProc)
	le.PutUint32(m[4:], cnValProc)
	le.PutUint16(m[16:], 4)
	le.PutUint32(m[cnMsgLen:], op)
	return b
}
