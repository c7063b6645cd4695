package collectors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/event"
)

// Bounds on DirPath's work, whatever the directory tree an attacker
// builds.
const (
	// maxClimb bounds the levels DirPath climbs to find an ancestor
	// whose path the kernel still gives: a directory deeper than that
	// below any such ancestor is not named (an error), never guessed.
	maxClimb = 1 << 14
	// maxDescend is the number of levels DirPath keeps of its climb, to
	// walk back down: each level adds at least two bytes ("/" and a
	// name), so that many make a head longer than event.PathMax from any
	// ancestor. What DirPath holds does not grow with the depth.
	maxDescend = event.PathMax/2 + 2
	// maxEntries bounds the entries DirPath reads of one directory to
	// find a child in it.
	maxEntries = 1 << 16
	// direntBuf is the size of the buffer directory entries are read
	// into.
	direntBuf = 32 << 10
)

// dirID is a directory's device and inode.
type dirID struct{ dev, ino uint64 }

func idOf(st *unix.Stat_t) dirID { return dirID{uint64(st.Dev), st.Ino} }

// DirPath returns the absolute path of the directory open as fd (any
// flags, O_PATH included), as this process sees it. A path longer than
// the kernel can name through /proc (PATH_MAX) is returned cut, as
// event.CutPath cuts: DirPath climbs ("..") to the nearest ancestor
// whose path the kernel still gives, then finds the names below it by
// their inode numbers, until it has the head. It climbs at most maxClimb
// levels, keeps the last maxDescend of them, reads at most maxEntries
// entries of a directory, and fails (unix.ENAMETOOLONG) beyond: its time
// and memory are bounded whatever the depth. fd stays open.
func DirPath(fd int) (string, error) { return dirPath(fd, maxClimb) }

// dirPath is DirPath climbing at most climb levels.
func dirPath(fd, climb int) (string, error) {
	var link linkBuf
	p, err := link.fdLink(fd)
	if err == nil || !errors.Is(err, unix.ENAMETOOLONG) {
		return p, err
	}
	// ring holds the ids of the last levels climbed past (level i at
	// ring[i%len(ring)]), from fd (level 0) upward.
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return "", err
	}
	ring := make([]dirID, maxDescend)
	ring[0] = idOf(&st)
	levels := 1
	cur, err := unix.Openat(fd, "..", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer func() { unix.Close(cur) }()
	var head string
	for {
		if levels > climb {
			return "", unix.ENAMETOOLONG
		}
		if err := unix.Fstat(cur, &st); err != nil {
			return "", err
		}
		if idOf(&st) == ring[(levels-1)%len(ring)] {
			return "", unix.ENAMETOOLONG // the root, and still too long
		}
		p, err := link.fdLink(cur)
		if err == nil {
			head = p
			break
		}
		if !errors.Is(err, unix.ENAMETOOLONG) {
			return "", err
		}
		ring[levels%len(ring)] = idOf(&st)
		levels++
		up, err := unix.Openat(cur, "..", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return "", err
		}
		unix.Close(cur)
		cur = up
	}
	// Walk back down the levels kept, naming each directory in its
	// parent. A name is at most 255 bytes: the head stops growing within
	// PATH_MAX and one more name.
	buf := make([]byte, direntBuf)
	path := make([]byte, 0, event.PathMax+512)
	path = append(path, head...)
	for i := levels - 1; i >= max(0, levels-len(ring)) && len(path) <= event.PathMax; i-- {
		name, next, err := childNamed(cur, ring[i%len(ring)], buf)
		if err != nil {
			return "", err
		}
		unix.Close(cur)
		cur = next
		if string(path) != "/" {
			path = append(path, '/')
		}
		path = append(path, name...)
	}
	if len(path) <= event.PathMax {
		// The kernel found the path too long; it changed since.
		return "", unix.ENAMETOOLONG
	}
	return event.CutPath(string(path)), nil
}

// atFDCWD is AT_FDCWD, for a raw system call.
var atFDCWD = unix.AT_FDCWD

// linkBuf holds what fdLink reads: a path of up to PATH_MAX bytes and a
// " (deleted)" suffix.
type linkBuf struct {
	proc [32]byte
	buf  [event.PathMax + 64]byte
}

// fdLink reads /proc/self/fd/FD. It allocates only the path it returns.
func (l *linkBuf) fdLink(fd int) (string, error) {
	p := append(l.proc[:0], "/proc/self/fd/"...)
	p = strconv.AppendInt(p, int64(fd), 10)
	p = append(p, 0)
	for {
		n, _, errno := unix.Syscall6(unix.SYS_READLINKAT, uintptr(atFDCWD), uintptr(unsafe.Pointer(&p[0])),
			uintptr(unsafe.Pointer(&l.buf[0])), uintptr(len(l.buf)), 0, 0)
		switch {
		case errno == unix.EINTR:
			continue
		case errno != 0:
			return "", errno
		case int(n) >= len(l.buf):
			return "", unix.ENAMETOOLONG
		}
		return strings.TrimSuffix(string(l.buf[:n]), " (deleted)"), nil
	}
}

// childNamed finds the entry of directory dir that is want, and returns
// its name and an O_PATH fd of it. The entries with want's inode number
// are tried first; a mount point's entry has the inode it covers, so the
// other directories are tried after them. It reads at most maxEntries
// entries in each pass, into buf.
func childNamed(dir int, want dirID, buf []byte) (string, int, error) {
	d, err := unix.Openat(dir, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", -1, err
	}
	defer unix.Close(d)
	for _, sameIno := range []bool{true, false} {
		if _, err := unix.Seek(d, 0, 0); err != nil {
			return "", -1, err
		}
		seen := 0
		for {
			n, err := unix.Getdents(d, buf)
			if err != nil {
				return "", -1, err
			}
			if n <= 0 {
				break
			}
			for b := buf[:n]; len(b) >= 19; {
				// struct linux_dirent64: ino, off, reclen, type, name.
				reclen := int(binary.NativeEndian.Uint16(b[16:]))
				if reclen < 19 || reclen > len(b) {
					break
				}
				if seen++; seen > maxEntries {
					return "", -1, unix.ENAMETOOLONG
				}
				ino, typ := binary.NativeEndian.Uint64(b), b[18]
				name := b[19:reclen]
				b = b[reclen:]
				if i := bytes.IndexByte(name, 0); i >= 0 {
					name = name[:i]
				}
				if string(name) == "." || string(name) == ".." || (ino == want.ino) != sameIno ||
					!sameIno && typ != unix.DT_DIR {
					continue
				}
				var st unix.Stat_t
				if unix.Fstatat(d, string(name), &st, unix.AT_SYMLINK_NOFOLLOW) != nil || idOf(&st) != want {
					continue
				}
				s := string(name)
				fd, err := unix.Openat(d, s, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
				if err != nil {
					return "", -1, err
				}
				return s, fd, nil
			}
		}
	}
	return "", -1, unix.ENOENT
}
