//go:build linux && (amd64 || arm64)

package ebpf

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

const (
	// wakeupBytes is how much pending data makes the kernel wake the
	// reader (at most an eighth of the ring buffer). Each wakeup costs an
	// interrupt in the kernel and a burst of Go scheduler work in the
	// reader, so the fewer the better.
	wakeupBytes = 1 << 20
	// pollInterval bounds how long a record can wait in the ring buffer
	// when less than wakeupBytes are pending.
	pollInterval = 50 * time.Millisecond
	// dropCheckInterval is how often the collector looks for new kernel
	// drops to report (Options.Notify).
	dropCheckInterval = time.Second
)

// Collector reads events from the kernel programs. Read must not be called
// concurrently with itself; Close and Stats may be called at any time.
type Collector struct {
	tee   func([]byte)
	objs  lannerObjects
	links []link.Link
	rd    *ringbuf.Reader
	rec   ringbuf.Record
	mode  string
	// ringSize is the ring buffer's size in bytes.
	ringSize int
	// absent are the event types of syscalls this kernel does not have
	// (no tracepoint, and the syscall always fails with ENOSYS).
	absent []event.Type
	watch  *tamperWatch

	// What SetTypes changes, under setMu: the types in lanner_syscalls,
	// those of them served by the raw_syscalls programs, the tracepoint
	// links of each type (also in links), whether the raw programs are
	// attached, whether syscalls go to the raw programs only (the
	// default, or tracefs could not be used), and whether tracefs has
	// the syscalls:* events.
	setMu             sync.Mutex
	watching, raw     event.TypeSet
	typeLinks         map[event.Type][]link.Link
	rawExit, rawEnter bool
	rawOnly           bool
	tracefs           bool

	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool

	// Stopping (see Close): reading is set while a reader is between
	// its first Read and the error that ends it; drained is closed by
	// Read when it has returned every record and ends the reading;
	// readEnded makes every later Read return os.ErrClosed.
	reading, readEnded atomic.Bool
	flushed            bool // Read saw the flush (Read's own)
	drained            chan struct{}
	drainedOnce        sync.Once

	mu         sync.Mutex // orders Stats' map lookups and Close
	finalDrops dropCounts // as Close found them
	released   bool       // the maps are closed
	stop       chan struct{}
	watcher    sync.WaitGroup

	records, malformed atomic.Uint64
}

var _ collectors.Collector = (*Collector)(nil)

// New loads the BPF programs, fills their maps and attaches them. When the
// kernel or the process's privileges cannot run BPF, the error wraps
// collectors.ErrNotSupported. On any error, whatever was attached is
// detached again. Nothing is pinned: the programs go away with the process.
// Once started, the collector checks its maps and links (see tamperWatch)
// and reports changes to opts.Notify.
func New(opts Options) (*Collector, error) {
	// The kernel charges BPF memory to the memory cgroup since 5.11; on
	// older kernels this raises RLIMIT_MEMLOCK, which may be refused.
	_ = rlimit.RemoveMemlock()

	spec, err := loadLanner()
	if err != nil {
		return nil, fmt.Errorf("ebpf: load spec: %w", err)
	}
	var mem uint64
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		mem = si.Totalram * uint64(si.Unit)
	}
	ringSize := ringBufferSize(opts.RingBufferBytes, DefaultRingBufferBytes(runtime.NumCPU(), mem), os.Getpagesize())
	spec.Maps["lanner_events"].MaxEntries = ringSize
	if opts.ExcludePID < 0 || opts.ExcludePID > 1<<31-1 {
		return nil, fmt.Errorf("ebpf: ExcludePID %d out of range", opts.ExcludePID)
	}
	if err := spec.Variables["exclude_tgid"].Set(uint32(opts.ExcludePID)); err != nil {
		return nil, fmt.Errorf("ebpf: set exclude_tgid: %w", err)
	}
	if err := spec.Variables["boot_offset"].Set(bootOffset()); err != nil {
		return nil, fmt.Errorf("ebpf: set boot_offset: %w", err)
	}
	if err := spec.Variables["wakeup_bytes"].Set(uint64(min(ringSize/8, wakeupBytes))); err != nil {
		return nil, fmt.Errorf("ebpf: set wakeup_bytes: %w", err)
	}

	c := &Collector{tee: opts.Tee, typeLinks: map[event.Type][]link.Link{},
		stop: make(chan struct{}), drained: make(chan struct{}), ringSize: int(ringSize)}
	if err := c.load(spec, opts.Tracepoints); err != nil {
		return nil, loadError("load programs", err)
	}
	fail := func(what string, err error) (*Collector, error) {
		c.Close()
		return nil, loadError(what, err)
	}
	if c.rd, err = ringbuf.NewReader(c.objs.LannerEvents); err != nil {
		return fail("ring buffer reader", err)
	}
	c.rd.SetDeadline(time.Now().Add(pollInterval))
	// Process events first, the syscall programs last, exits before
	// entries: no exec call is saved before something consumes it.
	for _, a := range []struct {
		tp   string
		prog *ebpf.Program
	}{
		{"sched_process_fork", c.objs.LannerFork},
		{"sched_process_exec", c.objs.LannerExec},
		{"sched_process_exit", c.objs.LannerPexit},
	} {
		if err := c.attachRaw(a.prog); err != nil {
			return fail("attach "+a.tp, err)
		}
	}
	if err := c.attachSyscalls(opts); err != nil {
		return fail("attach syscalls", err)
	}
	if err := c.startWatch(opts.Notify); err != nil {
		return fail("watch the maps", err)
	}
	if opts.Notify != nil {
		c.watcher.Add(1)
		go c.watchDrops(opts.Notify)
	}
	return c, nil
}

// rawModeObjects are the objects of the default mode: every program but
// lanner_tp_exit, which only Options.Tracepoints uses. The verifier takes
// a third of the load time on it (0.4 of 1.2 s on the 2-vCPU VM).
type rawModeObjects struct {
	lannerMaps
	lannerVariables
	LannerEnter   *ebpf.Program `ebpf:"lanner_enter"`
	LannerExec    *ebpf.Program `ebpf:"lanner_exec"`
	LannerExit    *ebpf.Program `ebpf:"lanner_exit"`
	LannerFork    *ebpf.Program `ebpf:"lanner_fork"`
	LannerPexit   *ebpf.Program `ebpf:"lanner_pexit"`
	LannerTpEnter *ebpf.Program `ebpf:"lanner_tp_enter"`
}

// load loads the maps and the programs into c.objs: all of them with
// tracepoints, else all but lanner_tp_exit (left nil).
func (c *Collector) load(spec *ebpf.CollectionSpec, tracepoints bool) error {
	if tracepoints {
		return spec.LoadAndAssign(&c.objs, nil)
	}
	var o rawModeObjects
	if err := spec.LoadAndAssign(&o, nil); err != nil {
		return err
	}
	c.objs.lannerMaps, c.objs.lannerVariables = o.lannerMaps, o.lannerVariables
	c.objs.LannerEnter, c.objs.LannerExec, c.objs.LannerExit = o.LannerEnter, o.LannerExec, o.LannerExit
	c.objs.LannerFork, c.objs.LannerPexit, c.objs.LannerTpEnter = o.LannerFork, o.LannerPexit, o.LannerTpEnter
	return nil
}

// RingBufferBytes returns the size of the ring buffer.
func (c *Collector) RingBufferBytes() int { return c.ringSize }

// watchDrops reports kernel drops to notify until Close.
func (c *Collector) watchDrops(notify collectors.Notify) {
	defer c.watcher.Done()
	lr := collectors.LossReporter{Collector: "ebpf", What: "records lost (ring buffer full)", Notify: notify}
	lr.Watch(c.stop, dropCheckInterval, func() (uint64, map[string]uint64) {
		s := c.Stats()
		return s.KernelDrops, s.KernelDropsByType
	})
}

// attachRaw attaches prog to the raw tracepoint it was built for: its
// section is tp_btf/<tracepoint>, so its arguments are typed.
func (c *Collector) attachRaw(prog *ebpf.Program) error {
	l, err := link.AttachTracing(link.TracingOptions{Program: prog})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.links = append(c.links, l)
	c.mu.Unlock()
	return nil
}

// attachSyscalls fills lanner_syscalls with the syscalls of opts.Types
// and the credential calls (the process table follows them), and
// attaches their programs: by default the raw_syscalls programs, which run
// for every syscall of every task and keep those marked in
// lanner_syscalls; with opts.Tracepoints the syscalls:sys_exit_<name>
// tracepoint of each (and sys_enter_<name> of the exec calls), so that
// other syscalls cost nothing, and where a tracepoint cannot be attached
// (no tracefs, or no tracepoint for it) the raw_syscalls programs. A
// syscall that this kernel lacks (it can only fail with ENOSYS) is left
// out.
func (c *Collector) attachSyscalls(opts Options) error {
	// The legacy calls this architecture lacks (arm64: open, creat, ...).
	for _, s := range collectors.AbsentSyscalls {
		if opts.Types.Has(s.Type) {
			c.absent = append(c.absent, s.Type)
		}
	}
	var want []int
	for i, s := range syscallTypes {
		if !opts.Types.Has(s.t) && !s.t.IsCred() {
			continue
		}
		if err := c.objs.LannerSyscalls.Put(s.nr, uint32(s.t)); err != nil {
			return err
		}
		c.watching.Add(s.t)
		want = append(want, i)
	}
	if len(want) == 0 {
		c.mode = "none"
		return nil
	}
	tracefsErr := ensureTracefs()
	c.tracefs = tracefsErr == nil
	if !opts.Tracepoints {
		tracefsErr = errors.New("raw_syscalls by default")
	}
	c.rawOnly = tracefsErr != nil
	var raw, missing []int
	for _, i := range want {
		s := syscallTypes[i]
		if tracefsErr != nil {
			if !hasTracepoint(s.name) {
				missing = append(missing, i)
			} else {
				raw = append(raw, i)
			}
			continue
		}
		err := c.attachTracepoints(s.name, s.t)
		switch {
		case err == nil:
		case errors.Is(err, os.ErrNotExist):
			missing = append(missing, i)
		default:
			raw = append(raw, i)
		}
	}
	var absent []string
	if len(missing) > 0 {
		names := make([]string, len(missing))
		for j, i := range missing {
			names[j] = syscallTypes[i].name
		}
		stub := enosysStubs(names)
		for _, i := range missing {
			if stub[syscallTypes[i].name] {
				absent = append(absent, syscallTypes[i].name)
				c.absent = append(c.absent, syscallTypes[i].t)
				c.watching.Remove(syscallTypes[i].t)
				c.objs.LannerSyscalls.Put(syscallTypes[i].nr, uint32(event.TypeUnknown))
			} else {
				raw = append(raw, i)
			}
		}
	}
	var rawNames []string
	for _, i := range raw {
		s := syscallTypes[i]
		if err := c.objs.LannerSyscalls.Put(s.nr, uint32(s.t)|scRaw); err != nil {
			return err
		}
		c.raw.Add(s.t)
		rawNames = append(rawNames, s.name)
	}
	switch {
	case len(raw) == 0:
		c.mode = "tracepoints"
	case len(raw)+len(absent) == len(want):
		c.mode = "raw_syscalls"
	default:
		c.mode = "tracepoints+raw_syscalls(" + strings.Join(rawNames, ",") + ")"
	}
	if len(absent) > 0 {
		c.mode += "; not in this kernel: " + strings.Join(absent, ",")
	}
	for _, i := range raw {
		if err := c.attachRawType(syscallTypes[i].name, syscallTypes[i].t); err != nil {
			return err
		}
	}
	return nil
}

// attachRawType serves syscall name, of type t, with the raw_syscalls exit
// program. An exec call's arguments are saved at entry by lanner_tp_enter
// on its syscalls:sys_enter_<name> tracepoint where tracefs has it (a
// program on raw sys_enter would run at the entry of every syscall), else
// by the raw sys_enter program.
func (c *Collector) attachRawType(name string, t event.Type) error {
	if err := c.attachRawSyscalls(false); err != nil {
		return err
	}
	if !savesArgs(t) {
		return nil
	}
	if c.tracefs {
		if l, err := link.Tracepoint("syscalls", "sys_enter_"+name, c.objs.LannerTpEnter, nil); err == nil {
			c.addLinks(t, l)
			return nil
		}
	}
	return c.attachRawSyscalls(true)
}

// attachRawSyscalls attaches the raw_syscalls exit program, and the entry
// program too when enter is set, unless already attached.
func (c *Collector) attachRawSyscalls(enter bool) error {
	if !c.rawExit {
		if err := c.attachRaw(c.objs.LannerExit); err != nil {
			return err
		}
		c.rawExit = true
	}
	if enter && !c.rawEnter {
		if err := c.attachRaw(c.objs.LannerEnter); err != nil {
			return err
		}
		c.rawEnter = true
	}
	return nil
}

// hasTracepoint reports whether syscall name may have a
// syscalls:sys_exit_<name> tracepoint: false only when tracefs is mounted
// and does not list it (this kernel lacks the syscall, or tracefs lacks
// syscall events, which enosysStubs then tells apart).
func hasTracepoint(name string) bool {
	for _, p := range []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"} {
		if _, err := os.Stat(p + "/events/syscalls"); err != nil {
			continue
		}
		_, err := os.Stat(p + "/events/syscalls/sys_exit_" + name)
		return err == nil
	}
	return true
}

// enosysStubs reports which of the syscalls names this kernel does not
// implement: their entry point __x64_sys_<name> is the weak stub that
// returns ENOSYS (see COND_SYSCALL), and they have no syscalls:*
// tracepoint. When /proc/kallsyms cannot tell, the answer is no.
func enosysStubs(names []string) map[string]bool {
	stub := map[string]bool{}
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		return stub
	}
	defer f.Close()
	want := map[string]string{}
	for _, n := range names {
		want["__x64_sys_"+n] = n
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "address type name [module]"
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		if n, ok := want[fields[2]]; ok && len(fields) == 3 {
			stub[n] = fields[1] == "W" || fields[1] == "w"
		}
	}
	if sc.Err() != nil {
		return map[string]bool{}
	}
	return stub
}

// savesArgs reports whether the syscall of type t saves its arguments at
// entry: the exec calls, whose registers a successful exec clears.
func savesArgs(t event.Type) bool { return t == event.TypeExecve || t == event.TypeExecveat }

// attachTracepoints attaches the program of syscall name to its
// syscalls:sys_exit_<name> tracepoint, and for an exec call also to
// sys_enter_<name>. On error nothing of it stays attached.
func (c *Collector) attachTracepoints(name string, t event.Type) error {
	exit, err := link.Tracepoint("syscalls", "sys_exit_"+name, c.objs.LannerTpExit, nil)
	if err != nil {
		return err
	}
	if !savesArgs(t) {
		c.addLinks(t, exit)
		return nil
	}
	enter, err := link.Tracepoint("syscalls", "sys_enter_"+name, c.objs.LannerTpEnter, nil)
	if err != nil {
		exit.Close()
		return err
	}
	c.addLinks(t, exit, enter)
	return nil
}

// addLinks records the tracepoint links of type t.
func (c *Collector) addLinks(t event.Type, ls ...link.Link) {
	c.mu.Lock()
	c.links = append(c.links, ls...)
	c.mu.Unlock()
	c.typeLinks[t] = append(c.typeLinks[t], ls...)
}

// SetTypes changes the syscall event types the collector delivers, while
// it runs: the programs of the types added are attached (tracepoints, or
// the raw_syscalls programs where a tracepoint cannot be had) before
// those of the types removed are detached, so that a type in both the old
// and the new set is never missed, and one added is delivered from the
// moment SetTypes returns. Safe to call concurrently with Read. On error,
// the types attached so far stay attached, and the old ones too.
func (c *Collector) SetTypes(ts event.TypeSet) error {
	c.setMu.Lock()
	defer c.setMu.Unlock()
	if c.closed.Load() {
		return os.ErrClosed
	}
	// The tamper watch is told what the map now holds.
	defer func() {
		if t := c.watch; t != nil {
			if got, err := t.syscallsMap(); err == nil {
				t.want = got
			}
		}
	}()
	absent := event.TypeSetOf(c.absent...)
	var errs []error
	for _, s := range syscallTypes {
		if !ts.Has(s.t) || c.watching.Has(s.t) || absent.Has(s.t) {
			continue
		}
		if err := c.objs.LannerSyscalls.Put(s.nr, uint32(s.t)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
			continue
		}
		if !c.rawOnly {
			if err := c.attachTracepoints(s.name, s.t); err == nil {
				c.watching.Add(s.t)
				continue
			}
		}
		if err := c.attachRawType(s.name, s.t); err != nil {
			c.objs.LannerSyscalls.Put(s.nr, uint32(event.TypeUnknown))
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
			continue
		}
		if err := c.objs.LannerSyscalls.Put(s.nr, uint32(s.t)|scRaw); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
			continue
		}
		c.watching.Add(s.t)
		c.raw.Add(s.t)
	}
	if len(errs) > 0 {
		return fmt.Errorf("ebpf: attach: %w", errors.Join(errs...))
	}
	for _, s := range syscallTypes {
		// Credential calls stay watched whatever the rules: the process
		// table follows them (see New).
		if ts.Has(s.t) || s.t.IsCred() || !c.watching.Has(s.t) {
			continue
		}
		c.detachLinks(c.typeLinks[s.t])
		delete(c.typeLinks, s.t)
		// lanner_syscalls is an array: an unknown type turns a
		// syscall off.
		if err := c.objs.LannerSyscalls.Put(s.nr, uint32(event.TypeUnknown)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
		}
		c.watching.Remove(s.t)
		c.raw.Remove(s.t)
	}
	c.describeMode()
	return errors.Join(errs...)
}

// detachLinks closes ls and forgets them.
func (c *Collector) detachLinks(ls []link.Link) {
	if len(ls) == 0 {
		return
	}
	gone := map[link.Link]bool{}
	for _, l := range ls {
		l.Close()
		gone[l] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.links = slices.DeleteFunc(c.links, func(l link.Link) bool { return gone[l] })
}

// describeMode sets Mode after SetTypes.
func (c *Collector) describeMode() {
	var rawNames []string
	n := 0
	for _, s := range syscallTypes {
		if c.watching.Has(s.t) {
			n++
		}
		if c.raw.Has(s.t) {
			rawNames = append(rawNames, s.name)
		}
	}
	mode := "tracepoints"
	switch {
	case n == 0:
		mode = "none"
	case len(rawNames) == n:
		mode = "raw_syscalls"
	case len(rawNames) > 0:
		mode = "tracepoints+raw_syscalls(" + strings.Join(rawNames, ",") + ")"
	}
	if len(c.absent) > 0 {
		var names []string
		for _, t := range c.absent {
			names = append(names, t.String())
		}
		mode += "; not in this kernel: " + strings.Join(names, ",")
	}
	c.mu.Lock()
	c.mode = mode
	c.mu.Unlock()
}

// Watched returns the syscall event types the collector delivers now.
func (c *Collector) Watched() event.TypeSet {
	c.setMu.Lock()
	defer c.setMu.Unlock()
	return c.watching
}

var tracefsMu sync.Mutex

// ensureTracefs makes sure that the syscalls:* trace events can be found
// in tracefs, mounting tracefs at /sys/kernel/tracing when neither it nor
// /sys/kernel/debug/tracing is mounted. The mount is left in place.
func ensureTracefs() error {
	tracefsMu.Lock()
	defer tracefsMu.Unlock()
	paths := []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}
	for _, p := range paths {
		if _, err := os.Stat(p + "/events/syscalls"); err == nil {
			return nil
		}
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(paths[0], &fs); err == nil && fs.Type == unix.TRACEFS_MAGIC {
		return errors.New("tracefs has no syscall events")
	}
	if err := unix.Mount("tracefs", paths[0], "tracefs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount tracefs: %w", err)
	}
	if _, err := os.Stat(paths[0] + "/events/syscalls"); err != nil {
		return err
	}
	return nil
}

// Mode says how syscall events are captured: "raw_syscalls" (the
// default: raw_syscalls sys_enter/sys_exit, which run for every syscall
// and keep those asked for), "tracepoints" (Options.Tracepoints: the
// syscalls:sys_exit_<name> tracepoints of the syscalls asked for),
// "tracepoints+raw_syscalls(name,...)" (the named syscalls have no
// tracepoint) or "none" (no syscall type was asked for). A suffix
// "; not in this kernel: name,..." names syscalls asked for that this
// kernel does not implement; they are not watched.
func (c *Collector) Mode() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mode
}

// Absent returns the event types asked for whose syscalls this kernel does
// not have: they are not watched, and no event of theirs can happen.
func (c *Collector) Absent() []event.Type { return c.absent }

// loadError wraps err, with collectors.ErrNotSupported when it says that
// BPF is unavailable rather than that the programs are wrong.
func loadError(what string, err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		return fmt.Errorf("ebpf: %s: %w", what, err)
	}
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.ENOSYS) ||
		errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, ebpf.ErrNotSupported) ||
		errors.Is(err, btf.ErrNotSupported) || errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("ebpf: %s: %w: %w", what, collectors.ErrNotSupported, err)
	}
	return fmt.Errorf("ebpf: %s: %w", what, err)
}

// bootOffset returns CLOCK_REALTIME - CLOCK_BOOTTIME in ns, which turns the
// kernel's bpf_ktime_get_boot_ns into wall clock time.
func bootOffset() int64 {
	best, bestSpan := int64(0), int64(-1)
	for range 5 {
		var b1, rt, b2 unix.Timespec
		if unix.ClockGettime(unix.CLOCK_BOOTTIME, &b1) != nil ||
			unix.ClockGettime(unix.CLOCK_REALTIME, &rt) != nil ||
			unix.ClockGettime(unix.CLOCK_BOOTTIME, &b2) != nil {
			continue
		}
		span := b2.Nano() - b1.Nano()
		if bestSpan < 0 || span < bestSpan {
			best, bestSpan = rt.Nano()-(b1.Nano()+span/2), span
		}
	}
	return best
}

// Name returns "ebpf".
func (c *Collector) Name() string { return "ebpf" }

// Read blocks until a record arrives and decodes it into r. Strings and
// slices in r point into the collector's buffer and are valid until the
// next Read. Records that cannot be decoded are counted in
// Stats().Malformed and skipped. Once Close has begun, Read returns the
// records still in the ring buffer, then os.ErrClosed.
func (c *Collector) Read(r *collectors.Record) error {
	if c.readEnded.Load() || c.rd == nil {
		return os.ErrClosed
	}
	c.reading.Store(true)
	for {
		err := c.rd.ReadInto(&c.rec)
		switch {
		case err == nil:
		case errors.Is(err, ringbuf.ErrFlushed):
			// Close stopped the programs, then flushed: what is left
			// in the ring buffer is read without waiting, and the
			// next empty ring ends the reading.
			c.flushed = true
			c.rd.SetDeadline(time.Now())
			continue
		case errors.Is(err, os.ErrDeadlineExceeded):
			if c.flushed {
				return c.endRead(os.ErrClosed)
			}
			// Nothing pending: wait again, until the kernel wakes us
			// or the next poll.
			c.rd.SetDeadline(time.Now().Add(pollInterval))
			continue
		case errors.Is(err, os.ErrClosed) || c.closed.Load():
			return c.endRead(os.ErrClosed)
		default:
			return c.endRead(fmt.Errorf("ebpf: read ring buffer: %w", err))
		}
		if c.tee != nil {
			c.tee(c.rec.RawSample)
		}
		if err := Decode(c.rec.RawSample, r); err != nil {
			c.malformed.Add(1)
			continue
		}
		c.records.Add(1)
		return nil
	}
}

// endRead ends the reading with err: later Reads return os.ErrClosed, and
// a Close waiting for the drain goes on.
func (c *Collector) endRead(err error) error {
	c.readEnded.Store(true)
	c.reading.Store(false)
	c.drainedOnce.Do(func() { close(c.drained) })
	return err
}

// drainTimeout bounds how long Close waits for the reader to take the
// records left in the ring buffer once the programs are stopped. A reader
// handles a full 16 MiB ring (about 54,000 records) in about 0.3 s.
const drainTimeout = 5 * time.Second

// Close stops the collector and releases everything it holds. It is safe
// to call more than once, and concurrently with Read.
//
// No record that a program wrote before Close is lost: Close first stops
// the programs (every syscall turned off in lanner_syscalls, the programs
// on raw tracepoints detached), then lets a reader that is running take
// every record left in the ring buffer (Read returns them, then
// os.ErrClosed), at most drainTimeout, and only then closes the ring
// buffer and the maps.
//
// Detaching a raw tracepoint program (the process programs, the default
// raw_syscalls exit program) costs the kernel almost nothing; a
// syscalls:* tracepoint waits for RCU grace periods under a global mutex
// when its BPF program and its perf event go, 20 to 40 ms each on a small
// VM, one after another: the two exec entry tracepoints by default, two
// per syscall with Options.Tracepoints. They are closed all at once,
// while the reader drains, which they never hold up.
func (c *Collector) Close() error {
	c.closeOnce.Do(func() {
		close(c.stop)
		c.watcher.Wait()
		c.stopWatch()
		// Under setMu: a SetTypes that has begun finishes before the
		// links are closed, and none begins after.
		c.setMu.Lock()
		c.closed.Store(true)
		c.setMu.Unlock()
		var errs []error
		tracepoints := map[link.Link]bool{}
		for _, ls := range c.typeLinks {
			for _, l := range ls {
				tracepoints[l] = true
			}
		}
		c.mu.Lock()
		var fast, slow []link.Link
		for _, l := range c.links {
			if tracepoints[l] {
				slow = append(slow, l)
			} else {
				fast = append(fast, l)
			}
		}
		c.links = nil
		c.mu.Unlock()
		if c.objs.LannerSyscalls != nil {
			// An unknown type turns each syscall off at once, whatever
			// program serves it.
			for _, s := range syscallTypes {
				c.objs.LannerSyscalls.Put(s.nr, uint32(event.TypeUnknown))
			}
		}
		// The tracepoints take a while to go, meanwhile the reader
		// drains the ring buffer.
		slowErrs := make(chan []error, 1)
		go func() { slowErrs <- closeAll(slow) }()
		errs = append(errs, closeAll(fast)...)
		if c.rd != nil {
			if c.reading.Load() {
				if err := c.rd.Flush(); err == nil {
					select {
					case <-c.drained:
					case <-time.After(drainTimeout):
					}
				}
			}
			// Interrupts a blocked ReadInto, and waits for it to return.
			c.readEnded.Store(true)
			if err := c.rd.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if closeHook != nil {
			closeHook()
		}
		errs = append(errs, <-slowErrs...)
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.objs.LannerDrops != nil {
			c.finalDrops = c.kernelDrops()
		}
		c.released = true
		if err := c.objs.Close(); err != nil {
			errs = append(errs, err)
		}
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}

// closeHook, when set (by tests), runs in Close once the reader is done
// and before Close waits for the syscalls:* tracepoint links to be
// detached.
var closeHook func()

// closeAll closes links concurrently and returns their errors.
func closeAll(links []link.Link) []error {
	errc := make(chan error, len(links))
	for _, l := range links {
		go func() { errc <- l.Close() }()
	}
	var errs []error
	for range links {
		if err := <-errc; err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// Stats returns the collector's counters. KernelDrops are records the
// kernel could not put in the full ring buffer.
func (c *Collector) Stats() collectors.Stats {
	s := collectors.Stats{Records: c.records.Load(), Malformed: c.malformed.Load()}
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.finalDrops
	if !c.released && c.objs.LannerDrops != nil {
		d = c.kernelDrops()
	}
	s.KernelDrops = d.total
	s.KernelDropsByType = d.byType
	return s
}

// dropCounts are the kernel's drops, in all and by slot name.
type dropCounts struct {
	total  uint64
	byType map[string]uint64
}

// kernelDrops sums lanner_drops over the CPUs; byType is nil while
// nothing was dropped.
func (c *Collector) kernelDrops() dropCounts {
	var d dropCounts
	var perCPU []uint64
	for slot := range dropSlots {
		if err := c.objs.LannerDrops.Lookup(uint32(slot), &perCPU); err != nil {
			continue
		}
		var n uint64
		for _, v := range perCPU {
			n += v
		}
		if n == 0 {
			continue
		}
		if d.byType == nil {
			d.byType = map[string]uint64{}
		}
		d.byType[dropSlotName(slot)] += n
		d.total += n
	}
	return d
}
