package audit

import "github.com/lannersec/lanner/event"

// maxFDs bounds the descriptors the fd table remembers; beyond it the
// oldest entry is forgotten.
const maxFDs = 8192

// fileID identifies a file: its device (major<<32 | minor) and inode, as
// PATH records and stat(2) give them.
type fileID struct {
	dev, ino uint64
}

type fdKey struct {
	pid int64
	fd  int64
}

// fdEntry is what audited calls said about one descriptor of one process:
// a directory (its absolute path and identity) or a socket (its kind and
// transport protocol).
type fdEntry struct {
	key  fdKey
	used bool
	dir  bool
	id   fileID
	path []byte
	kind event.FDKind
	l4   event.L4Proto
	// cloexec: the descriptor is closed when the process execs.
	cloexec bool
}

// fdTable remembers the directories processes opened and the sockets they
// created, by descriptor, from the records of those calls: audit does not
// say what a dirfd names nor what protocol a connected socket uses, and the
// process may be gone before /proc can be asked. It is bounded (maxFDs,
// oldest forgotten first) and allocates nothing once its slots have grown
// to the paths they hold. An entry can be stale (the descriptor was
// replaced by a call audit did not report, such as dup2): users check
// what they take from it where they can (a directory's identity against
// the PATH records, a socket's protocol against the socket itself).
type fdTable struct {
	slots []fdEntry
	next  int
	index map[fdKey]int32
	byPID map[int64]int32 // entries per process
}

// newFDTable returns an empty table; its slots are made at the first put.
func newFDTable() *fdTable { return &fdTable{} }

// get returns the entry of fd of process pid, or nil.
func (t *fdTable) get(pid, fd int64) *fdEntry {
	i, ok := t.index[fdKey{pid, fd}]
	if !ok {
		return nil
	}
	return &t.slots[i]
}

// put returns the entry of fd of process pid, emptied, to be filled.
func (t *fdTable) put(pid, fd int64) *fdEntry {
	if t.slots == nil {
		t.slots = make([]fdEntry, maxFDs)
		t.index = make(map[fdKey]int32, maxFDs)
		t.byPID = make(map[int64]int32, maxFDs)
	}
	k := fdKey{pid, fd}
	if i, ok := t.index[k]; ok {
		e := &t.slots[i]
		e.reset()
		return e
	}
	i := t.next
	t.next = (t.next + 1) % len(t.slots)
	e := &t.slots[i]
	if e.used {
		t.forget(e)
	}
	e.reset()
	e.key, e.used = k, true
	t.index[k] = int32(i)
	t.byPID[pid]++
	return e
}

func (e *fdEntry) reset() {
	key, used, path := e.key, e.used, e.path[:0]
	*e = fdEntry{key: key, used: used, path: path}
}

// drop forgets fd of process pid.
func (t *fdTable) drop(pid, fd int64) {
	if i, ok := t.index[fdKey{pid, fd}]; ok {
		t.forget(&t.slots[i])
	}
}

// dropPID forgets every descriptor of process pid.
func (t *fdTable) dropPID(pid int64) {
	if t.byPID[pid] == 0 {
		return
	}
	for i := range t.slots {
		if e := &t.slots[i]; e.used && e.key.pid == pid {
			t.forget(e)
		}
	}
}

func (t *fdTable) forget(e *fdEntry) {
	delete(t.index, e.key)
	if n := t.byPID[e.key.pid] - 1; n > 0 {
		t.byPID[e.key.pid] = n
	} else {
		delete(t.byPID, e.key.pid)
	}
	e.used = false
}

// copyPID gives process child the descriptors of process parent, as fork
// does.
func (t *fdTable) copyPID(parent, child int64) {
	if t.byPID[parent] == 0 {
		return
	}
	t.dropPID(child)
	n := 0
	for i := range t.slots {
		if n == int(t.byPID[parent]) {
			break
		}
		e := &t.slots[i]
		if !e.used || e.key.pid != parent {
			continue
		}
		n++
		c := t.put(child, e.key.fd)
		if c == e {
			continue // the table is full of the parent's: keep them
		}
		path := c.path
		*c = *e
		c.key, c.path = fdKey{child, e.key.fd}, append(path, e.path...)
	}
}

// dropCloexec forgets the close-on-exec descriptors of process pid, which
// has just run a new program.
func (t *fdTable) dropCloexec(pid int64) {
	if t.byPID[pid] == 0 {
		return
	}
	for i := range t.slots {
		if e := &t.slots[i]; e.used && e.key.pid == pid && e.cloexec {
			t.forget(e)
		}
	}
}
