package state

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/lannersec/lanner/event"
	"golang.org/x/sys/unix"
)

// maxUserFile bounds how much of a passwd or group file is read.
const maxUserFile = 4 << 20

// userDB is the parsed passwd and group files of one root filesystem.
type userDB struct {
	users, groups map[uint32]string
	passwd, group fileID
	checked       int64 // when the files were last stat'ed, ns
}

// fileID tells whether a file changed.
type fileID struct {
	dev, ino    uint64
	size, mtime int64
	ok          bool
}

func statFile(path string) fileID {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return fileID{}
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino, size: st.Size, mtime: st.Mtim.Nano(), ok: true}
}

// userDB returns the user database for a process of container c (nil for
// the host) running as host pid pid.
func (t *Tables) userDB(c *event.Container, pid int64) *userDB {
	key, root := "", t.opts.HostRoot
	if c != nil {
		key = c.FullID
		root = filepath.Join(t.opts.ProcRoot, strconv.FormatInt(pid, 10), "root")
	}
	db := t.userDBs[key]
	now := t.now()
	if db != nil && now-db.checked < int64(UserDBRecheck) {
		return db
	}
	pwPath, grPath := filepath.Join(root, "etc", "passwd"), filepath.Join(root, "etc", "group")
	pw, gr := statFile(pwPath), statFile(grPath)
	if db == nil {
		db = &userDB{}
		t.userDBs[key] = db
	} else if c != nil && !pw.ok && !gr.ok {
		// The process is likely gone already: keep what is known.
		db.checked = now
		return db
	}
	db.checked = now
	if db.users == nil || pw != db.passwd {
		db.users, db.passwd = readIDFile(pwPath), pw
	}
	if db.groups == nil || gr != db.group {
		db.groups, db.group = readIDFile(grPath), gr
	}
	return db
}

// readIDFile reads a passwd or group file into id → name; both keep the
// name in the first field and the id in the third. The first line for an
// id wins. A missing or unreadable file gives an empty map.
func readIDFile(path string) map[uint32]string {
	m := make(map[uint32]string)
	b := readRegular(path, maxUserFile)
	if len(b) == 0 {
		return m
	}
	s := string(b)
	for len(s) > 0 {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		name, id, ok := parseIDLine(line)
		if !ok {
			continue
		}
		if _, dup := m[id]; !dup {
			m[id] = name
		}
	}
	return m
}

// parseIDLine parses "name:password:id:...".
func parseIDLine(line string) (name string, id uint32, ok bool) {
	if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
		return "", 0, false
	}
	var f [3]string
	rest := line
	for i := range f {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			if i < 2 {
				return "", 0, false
			}
			f[i], rest = rest, ""
			break
		}
		f[i], rest = rest[:j], rest[j+1:]
	}
	if f[0] == "" {
		return "", 0, false
	}
	v, err := strconv.ParseUint(f[2], 10, 32)
	if err != nil {
		return "", 0, false
	}
	return f[0], uint32(v), true
}

// readRegular reads at most limit bytes of a regular file, without
// blocking on a FIFO or reading a device that a container's root may put
// in place of the file.
func readRegular(path string, limit int64) []byte {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, limit)); err != nil {
		return nil
	}
	return buf.Bytes()
}
