package collectors

// Notice is something a collector reports about itself rather than about
// the machine: its kernel state changed under it (audit rules deleted,
// audit settings changed, a BPF map or program replaced), whether it put
// that state back, or events it knows it lost. The engine turns notices
// into alerts of Lanner's own, which users route like any other alert.
type Notice struct {
	// Time is the wall clock time, ns since the Unix epoch.
	Time int64
	// Collector is the name of the collector that reports it.
	Collector string
	Kind      NoticeKind
	// Message says what happened, in one line, for the alert's output.
	Message string
	// Actor is who made the change, when the collector knows it.
	Actor Actor
}

// NoticeKind says what a Notice reports.
type NoticeKind uint8

// Notice kinds.
const (
	// NoticeTampered: the collector's kernel state was changed by another
	// process.
	NoticeTampered NoticeKind = iota + 1
	// NoticeRepaired: the collector put its kernel state back after a
	// change.
	NoticeRepaired
	// NoticeLost: the collector lost events it cannot otherwise count.
	NoticeLost
)

// String returns the kind's name.
func (k NoticeKind) String() string {
	switch k {
	case NoticeTampered:
		return "tampered"
	case NoticeRepaired:
		return "repaired"
	case NoticeLost:
		return "lost"
	}
	return "unknown"
}

// Actor identifies a process; a zero field is unknown (AUID is -1 when
// unknown or unset).
type Actor struct {
	PID  int64
	UID  int64
	AUID int64
	Comm string
	Exe  string
}

// Notify receives a collector's notices. It is called from the collector's
// own goroutines and must not block.
type Notify func(Notice)
