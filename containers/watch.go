//go:build linux

package containers

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sys/unix"
)

// A watcher reads a container's metadata the moment its runtime writes
// it (inotify on Docker's container folders and containerd's task
// bundles) and keeps it in a bounded cache. A container that has already
// exited and been removed by the time its first event is handled (docker
// run --rm of a short command) is still described.
type watcher struct {
	l     *Lookup
	f     *os.File
	cache *lru.Cache[string, Info]

	mu sync.Mutex
	// dirs maps a watch descriptor to what it watches.
	dirs map[int32]watchDir
	// roots are the folders watched for new containers, with whether the
	// watch is in place.
	roots map[string]bool
	done  chan struct{}
	wg    sync.WaitGroup
}

type watchKind uint8

const (
	watchDockerRoot    watchKind = iota // <docker root>/containers
	watchDocker                         // <docker root>/containers/<id>
	watchTaskRoot                       // <state>/io.containerd.runtime.v2.task
	watchTaskNamespace                  // .../<namespace>
	watchBundle                         // .../<namespace>/<id>
)

type watchDir struct {
	kind watchKind
	path string
	id   string // container id for watchDocker and watchBundle
}

// cacheSize bounds the watcher's cache.
const cacheSize = 1024

// rootRetry is how often missing runtime folders are looked for again (a
// runtime started after Lanner).
const rootRetry = 2 * time.Second

// newWatcher starts watching; nil when inotify is not available.
func newWatcher(l *Lookup) *watcher {
	l.defaults()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil
	}
	w := &watcher{l: l, f: os.NewFile(uintptr(fd), "inotify"), dirs: map[int32]watchDir{}, done: make(chan struct{})}
	w.cache, _ = lru.New[string, Info](cacheSize)
	w.roots = map[string]bool{
		filepath.Join(l.root(l.DockerRoot), "containers"):         false,
		filepath.Join(l.root(l.ContainerdState), containerdTasks): false,
	}
	w.addRoots()
	w.wg.Add(2)
	go w.read()
	go w.retryRoots()
	return w
}

// get returns the cached metadata of a container.
func (w *watcher) get(id string) (Info, bool) {
	return w.cache.Get(id)
}

func (w *watcher) close() {
	close(w.done)
	w.f.Close()
	w.wg.Wait()
}

func (w *watcher) retryRoots() {
	defer w.wg.Done()
	t := time.NewTicker(rootRetry)
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-t.C:
			w.addRoots()
		}
	}
}

// addRoots watches the runtime folders that exist and are not yet
// watched, and the containers already in them.
func (w *watcher) addRoots() {
	w.mu.Lock()
	var todo []string
	for p, ok := range w.roots {
		if !ok {
			todo = append(todo, p)
		}
	}
	w.mu.Unlock()
	for _, p := range todo {
		kind := watchDockerRoot
		if filepath.Base(p) == containerdTasks {
			kind = watchTaskRoot
		}
		if w.add(watchDir{kind: kind, path: p}) {
			w.mu.Lock()
			w.roots[p] = true
			w.mu.Unlock()
			w.scan(kind, p)
		}
	}
}

// scan watches what a folder already holds.
func (w *watcher) scan(kind watchKind, dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.IsDir() {
			w.child(kind, dir, e.Name())
		}
	}
}

// child handles a new folder name in a watched folder of the given kind.
func (w *watcher) child(kind watchKind, dir, name string) {
	if !validID(name) {
		return
	}
	p := filepath.Join(dir, name)
	switch kind {
	case watchDockerRoot:
		if w.add(watchDir{kind: watchDocker, path: p, id: name}) {
			w.refresh(watchDocker, name, p)
		}
	case watchTaskRoot:
		if w.add(watchDir{kind: watchTaskNamespace, path: p}) {
			w.scan(watchTaskNamespace, p)
		}
	case watchTaskNamespace:
		if w.add(watchDir{kind: watchBundle, path: p, id: name}) {
			w.refresh(watchBundle, name, p)
		}
	}
}

// refresh reads a container's metadata into the cache.
func (w *watcher) refresh(kind watchKind, id, dir string) {
	var i Info
	var err error
	if kind == watchDocker {
		i, err = w.l.dockerFiles(id)
	} else {
		var doc []byte
		doc, err = readDocument(filepath.Join(dir, "config.json"))
		if err == nil {
			i, err = parseOCI(doc, "containerd")
			if err == nil && i.Name == "" && filepath.Base(filepath.Dir(dir)) != "moby" {
				i.Name = id
			}
		}
	}
	if err != nil {
		return
	}
	if kind == watchBundle {
		// Docker's own record is richer than the bundle it hands to
		// containerd (namespace moby): keep it.
		if have, ok := w.cache.Peek(id); ok && have.Runtime == "docker" {
			return
		}
	}
	w.cache.Add(id, i)
}

func (w *watcher) add(d watchDir) bool {
	mask := uint32(unix.IN_CREATE | unix.IN_ONLYDIR)
	if d.kind == watchDocker || d.kind == watchBundle {
		mask = unix.IN_CLOSE_WRITE | unix.IN_MOVED_TO | unix.IN_ONLYDIR
	}
	if d.kind == watchDockerRoot || d.kind == watchTaskRoot {
		mask |= unix.IN_DELETE_SELF
	}
	wd, err := unix.InotifyAddWatch(int(w.f.Fd()), d.path, mask)
	if err != nil {
		return false
	}
	w.mu.Lock()
	w.dirs[int32(wd)] = d
	w.mu.Unlock()
	return true
}

// read handles inotify events until close.
func (w *watcher) read() {
	defer w.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return
		}
		w.handle(buf[:n])
	}
}

// inotifyHeader is the size of struct inotify_event without its name.
const inotifyHeader = 16

// handle processes a buffer of inotify events.
func (w *watcher) handle(b []byte) {
	for len(b) >= inotifyHeader {
		wd := int32(binary.NativeEndian.Uint32(b[0:]))
		mask := binary.NativeEndian.Uint32(b[4:])
		nameLen := int(binary.NativeEndian.Uint32(b[12:]))
		if nameLen > len(b)-inotifyHeader {
			return
		}
		name := b[inotifyHeader : inotifyHeader+nameLen]
		for len(name) > 0 && name[len(name)-1] == 0 {
			name = name[:len(name)-1]
		}
		b = b[inotifyHeader+nameLen:]
		w.event(wd, mask, string(name))
	}
}

func (w *watcher) event(wd int32, mask uint32, name string) {
	w.mu.Lock()
	d, ok := w.dirs[wd]
	if mask&unix.IN_IGNORED != 0 {
		delete(w.dirs, wd)
		if ok && (d.kind == watchDockerRoot || d.kind == watchTaskRoot) {
			w.roots[d.path] = false
		}
	}
	w.mu.Unlock()
	if !ok || mask&unix.IN_IGNORED != 0 {
		return
	}
	switch d.kind {
	case watchDockerRoot, watchTaskRoot, watchTaskNamespace:
		if mask&unix.IN_CREATE != 0 && mask&unix.IN_ISDIR != 0 {
			w.child(d.kind, d.path, name)
		}
	case watchDocker:
		if name == "config.v2.json" || name == "hostconfig.json" {
			w.refresh(d.kind, d.id, d.path)
		}
	case watchBundle:
		if name == "config.json" {
			w.refresh(d.kind, d.id, d.path)
		}
	}
}
