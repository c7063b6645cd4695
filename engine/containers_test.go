package engine

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/containers"
	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/ruleset"
	"github.com/lannersec/lanner/state"
)

// containerID returns a 64-hex container id for n.
func containerID(n int) string {
	return fmt.Sprintf("%064x", n+1)
}

// containerExec is the exec of a container's first process (pid 1 in it).
func containerExec(pid int64, at int64, id string) *collectors.Record {
	return &collectors.Record{Kind: collectors.KindExec, PID: pid, TID: pid, Time: at,
		Event: event.Event{Type: event.TypeExecve, Time: at},
		Exec:  collectors.Exec{Comm: "sh", Args: []string{"sh"}, VPID: 1, CgroupPath: "4:memory:/docker/" + id, LoginUID: 0xffffffff}}
}

type seen struct {
	typ        event.Type
	name       string
	privileged bool
}

// containerEngine returns an engine whose one rule records every
// execve and container event it sees, with a resolver over find.
func containerEngine(t *testing.T, find func(ctx context.Context, id, runtime string) (containers.Info, error), wait time.Duration, tables state.Options) (*Engine, *[]seen) {
	t.Helper()
	var got []seen
	r := &ruleset.Rule{Name: "r", Enabled: true, EvtTypes: []event.Type{event.TypeExecve, event.TypeContainer},
		Match: func(ev *event.Event) bool {
			name, _ := event.ContainerName(ev, event.Arg{})
			priv, _ := event.ContainerPrivileged(ev, event.Arg{})
			got = append(got, seen{ev.Type, name, priv})
			return false
		}}
	res := containers.NewResolver(containers.Config{Find: find, Timeout: 5 * time.Second})
	t.Cleanup(res.Close)
	if tables.ProcRoot == "" {
		tables.ProcRoot = t.TempDir()
	}
	e := New(Config{Tables: state.New(tables), Rules: ruleset.New([]*ruleset.Rule{r}, ruleset.Selection{}, ruleset.MatchAll),
		Containers: res, MetadataWait: wait})
	return e, &got
}

// TestContainerStart: the first process of a new container raises one
// container event, after the runtime's answer, and the execve sees the
// metadata too.
func TestContainerStart(t *testing.T) {
	e, got := containerEngine(t, func(_ context.Context, id, _ string) (containers.Info, error) {
		return containers.Info{Name: "web-" + id[60:], Privileged: true}, nil
	}, time.Second, state.Options{})
	id := containerID(7)
	e.Handle(containerExec(100, 1e18, id))
	e.Handle(containerExec(100, 2e18, id)) // the init execs again
	want := []seen{{event.TypeContainer, "web-0008", true}, {event.TypeExecve, "web-0008", true}, {event.TypeExecve, "web-0008", true}}
	if fmt.Sprint(*got) != fmt.Sprint(want) {
		t.Errorf("saw %v, want %v", *got, want)
	}
	if s := e.Stats(); s.ContainerStarts != 1 || s.Metadata.Found != 1 || s.MetadataTimeouts != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestContainerMetadataTimeout: a runtime slower than the wait lets the
// events go on without metadata (counted); the answer, once in, serves
// later events.
func TestContainerMetadataTimeout(t *testing.T) {
	release := make(chan struct{})
	e, got := containerEngine(t, func(ctx context.Context, id, _ string) (containers.Info, error) {
		<-release
		return containers.Info{Name: "slow"}, nil
	}, 50*time.Millisecond, state.Options{})
	id := containerID(1)
	// Handle returns although the runtime has not answered (it answers
	// only once released).
	handled := make(chan struct{})
	go func() {
		e.Handle(containerExec(100, 1e18, id))
		close(handled)
	}()
	select {
	case <-handled:
	case <-time.After(30 * time.Second):
		t.Fatal("Handle waits for a runtime that does not answer")
	}
	close(release)
	time.Sleep(100 * time.Millisecond)
	e.Handle(&collectors.Record{Kind: collectors.KindExec, PID: 101, TID: 101, Time: 3e18,
		Event: event.Event{Type: event.TypeExecve, Time: 3e18},
		Exec:  collectors.Exec{Comm: "ls", Args: []string{"ls"}, PPID: 100, VPID: 2, CgroupPath: "4:memory:/docker/" + id}})
	want := []seen{{event.TypeContainer, "", false}, {event.TypeExecve, "", false}, {event.TypeExecve, "slow", false}}
	if fmt.Sprint(*got) != fmt.Sprint(want) {
		t.Errorf("saw %v, want %v", *got, want)
	}
	if s := e.Stats(); s.MetadataTimeouts != 1 || s.Metadata.Found != 1 {
		t.Errorf("stats %+v", s)
	}
}

// TestContainerLookupFailure: a failed lookup is counted once and the
// container's events go on at once.
func TestContainerLookupFailure(t *testing.T) {
	e, got := containerEngine(t, func(context.Context, string, string) (containers.Info, error) {
		return containers.Info{}, fmt.Errorf("garbage")
	}, time.Second, state.Options{})
	id := containerID(2)
	e.Handle(containerExec(100, 1e18, id))
	e.Handle(containerExec(100, 2e18, id))
	if len(*got) != 3 {
		t.Errorf("saw %v", *got)
	}
	if s := e.Stats(); s.Metadata.Failed != 1 || s.Metadata.Requests != 1 || s.MetadataTimeouts != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestManyShortContainers: 10,000 containers that each run one process
// and exit keep the tables and the heap bounded; every container is
// looked up once and raises one start event.
func TestManyShortContainers(t *testing.T) {
	const n = 10000
	e, got := containerEngine(t, func(_ context.Context, id, _ string) (containers.Info, error) {
		return containers.Info{Name: "c" + id[56:], Labels: map[string]string{"app": strings.Repeat("x", 64)}}, nil
	}, time.Second, state.Options{MaxContainers: 512})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		pid := int64(1000 + i)
		e.Handle(containerExec(pid, int64(i+1)*1e6, containerID(i)))
		e.Handle(&collectors.Record{Kind: collectors.KindExit, PID: pid, TID: pid, Time: int64(i+1)*1e6 + 1})
		*got = (*got)[:0]
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	s := e.Stats()
	if s.Tables.Containers > 512 || s.Tables.ContainerEvictions < n-512 {
		t.Errorf("containers %d, evictions %d", s.Tables.Containers, s.Tables.ContainerEvictions)
	}
	if s.ContainerStarts != n || s.Metadata.Requests != n || s.Metadata.Found != n {
		t.Errorf("starts %d, metadata %+v", s.ContainerStarts, s.Metadata)
	}
	if s.Tables.Processes > state.KeepExited+10 { // exited processes are kept a little while
		t.Errorf("%d processes left", s.Tables.Processes)
	}
	growth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap growth after %d containers: %d KiB", n, growth>>10)
	if growth > 8<<20 {
		t.Errorf("heap grew by %d KiB", growth>>10)
	}
}

// TestStuckRuntime: when a runtime stops answering, only the first few
// new containers wait for it; the pipeline then goes on at once, and waits
// again once answers come back.
func TestStuckRuntime(t *testing.T) {
	release := make(chan struct{})
	e, _ := containerEngine(t, func(ctx context.Context, id, _ string) (containers.Info, error) {
		select {
		case <-release:
			return containers.Info{Name: "late"}, nil
		case <-ctx.Done():
			return containers.Info{}, ctx.Err()
		}
	}, 100*time.Millisecond, state.Options{})
	for i := range 10 {
		e.Handle(containerExec(int64(100+i), int64(i+1)*1e9, containerID(i)))
	}
	// Only the first few waited (each wait that ran out is counted).
	if s := e.Stats(); s.MetadataTimeouts != maxMissedWaits {
		t.Errorf("wait timeouts %d, want %d", s.MetadataTimeouts, maxMissedWaits)
	}
	close(release)
}
