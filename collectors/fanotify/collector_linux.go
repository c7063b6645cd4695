//go:build linux

package fanotify

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

const (
	// dedupWindow is how long a (pid, path) write is remembered: a burst
	// of writes within it gives one openat event.
	dedupWindow = 2 * time.Second
	// execNoteAge is how long an FAN_OPEN_EXEC path waits for the exec
	// it belongs to.
	execNoteAge = 500 * time.Millisecond
	// parkTimeout is how long the exec of a process that is gone already
	// waits for the FAN_OPEN_EXEC event that names its executable, and
	// maxParked bounds the execs waiting.
	parkTimeout = 100 * time.Millisecond
	maxParked   = 1024
	// pollInterval is the /proc scan period when the process connector
	// is unavailable.
	pollInterval = time.Second
	queueLen     = 4096
	readBufSize  = 64 << 10
)

// Collector reads fanotify and process connector events. Read must not be
// called concurrently with itself; Close and Stats may be called at any
// time.
type Collector struct {
	types      event.TypeSet
	excludePID int32
	proc       procReader

	notifFD, fidFD int // raw group fds, -1 when absent
	notif, fid     *os.File
	conn           *os.File
	connFD         int
	notifMask      uint64
	fidMask        uint64
	marked         []string       // mount points marked in both groups
	mountFDs       map[uint64]int // fsid → fd of a directory on it
	haveRename     bool
	connector      bool

	out  chan collectors.Record
	done chan struct{}
	wg   sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool

	// connMu serializes reading and handling the process connector, so
	// that the file event loops can drain it before they emit (see
	// drainConnector). connBuf and connClosed are guarded by it.
	connMu     sync.Mutex
	connBuf    []byte
	connClosed bool

	mu        sync.Mutex
	execNotes map[int32]execNote // pid → executable opened for exec
	lastExec  map[int32]time.Time
	writes    map[writeKey]time.Time
	created   map[writeKey]time.Time // files created, by creator, not yet paired with a write
	longPaths map[string]string      // inodeKey → cut path, of files created deeper than PATH_MAX
	movedFrom map[int32]string

	// parkMu guards parked, and is held while parked records are
	// emitted, so that later records of their process wait behind them.
	parkMu sync.Mutex
	parked map[int32]*parkedExec

	records, drops, malformed atomic.Uint64

	notify     collectors.Notify
	unnoticed  atomic.Uint64 // losses not yet in a notice
	lastNotice atomic.Int64  // time of the last notice, ns
}

// parkedExec holds back the records of a process whose exec the connector
// reported after the process was gone and before fanotify's open for exec
// named the executable: the exec, then the process's later records.
type parkedExec struct {
	recs  []collectors.Record
	timer *time.Timer
}

type execNote struct {
	path string
	at   time.Time
}

type writeKey struct {
	pid   int32
	path  string
	write bool // a write, or else a read
}

var _ collectors.Collector = (*Collector)(nil)

func notSupported(what string, err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("fanotify: %s: %w: %w", what, collectors.ErrNotSupported, err)
	}
	return fmt.Errorf("fanotify: %s: %w", what, err)
}

// New creates the fanotify groups, marks every local filesystem and
// subscribes to process events. Errors of fanotify_init that say the
// kernel or the privileges cannot run fanotify wrap
// collectors.ErrNotSupported.
func New(opts Options) (*Collector, error) {
	if opts.ExcludePID < 0 || opts.ExcludePID > 1<<31-1 {
		return nil, fmt.Errorf("fanotify: ExcludePID %d out of range", opts.ExcludePID)
	}
	c := &Collector{
		types:      opts.Types,
		excludePID: int32(opts.ExcludePID),
		notify:     opts.Notify,
		proc:       procReader{Root: "/proc", BootTime: bootTime(), TicksPerSec: 100, SkipEnv: opts.SkipEnv},
		notifFD:    -1,
		fidFD:      -1,
		connFD:     -1,
		mountFDs:   map[uint64]int{},
		out:        make(chan collectors.Record, queueLen),
		done:       make(chan struct{}),
		execNotes:  map[int32]execNote{},
		parked:     map[int32]*parkedExec{},
		lastExec:   map[int32]time.Time{},
		writes:     map[writeKey]time.Time{},
		created:    map[writeKey]time.Time{},
		longPaths:  map[string]string{},
		movedFrom:  map[int32]string{},
	}
	fd, err := unix.FanotifyInit(unix.FAN_CLASS_NOTIF|unix.FAN_CLOEXEC|unix.FAN_NONBLOCK,
		unix.O_RDONLY|unix.O_LARGEFILE|unix.O_CLOEXEC)
	if err != nil {
		return nil, notSupported("fanotify_init", err)
	}
	c.notifFD = fd
	fail := func(err error) (*Collector, error) {
		c.closeFDs()
		return nil, err
	}
	// The exec opens are always watched: they name the executable.
	c.notifMask = fanOpenExec
	if c.types.Has(event.TypeOpenat) {
		// FAN_CLOSE_NOWRITE: a file opened for reading and never
		// read(2) (mapped with mmap, whose page faults raise no
		// FAN_ACCESS) still tells its access mode when it is closed.
		c.notifMask |= fanOpen | fanAccess | fanCloseNowrite | fanModify | fanCloseWrite | fanOnDir
	}
	if c.types.Has(event.TypeOpenat) || c.types.Has(event.TypeMkdirat) {
		c.fidMask |= fanCreate
	}
	if c.types.Has(event.TypeUnlinkat) {
		c.fidMask |= fanDelete
	}
	if c.types.Has(event.TypeRenameat2) {
		c.fidMask |= fanRename
	}
	if c.fidMask != 0 {
		c.fidMask |= fanOnDir
		fd, err := unix.FanotifyInit(unix.FAN_CLASS_NOTIF|unix.FAN_CLOEXEC|unix.FAN_NONBLOCK|
			unix.FAN_REPORT_DFID_NAME|unix.FAN_REPORT_FID, unix.O_RDONLY|unix.O_CLOEXEC)
		if err != nil {
			return fail(notSupported("fanotify_init (FID)", err))
		}
		c.fidFD = fd
	}

	mf, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return fail(fmt.Errorf("fanotify: %w", err))
	}
	mounts := watchMounts(parseMountinfo(mf))
	mf.Close()
	if len(mounts) == 0 || mounts[0].MountPoint != "/" {
		mounts = append([]mount{{MountPoint: "/"}}, mounts...)
	}
	for i, m := range mounts {
		if err := c.mark(m.MountPoint); err != nil {
			if i == 0 {
				return fail(notSupported("mark /", err))
			}
			continue
		}
	}

	if err := c.openConnector(); err == nil {
		c.connector = true
	}

	c.notif = os.NewFile(uintptr(c.notifFD), "fanotify")
	c.wg.Add(1)
	go c.loop(c.notif, c.handleNotif)
	if c.fidFD >= 0 {
		c.fid = os.NewFile(uintptr(c.fidFD), "fanotify-fid")
		c.wg.Add(1)
		go c.loop(c.fid, c.handleFID)
	}
	c.wg.Add(1)
	if c.connector {
		c.conn = os.NewFile(uintptr(c.connFD), "proc-connector")
		go c.connLoop()
	} else {
		go c.pollLoop()
	}
	return c, nil
}

// mark marks the filesystem of dir in both groups; the FID group may
// refuse filesystems without file handles, which then are watched by the
// notification group only.
func (c *Collector) mark(dir string) error {
	if err := unix.FanotifyMark(c.notifFD, unix.FAN_MARK_ADD|unix.FAN_MARK_FILESYSTEM,
		c.notifMask, unix.AT_FDCWD, dir); err != nil {
		return err
	}
	c.marked = append(c.marked, dir)
	if c.fidFD < 0 {
		return nil
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return nil
	}
	fsid := uint64(uint32(st.Fsid.Val[0])) | uint64(uint32(st.Fsid.Val[1]))<<32
	if _, ok := c.mountFDs[fsid]; ok {
		return nil
	}
	mask := c.fidMask
	err := unix.FanotifyMark(c.fidFD, unix.FAN_MARK_ADD|unix.FAN_MARK_FILESYSTEM, mask, unix.AT_FDCWD, dir)
	if err != nil && mask&fanRename != 0 {
		// Before Linux 5.17: no FAN_RENAME; pair the moves instead.
		mask = mask&^fanRename | fanMovedFrom | fanMovedTo
		err = unix.FanotifyMark(c.fidFD, unix.FAN_MARK_ADD|unix.FAN_MARK_FILESYSTEM, mask, unix.AT_FDCWD, dir)
	} else if err == nil && mask&fanRename != 0 {
		c.haveRename = true
	}
	if err != nil {
		return nil
	}
	c.fidMask = mask
	mfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.FanotifyMark(c.fidFD, unix.FAN_MARK_REMOVE|unix.FAN_MARK_FILESYSTEM, mask, unix.AT_FDCWD, dir)
		return nil
	}
	c.mountFDs[fsid] = mfd
	return nil
}

func (c *Collector) openConnector() error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_CONNECTOR)
	if err != nil {
		return err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: cnIdxProc}); err != nil {
		unix.Close(fd)
		return err
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20)
	if err := unix.Sendto(fd, connectorListen(uint32(os.Getpid()), true), 0,
		&unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return err
	}
	c.connFD = fd
	return nil
}

// closeFDs closes what New opened before the files were wrapped.
func (c *Collector) closeFDs() {
	for _, fd := range []int{c.notifFD, c.fidFD, c.connFD} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	for _, fd := range c.mountFDs {
		unix.Close(fd)
	}
	c.notifFD, c.fidFD, c.connFD = -1, -1, -1
	c.mountFDs = nil
}

// Name returns "fanotify".
func (c *Collector) Name() string { return "fanotify" }

// Connector reports whether process events come from the netlink process
// connector (true) or from polling /proc (false).
func (c *Collector) Connector() bool { return c.connector }

// Read blocks until a record is available and stores it in r. The
// strings and slices in r are r's own. After Close, Read returns
// os.ErrClosed.
func (c *Collector) Read(r *collectors.Record) error {
	if c.closed.Load() {
		return os.ErrClosed
	}
	select {
	case rec := <-c.out:
		*r = rec
		return nil
	case <-c.done:
		return os.ErrClosed
	}
}

// Close removes the marks, closes every fd the collector opened and
// unblocks Read. It is safe to call more than once.
func (c *Collector) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		close(c.done)
		var errs []error
		for _, dir := range c.marked {
			unix.FanotifyMark(c.notifFD, unix.FAN_MARK_REMOVE|unix.FAN_MARK_FILESYSTEM, c.notifMask, unix.AT_FDCWD, dir)
		}
		if c.connFD >= 0 {
			unix.Sendto(c.connFD, connectorListen(uint32(os.Getpid()), false), 0,
				&unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		}
		c.connMu.Lock()
		c.connClosed = true
		c.connMu.Unlock()
		for _, f := range []*os.File{c.notif, c.fid, c.conn} {
			if f != nil {
				if err := f.Close(); err != nil {
					errs = append(errs, err)
				}
			}
		}
		c.wg.Wait()
		for _, fd := range c.mountFDs {
			unix.Close(fd)
		}
		c.mountFDs = nil
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}

// watched are the event types the collector was asked for.
func (c *Collector) watched() event.TypeSet { return c.types }

// Stats returns the counters. KernelDrops counts the events lost: one for
// each FAN_Q_OVERFLOW event (the kernel's fanotify queue was full) and
// each process connector overrun (ENOBUFS), each of which stands for at
// least one lost event (Options.Notify hears of them), one for each exec
// of a process gone before its command line could be read from /proc
// (its record is still delivered), and one for each file event whose
// path could not be found.
func (c *Collector) Stats() collectors.Stats {
	return collectors.Stats{
		Records:     c.records.Load(),
		KernelDrops: c.drops.Load(),
		Malformed:   c.malformed.Load(),
	}
}

// lostNoticeEvery bounds the rate of NoticeLost notices.
const lostNoticeEvery = time.Second

// lost counts a loss of events of unknown number and tells Notify, at
// most once per lostNoticeEvery (a notice says how many losses it
// stands for).
func (c *Collector) lost(what string) {
	c.drops.Add(1)
	n := c.unnoticed.Add(1)
	if c.notify == nil {
		return
	}
	now := time.Now().UnixNano()
	last := c.lastNotice.Load()
	if now-last < int64(lostNoticeEvery) || !c.lastNotice.CompareAndSwap(last, now) {
		return
	}
	n = c.unnoticed.Swap(0)
	msg := what
	if n > 1 {
		msg = fmt.Sprintf("%s (%d losses since the last notice)", what, n)
	}
	c.notify(collectors.Notice{Time: now, Collector: "fanotify", Kind: collectors.NoticeLost, Message: msg})
}

// emit queues rec for Read; it reports false once the collector is
// closed.
func (c *Collector) emit(rec *collectors.Record) bool {
	select {
	case c.out <- *rec:
		c.records.Add(1)
		return true
	case <-c.done:
		return false
	}
}

func (c *Collector) excluded(pid int64) bool {
	return c.excludePID > 0 && pid == int64(c.excludePID)
}

// loop reads one fanotify group until it is closed.
func (c *Collector) loop(f *os.File, handle func(*rawEvent)) {
	defer c.wg.Done()
	buf := make([]byte, readBufSize)
	for {
		n, err := f.Read(buf)
		if err != nil {
			if c.closed.Load() || errors.Is(err, os.ErrClosed) {
				return
			}
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
				continue
			}
			// An unexpected error: back off rather than spin.
			select {
			case <-c.done:
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		if lost := parseEvents(buf[:n], handle); lost > 0 {
			c.malformed.Add(1)
		}
	}
}

// fdPath returns the path of one of our own fds.
func fdPath(fd int) (string, error) {
	s, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(s, " (deleted)"), nil
}

func (c *Collector) handleNotif(ev *rawEvent) {
	if ev.FD >= 0 {
		defer unix.Close(int(ev.FD))
	}
	if ev.Mask&fanQOverflow != 0 {
		c.lost("fanotify queue overflow: file and exec events lost")
		return
	}
	if ev.Bad || ev.FD < 0 {
		c.malformed.Add(1)
		return
	}
	pid := int64(ev.PID)
	if pid <= 0 || c.excluded(pid) {
		return
	}
	path, err := fdPath(int(ev.FD))
	if errors.Is(err, unix.ENAMETOOLONG) {
		// Deeper than /proc can name. A directory's head can be
		// found by climbing from it; a file's cannot, but a file
		// just created is paired with its creation by inode.
		var st unix.Stat_t
		if unix.Fstat(int(ev.FD), &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			c.longFile(ev, &st)
			return
		}
		path, err = collectors.DirPath(int(ev.FD))
		if err != nil {
			c.drops.Add(1)
			return
		}
	}
	if err != nil || !strings.HasPrefix(path, "/") {
		return
	}
	now := time.Now()
	if ev.Mask&fanOpenExec != 0 {
		c.openExec(ev.PID, path, now)
		return
	}
	c.execFirst(ev.PID)
	if !c.types.Has(event.TypeOpenat) {
		return
	}
	kind := event.FDFile
	var st unix.Stat_t
	if unix.Fstat(int(ev.FD), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		kind = event.FDDirectory
	}
	var rec collectors.Record
	switch {
	case ev.Mask&(fanModify|fanCloseWrite) != 0:
		if !c.firstSeen(ev.PID, path, true, now) {
			return
		}
		openRecord(&rec, pid, now, path, kind)
		rec.Event.Args.Flags = unix.O_WRONLY
		if c.pairCreate(ev.PID, path, false, now) {
			rec.Event.Args.Flags = unix.O_WRONLY | unix.O_CREAT | event.OpenCreated
		}
		rec.Event.Args.Set |= event.ArgFlags
	case ev.Mask&(fanAccess|fanCloseNowrite) != 0 && kind == event.FDFile:
		// The file was read, or closed having been open read-only
		// (mmap reads raise no FAN_ACCESS): an open whose access mode
		// is known.
		if !c.firstSeen(ev.PID, path, false, now) {
			return
		}
		openRecord(&rec, pid, now, path, kind)
		rec.Event.Args.Flags = unix.O_RDONLY
		rec.Event.Args.Set |= event.ArgFlags
	case ev.Mask&fanOpen != 0:
		openRecord(&rec, pid, now, path, kind)
	default:
		return
	}
	c.emit(&rec)
}

// longFile handles an event of a file whose path is longer than /proc can
// name: a write pairs with the file's creation (whose directory fanotify
// named), which then stands for the open that created it for writing.
// The others are lost, and counted.
func (c *Collector) longFile(ev *rawEvent, st *unix.Stat_t) {
	if ev.Mask&(fanModify|fanCloseWrite) == 0 || !c.types.Has(event.TypeOpenat) {
		c.drops.Add(1)
		return
	}
	key, now := inodeKey(st), time.Now()
	if !c.firstSeen(ev.PID, key, true, now) {
		return
	}
	if !c.pairCreate(ev.PID, key, false, now) {
		// Unless a creation pairs with it later, this write is lost.
		c.drops.Add(1)
		return
	}
	c.mu.Lock()
	path, ok := c.longPaths[key]
	c.mu.Unlock()
	if !ok {
		c.drops.Add(1)
		return
	}
	var rec collectors.Record
	openRecord(&rec, int64(ev.PID), now, path, event.FDFile)
	rec.Event.Args.Flags = unix.O_WRONLY | unix.O_CREAT | event.OpenCreated
	rec.Event.Args.Set |= event.ArgFlags
	c.emit(&rec)
}

// openRecord fills rec with an openat event of path. The fd number is
// unknown: Res and FD.Num are 0.
func openRecord(rec *collectors.Record, pid int64, now time.Time, path string, kind event.FDKind) {
	*rec = collectors.Record{Kind: collectors.KindSyscall, PID: pid, TID: pid, Time: now.UnixNano()}
	ev := &rec.Event
	ev.Type = event.TypeOpenat
	ev.Time = rec.Time
	ev.TID = pid
	ev.Args.Path = path
	ev.Args.Set = event.ArgPath
	ev.FD = event.FD{Kind: kind, Num: 0, Name: path, NameRaw: path, RealPath: path} // fanotify gives the resolved path
}

// firstSeen reports whether a write (or read) of path by pid is the first
// within dedupWindow.
func (c *Collector) firstSeen(pid int32, path string, write bool, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := writeKey{pid, path, write}
	if t, ok := c.writes[k]; ok && now.Sub(t) < dedupWindow {
		return false
	}
	pruneOld(c.writes, now)
	c.writes[k] = now
	return true
}

// pruneOld drops the entries older than dedupWindow from m once it holds
// 4096, which bounds it.
func pruneOld(m map[writeKey]time.Time, now time.Time) {
	if len(m) < 4096 {
		return
	}
	for k, t := range m {
		if now.Sub(t) >= dedupWindow {
			delete(m, k)
		}
	}
}

// pairCreate pairs the creation of a file with a write of it by the same
// process (the FID group reports the one, the notification group the
// other, in either order): the creator had the file open for writing, as
// an open with O_CREAT for writing does. It reports true for whichever of
// the two comes second within dedupWindow, once; that record then stands
// for the open that created the file for writing. A creation without such
// a write (mknod, or an open for reading with O_CREAT) stays an open with
// O_CREAT and no access mode.
func (c *Collector) pairCreate(pid int32, path string, create bool, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := writeKey{pid, path, true}
	if create {
		if t, ok := c.writes[k]; ok && now.Sub(t) < dedupWindow {
			return true
		}
		pruneOld(c.created, now)
		c.created[k] = now
		return false
	}
	t, ok := c.created[k]
	if ok {
		delete(c.created, k)
	}
	return ok && now.Sub(t) < dedupWindow
}

// isInterpreter reports whether path is an ELF program interpreter, which
// the kernel opens for exec after the program itself.
func isInterpreter(path string) bool {
	b := filepath.Base(path)
	return strings.HasPrefix(b, "ld-linux") || strings.HasPrefix(b, "ld64.so") ||
		strings.HasPrefix(b, "ld-musl") || b == "ld.so"
}

// openExec handles an open for exec: with the process connector it names
// the executable of the exec the connector reports next; without it, it is
// the exec.
func (c *Collector) openExec(pid int32, path string, now time.Time) {
	if isInterpreter(path) {
		return
	}
	if c.connector {
		// Under parkMu: the connector either parked the exec already,
		// or will find the note when it would park it.
		c.parkMu.Lock()
		defer c.parkMu.Unlock()
		if c.releaseLocked(pid, path) {
			return
		}
		c.mu.Lock()
		if n, ok := c.execNotes[pid]; !ok || now.Sub(n.at) > execNoteAge {
			c.execNotes[pid] = execNote{path, now}
		}
		if len(c.execNotes) > 4096 {
			for p, n := range c.execNotes {
				if now.Sub(n.at) > execNoteAge {
					delete(c.execNotes, p)
				}
			}
		}
		c.mu.Unlock()
		return
	}
	// Without the connector: the first exec open of a process within
	// execNoteAge is its exec (a script's interpreter follows it).
	c.mu.Lock()
	t, ok := c.lastExec[pid]
	if ok && now.Sub(t) < execNoteAge {
		c.mu.Unlock()
		return
	}
	c.lastExec[pid] = now
	if len(c.lastExec) > 4096 {
		for p, t := range c.lastExec {
			if now.Sub(t) > execNoteAge {
				delete(c.lastExec, p)
			}
		}
	}
	c.mu.Unlock()
	var rec collectors.Record
	c.execRecord(&rec, int64(pid), int64(pid), now.UnixNano(), path)
	// /proc may still show the program before the exec: the path
	// fanotify reported is the executable.
	rec.Exec.ExePath = path
	c.emit(&rec)
}

// takeExecNote returns the executable fanotify saw pid open for exec.
func (c *Collector) takeExecNote(pid int32) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.execNotes[pid]
	delete(c.execNotes, pid)
	if !ok || time.Since(n.at) > execNoteAge {
		return "", false
	}
	return n.path, true
}

// execRecord fills rec with a KindExec record of tgid (thread tid), with
// details from /proc, and with an execve event when execve was asked for.
// filename is the executable path, "" when unknown.
func (c *Collector) execRecord(rec *collectors.Record, tgid, tid, ts int64, filename string) {
	*rec = collectors.Record{Kind: collectors.KindExec, PID: tgid, TID: tid, Time: ts}
	if _, argv := c.proc.readExec(tgid, &rec.Exec); !argv {
		// Gone before its details could be read: the record still
		// says what ran, but the command line is lost.
		c.drops.Add(1)
	}
	c.nameExec(rec, filename)
}

// nameExec sets the executable of an exec record: filename, when known,
// is the program fanotify saw opened for exec.
func (c *Collector) nameExec(rec *collectors.Record, filename string) {
	switch {
	case filename == "":
		filename = rec.Exec.ExePath
	case rec.Exec.ExePath == "":
		// The process is gone already; fanotify resolved the file it
		// opened for exec.
		rec.Exec.ExePath = filename
	}
	rec.Exec.Filename = filename
	if filename == "" || !c.types.Has(event.TypeExecve) {
		return
	}
	ev := &rec.Event
	ev.Type = event.TypeExecve
	ev.Time = rec.Time
	ev.TID = rec.TID
	ev.Args.Filename = filename
	ev.Args.PID = rec.TID
	ev.Args.Set = event.ArgFilename | event.ArgPID
}

func (c *Collector) handleFID(ev *rawEvent) {
	if ev.FD >= 0 {
		unix.Close(int(ev.FD))
	}
	if ev.Mask&fanQOverflow != 0 {
		c.lost("fanotify queue overflow: file creation, deletion and rename events lost")
		return
	}
	if ev.Bad {
		c.malformed.Add(1)
		return
	}
	pid := int64(ev.PID)
	if c.excluded(pid) {
		return
	}
	c.execFirst(ev.PID)
	now := time.Now()
	dir := ev.Mask&fanOnDir != 0
	var rec collectors.Record
	start := func(t event.Type) *event.Event {
		rec = collectors.Record{Kind: collectors.KindSyscall, Time: now.UnixNano()}
		if pid > 0 {
			rec.PID, rec.TID = pid, pid
		}
		rec.Event.Type = t
		rec.Event.Time = rec.Time
		rec.Event.TID = rec.TID
		return &rec.Event
	}
	if ev.Mask&fanCreate != 0 {
		if path, key, ok := c.resolveEntry(&ev.Dir); ok {
			pairKey := path
			if key != "" {
				// The writer's event cannot name the file: pair by inode.
				pairKey = key
			}
			switch {
			case dir && c.types.Has(event.TypeMkdirat):
				e := start(event.TypeMkdirat)
				e.Args.Path, e.Args.Name = path, path
				e.Args.Set = event.ArgPath | event.ArgName
				c.emit(&rec)
			case !dir && c.types.Has(event.TypeOpenat):
				openRecord(&rec, pid, now, path, event.FDFile)
				if pid <= 0 {
					rec.PID, rec.TID, rec.Event.TID = 0, 0, 0
				}
				rec.Event.Args.Flags = unix.O_CREAT | event.OpenCreated
				if c.pairCreate(ev.PID, pairKey, true, now) {
					rec.Event.Args.Flags |= unix.O_WRONLY
				}
				rec.Event.Args.Set |= event.ArgFlags
				c.emit(&rec)
			}
		}
	}
	if ev.Mask&fanRename != 0 && c.types.Has(event.TypeRenameat2) {
		oldp, ok1 := c.resolve(&ev.OldDir)
		newp, ok2 := c.resolve(&ev.NewDir)
		if ok1 && ok2 {
			e := start(event.TypeRenameat2)
			e.Args.OldPath, e.Args.NewPath = oldp, newp
			e.Args.Set = event.ArgOldPath | event.ArgNewPath
			c.emit(&rec)
		}
	}
	if ev.Mask&fanMovedFrom != 0 {
		if path, ok := c.resolve(&ev.Dir); ok {
			c.mu.Lock()
			c.movedFrom[ev.PID] = path
			c.mu.Unlock()
		}
	}
	if ev.Mask&fanMovedTo != 0 {
		c.mu.Lock()
		oldp, ok := c.movedFrom[ev.PID]
		delete(c.movedFrom, ev.PID)
		c.mu.Unlock()
		if newp, ok2 := c.resolve(&ev.Dir); ok && ok2 && c.types.Has(event.TypeRenameat2) {
			e := start(event.TypeRenameat2)
			e.Args.OldPath, e.Args.NewPath = oldp, newp
			e.Args.Set = event.ArgOldPath | event.ArgNewPath
			c.emit(&rec)
		}
	}
	if ev.Mask&fanDelete != 0 && c.types.Has(event.TypeUnlinkat) {
		if path, ok := c.resolve(&ev.Dir); ok {
			e := start(event.TypeUnlinkat)
			e.Args.Path, e.Args.Name = path, path
			if dir {
				e.Args.Flags = unix.AT_REMOVEDIR
			}
			e.Args.Set = event.ArgPath | event.ArgName | event.ArgFlags
			c.emit(&rec)
		}
	}
}

// resolve turns a directory file handle and a name into an absolute path.
func (c *Collector) resolve(f *fileID) (string, bool) {
	p, _, ok := c.resolveEntry(f)
	return p, ok
}

// resolveEntry is resolve, and for a path cut (deeper than PATH_MAX) also
// the key of the entry's inode (see inodeKey), "" otherwise.
func (c *Collector) resolveEntry(f *fileID) (path, key string, ok bool) {
	if !f.Valid || f.Name == "" || f.Name == "." || f.Name == ".." {
		return "", "", false
	}
	mfd, ok := c.mountFDs[f.FSID]
	if !ok {
		return "", "", false
	}
	fd, err := unix.OpenByHandleAt(mfd, unix.NewFileHandle(f.HandleType, f.Handle), unix.O_PATH|unix.O_CLOEXEC)
	if err != nil {
		return "", "", false
	}
	defer unix.Close(fd)
	// DirPath: a directory deeper than PATH_MAX keeps its head.
	dir, err := collectors.DirPath(fd)
	if err != nil {
		c.drops.Add(1)
		return "", "", false
	}
	if !strings.HasPrefix(dir, "/") {
		return "", "", false
	}
	switch {
	case event.PathIsCut(dir):
		path = dir
	case dir == "/":
		path = "/" + f.Name
	default:
		path = event.CutPath(dir + "/" + f.Name)
	}
	if event.PathIsCut(path) {
		var st unix.Stat_t
		if unix.Fstatat(fd, f.Name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
			key = inodeKey(&st)
			c.mu.Lock()
			if len(c.longPaths) >= 4096 {
				clear(c.longPaths)
			}
			c.longPaths[key] = path
			c.mu.Unlock()
		}
	}
	return path, key, true
}

// inodeKey stands for a file whose path is too long for /proc to name,
// in the maps keyed by path: no path starts with a NUL.
func inodeKey(st *unix.Stat_t) string {
	return "\x00" + strconv.FormatUint(st.Dev, 10) + ":" + strconv.FormatUint(st.Ino, 10)
}

// connLoop handles process connector events until the socket is closed.
func (c *Collector) connLoop() {
	defer c.wg.Done()
	rc, err := c.conn.SyscallConn()
	if err != nil {
		return
	}
	for {
		err := rc.Read(func(fd uintptr) bool {
			c.connMu.Lock()
			defer c.connMu.Unlock()
			c.recvConnector(int(fd))
			return false // wait until more arrives
		})
		if c.closed.Load() || errors.Is(err, os.ErrClosed) {
			return
		}
		select {
		case <-c.done:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// execFirst makes sure the exec of pid is handled before a file event of
// pid is: when fanotify saw pid open a program for exec and the connector
// has not reported that exec yet, the exec is waiting on the connector
// socket (the kernel queues it before the new program can raise any file
// event), so the socket is drained first. Two sockets read by two
// goroutines would otherwise let the file event overtake the exec.
func (c *Collector) execFirst(pid int32) {
	if !c.connector {
		return
	}
	c.mu.Lock()
	_, pending := c.execNotes[pid]
	c.mu.Unlock()
	if pending {
		c.drainConnector()
	}
}

// drainConnector handles the process events already waiting on the
// connector socket.
func (c *Collector) drainConnector() {
	c.connMu.Lock()
	defer c.connMu.Unlock()
	if !c.connClosed {
		c.recvConnector(c.connFD)
	}
}

// recvConnector reads and handles every message waiting on the connector
// socket fd, without blocking. Call it with connMu held.
func (c *Collector) recvConnector(fd int) {
	if c.connBuf == nil {
		c.connBuf = make([]byte, 64<<10)
	}
	off := monoOffset()
	for {
		n, _, err := unix.Recvfrom(fd, c.connBuf, unix.MSG_DONTWAIT)
		switch {
		case err == nil:
			if bad := parseConnector(c.connBuf[:n], func(pe *procEvent) { c.handleProc(pe, off) }); bad > 0 {
				c.malformed.Add(uint64(bad))
			}
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.ENOBUFS):
			// The socket overflowed: process events were lost.
			c.lost("process connector overrun: fork, exec and exit events lost")
		default: // EAGAIN: nothing left; or the socket is gone
			return
		}
	}
}

func (c *Collector) handleProc(pe *procEvent, off int64) {
	ts := int64(pe.Timestamp) + off
	var rec collectors.Record
	switch pe.What {
	case procEventFork:
		if c.excluded(pe.ParentTGID) {
			return
		}
		rec = collectors.Record{Kind: collectors.KindFork, PID: pe.ParentTGID, TID: pe.ParentPID, Time: ts,
			Fork: collectors.Fork{ParentPID: pe.ParentTGID, ChildPID: pe.TGID, ChildTID: pe.PID,
				Thread: pe.PID != pe.TGID}}
	case procEventExec:
		if c.excluded(pe.TGID) {
			return
		}
		filename, _ := c.takeExecNote(int32(pe.TGID))
		c.execRecord(&rec, pe.TGID, pe.PID, ts, filename)
	case procEventUID, procEventGID:
		if c.excluded(pe.TGID) {
			return
		}
		rec = collectors.Record{Kind: collectors.KindCred, PID: pe.TGID, TID: pe.PID, Time: ts}
		if pe.What == procEventUID {
			rec.Cred.UIDsKnown, rec.Cred.UID, rec.Cred.EUID = true, pe.RealID, pe.EffectiveID
		} else {
			rec.Cred.GIDsKnown, rec.Cred.GID, rec.Cred.EGID = true, pe.RealID, pe.EffectiveID
		}
	case procEventExit:
		if c.excluded(pe.TGID) {
			return
		}
		rec = collectors.Record{Kind: collectors.KindExit, PID: pe.TGID, TID: pe.PID, Time: ts,
			Exit: collectors.Exit{Code: pe.ExitCode, Thread: pe.PID != pe.TGID}}
	default:
		return
	}
	if c.park(int32(pe.TGID), &rec) {
		return
	}
	c.emit(&rec)
}

// park holds rec back when it is the exec of a process that is gone
// already, and fanotify has not named its executable yet (its open for
// exec may still be on its way), or when it follows such an exec. It
// reports whether it kept rec. The records go out when fanotify names the
// executable (release), or after parkTimeout without it.
func (c *Collector) park(tgid int32, rec *collectors.Record) bool {
	c.parkMu.Lock()
	defer c.parkMu.Unlock()
	if p, ok := c.parked[tgid]; ok {
		p.recs = append(p.recs, *rec)
		return true
	}
	if rec.Kind != collectors.KindExec || rec.Exec.ExePath != "" || len(c.parked) >= maxParked {
		return false
	}
	if path, ok := c.takeExecNote(tgid); ok {
		// fanotify named it while /proc was read.
		c.nameExec(rec, path)
		return false
	}
	p := &parkedExec{recs: []collectors.Record{*rec}}
	c.parked[tgid] = p
	p.timer = time.AfterFunc(parkTimeout, func() { c.release(tgid, "") })
	return true
}

// release emits the records parked for tgid, its exec named path when
// path is set. It reports whether there were any.
func (c *Collector) release(tgid int32, path string) bool {
	c.parkMu.Lock()
	defer c.parkMu.Unlock()
	return c.releaseLocked(tgid, path)
}

// releaseLocked is release with parkMu held.
func (c *Collector) releaseLocked(tgid int32, path string) bool {
	p, ok := c.parked[tgid]
	if !ok {
		return false
	}
	delete(c.parked, tgid)
	p.timer.Stop()
	if path != "" {
		c.nameExec(&p.recs[0], path)
	}
	for i := range p.recs {
		if !c.emit(&p.recs[i]) {
			break
		}
	}
	return true
}

// pollLoop scans /proc every pollInterval and reports the processes that
// appeared (a fork and an exec record with what /proc shows; no execve
// event, since no exec was seen) and the ones that went away (an exit of
// unknown code).
func (c *Collector) pollLoop() {
	defer c.wg.Done()
	known, _ := c.proc.listPIDs()
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		now, err := c.proc.listPIDs()
		if err != nil {
			continue
		}
		ts := time.Now().UnixNano()
		for pid := range now {
			if known[pid] || c.excluded(pid) {
				continue
			}
			ppid := c.proc.ppid(pid)
			fork := collectors.Record{Kind: collectors.KindFork, PID: ppid, TID: ppid, Time: ts,
				Fork: collectors.Fork{ParentPID: ppid, ChildPID: pid, ChildTID: pid}}
			if !c.emit(&fork) {
				return
			}
			rec := collectors.Record{Kind: collectors.KindExec, PID: pid, TID: pid, Time: ts}
			if alive, _ := c.proc.readExec(pid, &rec.Exec); alive {
				rec.Exec.Filename = rec.Exec.ExePath
				if !c.emit(&rec) {
					return
				}
			}
		}
		for pid := range known {
			if now[pid] || c.excluded(pid) {
				continue
			}
			rec := collectors.Record{Kind: collectors.KindExit, PID: pid, TID: pid, Time: ts}
			if !c.emit(&rec) {
				return
			}
		}
		known = now
	}
}

// monoOffset returns CLOCK_REALTIME - CLOCK_MONOTONIC in ns.
func monoOffset() int64 {
	var mono, rt unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono) != nil || unix.ClockGettime(unix.CLOCK_REALTIME, &rt) != nil {
		return 0
	}
	return rt.Nano() - mono.Nano()
}

// bootTime returns the wall clock time of boot in ns (CLOCK_REALTIME -
// CLOCK_BOOTTIME), the origin of /proc/PID/stat start times.
func bootTime() int64 {
	var b, rt unix.Timespec
	if unix.ClockGettime(unix.CLOCK_BOOTTIME, &b) != nil || unix.ClockGettime(unix.CLOCK_REALTIME, &rt) != nil {
		return 0
	}
	return rt.Nano() - b.Nano()
}
