package containers

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of a Resolver.
const (
	DefaultWorkers = 2
	DefaultQueue   = 256
	DefaultTimeout = 2 * time.Second
)

// Config sets up a Resolver.
type Config struct {
	Lookup Lookup
	// Find replaces Lookup.Find (tests, other sources).
	Find    func(ctx context.Context, id, runtime string) (Info, error)
	Workers int           // lookups run at once, default DefaultWorkers
	Queue   int           // requests waiting, default DefaultQueue
	Timeout time.Duration // deadline of one lookup, default DefaultTimeout
	// Watch keeps the metadata of Docker and containerd containers as they
	// are created (inotify), so that a container gone before its lookup
	// is still described. It applies to Lookup, not to Find, and only on
	// Linux.
	Watch bool
}

// Result is the answer to one request.
type Result struct {
	ID   string // the full id asked for
	Info Info
	Err  error // nil, ErrNotFound or the failure
}

// Stats are a Resolver's counters.
type Stats struct {
	Requests  uint64
	Found     uint64
	NotFound  uint64
	Failed    uint64 // malformed answers, unreadable files, dead sockets
	Timeouts  uint64 // lookups past their deadline (also counted in Failed)
	QueueFull uint64 // requests refused because the queue was full
}

// Resolver looks containers up in the background: Request queues a lookup
// (bounded, never blocking) and Results delivers the answers, one per
// accepted request.
type Resolver struct {
	cfg     Config
	reqs    chan request
	results chan Result
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	watch   *watcher
	stats   struct {
		requests, found, notFound, failed, timeouts, queueFull atomic.Uint64
	}
}

type request struct{ id, runtime string }

// NewResolver starts a Resolver's workers. Close stops them.
func NewResolver(cfg Config) *Resolver {
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	var w *watcher
	if cfg.Find == nil {
		l := cfg.Lookup
		cfg.Find = l.Find
		if cfg.Watch {
			w = newWatcher(&l)
		}
	}
	r := &Resolver{
		watch: w,
		cfg:   cfg,
		reqs:  make(chan request, cfg.Queue),
		// Room for every queued and running lookup: workers never block
		// on delivering a result.
		results: make(chan Result, cfg.Queue+cfg.Workers),
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	for range cfg.Workers {
		r.wg.Add(1)
		go r.work()
	}
	return r
}

// Request queues a lookup of the container with the full id; runtime is
// the runtime its cgroup path named, or empty. It returns false, counted,
// when the queue is full: no Result will come for it.
func (r *Resolver) Request(id, runtime string) bool {
	r.stats.requests.Add(1)
	select {
	case r.reqs <- request{id, runtime}:
		return true
	default:
		r.stats.queueFull.Add(1)
		return false
	}
}

// Results delivers one Result per accepted Request. Whoever requests must
// keep receiving: results not received hold up the workers once the
// channel is full.
func (r *Resolver) Results() <-chan Result { return r.results }

// Stats returns the counters; safe to call at any time.
func (r *Resolver) Stats() Stats {
	return Stats{
		Requests: r.stats.requests.Load(), Found: r.stats.found.Load(), NotFound: r.stats.notFound.Load(),
		Failed: r.stats.failed.Load(), Timeouts: r.stats.timeouts.Load(), QueueFull: r.stats.queueFull.Load(),
	}
}

// Close stops the workers, abandoning running lookups.
func (r *Resolver) Close() {
	r.cancel()
	r.wg.Wait()
	if r.watch != nil {
		r.watch.close()
	}
}

func (r *Resolver) work() {
	defer r.wg.Done()
	for {
		select {
		case <-r.ctx.Done():
			return
		case q := <-r.reqs:
			res := r.find(q)
			select {
			case r.results <- res:
			case <-r.ctx.Done():
				return
			}
		}
	}
}

// find runs one lookup under its deadline. A lookup that ignores the
// deadline is abandoned to finish on its own; its answer is dropped.
func (r *Resolver) find(q request) Result {
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.Timeout)
	defer cancel()
	done := make(chan Result, 1)
	go func() {
		i, err := safeFind(ctx, r.cfg.Find, q.id, q.runtime)
		done <- Result{ID: q.id, Info: i, Err: err}
	}()
	var res Result
	select {
	case res = <-done:
	case <-ctx.Done():
		res = Result{ID: q.id, Err: ctx.Err()}
	}
	if res.Err != nil && r.watch != nil {
		if i, ok := r.watch.get(q.id); ok {
			res = Result{ID: q.id, Info: i}
		}
	}
	switch {
	case res.Err == nil:
		r.stats.found.Add(1)
	case errors.Is(res.Err, ErrNotFound):
		r.stats.notFound.Add(1)
	default:
		r.stats.failed.Add(1)
		if errors.Is(res.Err, context.DeadlineExceeded) {
			r.stats.timeouts.Add(1)
		}
	}
	return res
}

// safeFind turns a panic of a lookup into an error.
func safeFind(ctx context.Context, find func(context.Context, string, string) (Info, error), id, runtime string) (i Info, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.New("container lookup failed")
		}
	}()
	return find(ctx, id, runtime)
}
