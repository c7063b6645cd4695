//go:build linux && amd64

package ebpf

import (
	"bufio"
	"errors"
	"fmt"
	"os"
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
	// absent are the event types of syscalls this kernel does not have
	// (no tracepoint, and the syscall always fails with ENOSYS).
	absent []event.Type
	watch  *tamperWatch

	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool

	mu         sync.Mutex // orders Stats' map lookups and Close
	finalDrops uint64     // KernelDrops as Close found them

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
	ringSize := ringBufferSize(opts.RingBufferBytes, os.Getpagesize())
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

	c := &Collector{tee: opts.Tee}
	if err := spec.LoadAndAssign(&c.objs, nil); err != nil {
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
	return c, nil
}

// attachRaw attaches prog to the raw tracepoint it was built for: its
// section is tp_btf/<tracepoint>, so its arguments are typed.
func (c *Collector) attachRaw(prog *ebpf.Program) error {
	l, err := link.AttachTracing(link.TracingOptions{Program: prog})
	if err != nil {
		return err
	}
	c.links = append(c.links, l)
	return nil
}

// attachSyscalls fills lanner_syscalls with the syscalls of opts.Types
// and the credential calls (the process table follows them), and attaches their programs: the syscalls:sys_exit_<name> tracepoint of
// each (and sys_enter_<name> of the exec calls), so that other syscalls
// cost nothing. A syscall whose tracepoint cannot be attached (no tracefs,
// or no tracepoint for it) falls back to the raw_syscalls programs, which
// run for every syscall of every task. A syscall that has no tracepoint
// because this kernel lacks it (it can only fail with ENOSYS) is left out.
func (c *Collector) attachSyscalls(opts Options) error {
	var want []int
	for i, s := range syscallTypes {
		if !opts.Types.Has(s.t) && !s.t.IsCred() {
			continue
		}
		if err := c.objs.LannerSyscalls.Put(s.nr, uint32(s.t)); err != nil {
			return err
		}
		want = append(want, i)
	}
	if len(want) == 0 {
		c.mode = "none"
		return nil
	}
	tracefsErr := errors.New("raw_syscalls asked for")
	if !opts.rawSyscalls {
		tracefsErr = ensureTracefs()
	}
	var raw, missing []int
	for _, i := range want {
		s := syscallTypes[i]
		if tracefsErr != nil {
			raw = append(raw, i)
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
			} else {
				raw = append(raw, i)
			}
		}
	}
	var rawNames []string
	rawEnter := false
	for _, i := range raw {
		s := syscallTypes[i]
		if err := c.objs.LannerSyscalls.Put(s.nr, uint32(s.t)|scRaw); err != nil {
			return err
		}
		rawNames = append(rawNames, s.name)
		rawEnter = rawEnter || savesArgs(s.t)
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
	if len(raw) == 0 {
		return nil
	}
	if err := c.attachRaw(c.objs.LannerExit); err != nil {
		return err
	}
	if rawEnter {
		return c.attachRaw(c.objs.LannerEnter)
	}
	return nil
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
		c.links = append(c.links, exit)
		return nil
	}
	enter, err := link.Tracepoint("syscalls", "sys_enter_"+name, c.objs.LannerTpEnter, nil)
	if err != nil {
		exit.Close()
		return err
	}
	c.links = append(c.links, exit, enter)
	return nil
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

// Mode says how syscall events are captured: "tracepoints" (the
// syscalls:sys_exit_<name> tracepoints of the syscalls asked for),
// "raw_syscalls" (raw_syscalls sys_enter/sys_exit, which run for every
// syscall: tracefs was not available),
// "tracepoints+raw_syscalls(name,...)" (the named syscalls have no
// tracepoint) or "none" (no syscall type was asked for). A suffix
// "; not in this kernel: name,..." names syscalls asked for that this
// kernel does not implement; they are not watched.
func (c *Collector) Mode() string { return c.mode }

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
// Stats().Malformed and skipped. After Close, Read returns os.ErrClosed.
func (c *Collector) Read(r *collectors.Record) error {
	for {
		if c.closed.Load() || c.rd == nil {
			return os.ErrClosed
		}
		err := c.rd.ReadInto(&c.rec)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// Nothing pending: wait again, until the kernel wakes us
			// or the next poll.
			c.rd.SetDeadline(time.Now().Add(pollInterval))
			continue
		}
		if err != nil {
			if errors.Is(err, os.ErrClosed) || c.closed.Load() {
				return os.ErrClosed
			}
			return fmt.Errorf("ebpf: read ring buffer: %w", err)
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

// Close detaches every program and releases the maps; it unblocks Read.
// It is safe to call more than once.
func (c *Collector) Close() error {
	c.closeOnce.Do(func() {
		c.stopWatch()
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.objs.LannerDrops != nil {
			c.finalDrops = c.kernelDrops()
		}
		c.closed.Store(true)
		var errs []error
		// Detach first so that nothing more is produced.
		for i := len(c.links) - 1; i >= 0; i-- {
			if err := c.links[i].Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if c.rd != nil {
			if err := c.rd.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if err := c.objs.Close(); err != nil {
			errs = append(errs, err)
		}
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}

// Stats returns the collector's counters. KernelDrops are records the
// kernel could not put in the full ring buffer.
func (c *Collector) Stats() collectors.Stats {
	s := collectors.Stats{Records: c.records.Load(), Malformed: c.malformed.Load()}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		s.KernelDrops = c.finalDrops
	} else if c.objs.LannerDrops != nil {
		s.KernelDrops = c.kernelDrops()
	}
	return s
}

func (c *Collector) kernelDrops() uint64 {
	var perCPU []uint64
	if err := c.objs.LannerDrops.Lookup(uint32(0), &perCPU); err != nil {
		return 0
	}
	var n uint64
	for _, v := range perCPU {
		n += v
	}
	return n
}
