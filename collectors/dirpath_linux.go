package collectors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/lannersec/lanner/event"
)

// maxClimb bounds the levels DirPath climbs to find a readable ancestor.
const maxClimb = 1 << 14

// DirPath returns the absolute path of the directory open as fd (any
// flags, O_PATH included), as this process sees it. A path longer than
// the kernel can name through /proc (PATH_MAX) is returned cut, as
// event.CutPath cuts: DirPath climbs ("..") to the nearest ancestor
// whose path the kernel still gives, then finds the names below it by
// their inode numbers, until it has the head. fd stays open.
func DirPath(fd int) (string, error) {
	p, err := fdLink(fd)
	if err == nil || !errors.Is(err, unix.ENAMETOOLONG) {
		return p, err
	}
	// chain holds the (dev, ino) of the directories from fd upward.
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return "", err
	}
	chain := []unix.Stat_t{st}
	cur, err := unix.Openat(fd, "..", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer func() { unix.Close(cur) }()
	var head string
	for {
		if len(chain) > maxClimb {
			return "", unix.ENAMETOOLONG
		}
		if err := unix.Fstat(cur, &st); err != nil {
			return "", err
		}
		if last := chain[len(chain)-1]; st.Dev == last.Dev && st.Ino == last.Ino {
			return "", unix.ENAMETOOLONG // the root, and still too long
		}
		p, err := fdLink(cur)
		if err == nil {
			head = p
			break
		}
		if !errors.Is(err, unix.ENAMETOOLONG) {
			return "", err
		}
		chain = append(chain, st)
		up, err := unix.Openat(cur, "..", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return "", err
		}
		unix.Close(cur)
		cur = up
	}
	// Walk back down the chain, naming each directory in its parent.
	for i := len(chain) - 1; i >= 0 && len(head) <= event.PathMax; i-- {
		name, next, err := childNamed(cur, chain[i])
		if err != nil {
			return "", err
		}
		unix.Close(cur)
		cur = next
		if head != "/" {
			head += "/"
		}
		head += name
	}
	if len(head) <= event.PathMax {
		// The kernel found the path too long; it changed since.
		return "", unix.ENAMETOOLONG
	}
	return event.CutPath(head), nil
}

// fdLink reads /proc/self/fd/FD.
func fdLink(fd int) (string, error) {
	s, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return "", pe.Err
		}
		return "", err
	}
	return strings.TrimSuffix(s, " (deleted)"), nil
}

// childNamed finds the entry of directory dir that is want, and returns
// its name and an O_PATH fd of it. The entries with want's inode number
// are tried first; a mount point's entry has the inode it covers, so the
// others are tried after them.
func childNamed(dir int, want unix.Stat_t) (string, int, error) {
	d, err := unix.Openat(dir, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", -1, err
	}
	defer unix.Close(d)
	buf := make([]byte, 32<<10)
	var same, other []string
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
			ino := binary.NativeEndian.Uint64(b)
			name := b[19:reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if s := string(name); s != "." && s != ".." {
				if ino == want.Ino {
					same = append(same, s)
				} else if b[18] == unix.DT_DIR {
					other = append(other, s)
				}
			}
			b = b[reclen:]
		}
	}
	for _, s := range append(same, other...) {
		var st unix.Stat_t
		if unix.Fstatat(d, s, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			continue
		}
		if st.Dev == want.Dev && st.Ino == want.Ino {
			fd, err := unix.Openat(d, s, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				return "", -1, err
			}
			return s, fd, nil
		}
	}
	return "", -1, unix.ENOENT
}
