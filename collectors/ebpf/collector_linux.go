//go:build linux && amd64

package ebpf

import (
	"errors"
	"fmt"
	"os"
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
)

const (
	// wakeupBytes is how much pending data makes the kernel wake the
	// reader (at most an eighth of the ring buffer). Waking it for every
	// record costs an interrupt each.
	wakeupBytes = 64 << 10
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
	for _, s := range syscallTypes {
		if !opts.Types.Has(s.t) {
			continue
		}
		if err := c.objs.LannerSyscalls.Put(s.nr, uint32(s.t)); err != nil {
			return fail("fill lanner_syscalls", err)
		}
	}
	if c.rd, err = ringbuf.NewReader(c.objs.LannerEvents); err != nil {
		return fail("ring buffer reader", err)
	}
	c.rd.SetDeadline(time.Now().Add(pollInterval))
	// Process events first, sys_enter last: no argument is stashed before
	// sys_exit is there to consume it.
	for _, a := range []struct {
		tp   string
		prog *ebpf.Program
	}{
		{"sched_process_fork", c.objs.LannerFork},
		{"sched_process_exec", c.objs.LannerExec},
		{"sched_process_exit", c.objs.LannerPexit},
		{"sys_exit", c.objs.LannerExit},
		{"sys_enter", c.objs.LannerEnter},
	} {
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: a.tp, Program: a.prog})
		if err != nil {
			return fail("attach "+a.tp, err)
		}
		c.links = append(c.links, l)
	}
	return c, nil
}

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
