package fanotify

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"strings"
)

// The fanotify ABI, as linux/fanotify.h defines it. Kept here (rather than
// taken from x/sys/unix) so that the parser builds and is tested anywhere.
const (
	metadataLen     = 24 // sizeof(struct fanotify_event_metadata)
	metadataVersion = 3

	infoTypeFID         = 1
	infoTypeDFIDName    = 2
	infoTypeDFID        = 3
	infoTypeOldDFIDName = 10
	infoTypeNewDFIDName = 12

	fanAccess       = 0x00000001
	fanModify       = 0x00000002
	fanCloseWrite   = 0x00000008
	fanCloseNowrite = 0x00000010
	fanOpen         = 0x00000020
	fanMovedFrom    = 0x00000040
	fanMovedTo      = 0x00000080
	fanCreate       = 0x00000100
	fanDelete       = 0x00000200
	fanOpenExec     = 0x00001000
	fanQOverflow    = 0x00004000
	fanRename       = 0x10000000
	fanOnDir        = 0x40000000
	fanNoFD         = -1
	fanNoPIDFD      = -1
	fanEventOnChld  = 0x08000000
)

var le = binary.LittleEndian

// fileID is a file handle from an info record: the filesystem id and the
// handle open_by_handle_at takes, and for the *_DFID_NAME records the name
// of the entry in that directory.
type fileID struct {
	Valid      bool
	FSID       uint64
	HandleType int32
	Handle     []byte // a view into the read buffer
	Name       string // a copy
}

// rawEvent is one fanotify event as the kernel reported it.
type rawEvent struct {
	Mask uint64
	FD   int32
	PID  int32
	// Bad is set when the event's info records could not be parsed; FD
	// must still be closed.
	Bad bool
	// Info records of FID groups.
	Obj    fileID // FAN_EVENT_INFO_TYPE_FID: the object itself
	Dir    fileID // DFID_NAME or DFID: its directory (and name)
	OldDir fileID // OLD_DFID_NAME of FAN_RENAME
	NewDir fileID // NEW_DFID_NAME of FAN_RENAME
}

// parseEvents calls fn for each event in buf, which holds what one read of
// a fanotify group returned. It returns how many bytes could not be parsed
// as events at all (a broken length ends the walk, since nothing after it
// can be trusted). Events whose info records are broken are passed with Bad
// set, so that their fd gets closed. fn must not keep ev.
func parseEvents(buf []byte, fn func(ev *rawEvent)) (lost int) {
	var ev rawEvent
	for len(buf) > 0 {
		if len(buf) < metadataLen {
			return len(buf)
		}
		n := le.Uint32(buf)
		if n < metadataLen || uint64(n) > uint64(len(buf)) {
			return len(buf)
		}
		one := buf[:n]
		buf = buf[n:]
		ev = rawEvent{
			Mask: le.Uint64(one[8:]),
			FD:   int32(le.Uint32(one[16:])),
			PID:  int32(le.Uint32(one[20:])),
		}
		mlen := int(le.Uint16(one[6:]))
		if one[4] != metadataVersion || mlen < metadataLen || mlen > len(one) {
			ev.Bad = true
		} else if !parseInfo(one[mlen:], &ev) {
			ev.Bad = true
		}
		fn(&ev)
	}
	return 0
}

// parseInfo parses the info records that follow an event's metadata.
func parseInfo(b []byte, ev *rawEvent) bool {
	for len(b) > 0 {
		if len(b) < 4 {
			return false
		}
		typ := b[0]
		n := int(le.Uint16(b[2:]))
		if n < 4 || n > len(b) {
			return false
		}
		rec := b[4:n]
		b = b[n:]
		var dst *fileID
		named := false
		switch typ {
		case infoTypeFID:
			dst = &ev.Obj
		case infoTypeDFID:
			dst = &ev.Dir
		case infoTypeDFIDName:
			dst, named = &ev.Dir, true
		case infoTypeOldDFIDName:
			dst, named = &ev.OldDir, true
		case infoTypeNewDFIDName:
			dst, named = &ev.NewDir, true
		default:
			continue // pidfd, error and future records
		}
		if !parseFID(rec, named, dst) {
			return false
		}
	}
	return true
}

// parseFID parses fsid, struct file_handle and, when named, the
// NUL-terminated name after it.
func parseFID(b []byte, named bool, f *fileID) bool {
	if len(b) < 16 {
		return false
	}
	fsid := le.Uint64(b)
	hb := le.Uint32(b[8:])
	ht := int32(le.Uint32(b[12:]))
	b = b[16:]
	if uint64(hb) > uint64(len(b)) || hb == 0 {
		return false
	}
	*f = fileID{Valid: true, FSID: fsid, HandleType: ht, Handle: b[:hb:hb]}
	if named {
		name := b[hb:]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		} else {
			return false
		}
		if bytes.IndexByte(name, '/') >= 0 {
			return false
		}
		f.Name = string(name)
	}
	return true
}

// mount is one line of /proc/PID/mountinfo.
type mount struct {
	ID         string
	Dev        string // major:minor of the superblock
	Root       string // root of the mount within its filesystem
	MountPoint string
	FSType     string
	Source     string
}

// parseMountinfo parses mountinfo lines; lines it cannot parse are
// skipped.
func parseMountinfo(r io.Reader) []mount {
	var out []mount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		sep := -1
		for i, s := range f {
			if s == "-" && i >= 6 {
				sep = i
				break
			}
		}
		if sep < 0 || len(f) < sep+3 {
			continue
		}
		out = append(out, mount{
			ID:         f[0],
			Dev:        f[2],
			Root:       unescapeMount(f[3]),
			MountPoint: unescapeMount(f[4]),
			FSType:     f[sep+1],
			Source:     unescapeMount(f[sep+2]),
		})
	}
	return out
}

// unescapeMount undoes the octal escapes (\040 for a space) of mountinfo.
func unescapeMount(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1:i+4]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := range 3 {
		if s[i] < '0' || s[i] > '7' {
			return false
		}
	}
	return s[0] <= '3'
}

// localFS are the filesystem types worth watching: where programs and
// their files live. Pseudo filesystems (proc, sysfs, cgroup, devpts,
// tracefs...) and network filesystems are left out.
var localFS = map[string]bool{
	"ext2": true, "ext3": true, "ext4": true, "xfs": true, "btrfs": true,
	"f2fs": true, "vfat": true, "exfat": true, "jfs": true, "reiserfs": true,
	"zfs": true, "bcachefs": true, "nilfs2": true, "tmpfs": true,
	"overlay": true, "squashfs": true, "erofs": true, "ntfs3": true,
	// /dev: files created there that are not devices are a classic
	// hiding place.
	"devtmpfs": true,
}

// watchMounts selects the mounts to mark: one per local filesystem
// (superblock), preferring the one that shows the whole filesystem (root
// "/") and then the shortest mount point, so that paths resolved through
// it are the natural ones. The mount of "/" always comes first.
func watchMounts(ms []mount) []mount {
	best := map[string]int{}
	var order []string
	for i, m := range ms {
		if !localFS[m.FSType] || !strings.HasPrefix(m.MountPoint, "/") || underPseudo(m.MountPoint) {
			continue
		}
		j, ok := best[m.Dev]
		if !ok {
			best[m.Dev] = i
			order = append(order, m.Dev)
			continue
		}
		o := ms[j]
		if (m.Root == "/") != (o.Root == "/") {
			if m.Root == "/" {
				best[m.Dev] = i
			}
			continue
		}
		if len(m.MountPoint) < len(o.MountPoint) {
			best[m.Dev] = i
		}
	}
	var out []mount
	for _, d := range order {
		m := ms[best[d]]
		if m.MountPoint == "/" {
			out = append([]mount{m}, out...)
		} else {
			out = append(out, m)
		}
	}
	return out
}

// underPseudo reports whether dir lies under /proc or /sys, where a tmpfs
// holds nothing but mount points (/sys/fs/cgroup).
func underPseudo(dir string) bool {
	for _, p := range []string{"/proc", "/sys"} {
		if dir == p || strings.HasPrefix(dir, p+"/") {
			return true
		}
	}
	return false
}
