package ebpf

import (
	"encoding/binary"
	"net/netip"

	"github.com/lannersec/lanner/collectors"
	"github.com/lannersec/lanner/event"
)

// rec builds records in the kernel's layout, for tests.
type rec struct {
	fixed []byte
	strs  [nstr][]byte
	flags uint16
}

func newRec(kind byte, size int, typ event.Type, tgid, tid uint32, ts uint64) *rec {
	r := &rec{fixed: make([]byte, size)}
	r.fixed[hdrKind] = kind
	r.fixed[hdrType] = byte(typ)
	le.PutUint64(r.fixed[hdrTS:], ts)
	le.PutUint32(r.fixed[hdrTgid:], tgid)
	le.PutUint32(r.fixed[hdrTid:], tid)
	return r
}

// sysRec starts a syscall record.
func sysRec(typ event.Type, pid uint32, res int64, args ...uint64) *rec {
	r := newRec(kindSyscall, sysSize, typ, pid, pid, 1_700_000_000_000_000_000)
	le.PutUint64(r.fixed[sysRes:], uint64(res))
	for i, a := range args {
		le.PutUint64(r.fixed[sysArg+8*i:], a)
	}
	le.PutUint64(r.fixed[sysFD:], ^uint64(0))
	return r
}

// credRec starts a credential call record.
func credRec(typ event.Type, pid uint32, res int64, args ...uint64) *rec {
	r := newRec(kindCred, credSize, typ, pid, pid, 1_700_000_000_000_000_000)
	le.PutUint64(r.fixed[credRes:], uint64(res))
	for i, a := range args {
		le.PutUint64(r.fixed[credArg+8*i:], a)
	}
	return r
}

// ids sets the thread's user and group ids (real, effective, saved, file
// system) in a credential record.
func (r *rec) ids(uids, gids [4]uint32) *rec {
	for i := range 4 {
		le.PutUint32(r.fixed[credUID+4*i:], uids[i])
		le.PutUint32(r.fixed[credGID+4*i:], gids[i])
	}
	return r
}

func (r *rec) str(slot int, s string) *rec {
	r.strs[slot] = []byte(s)
	return r
}

func (r *rec) u32(off int, v uint32) *rec { le.PutUint32(r.fixed[off:], v); return r }
func (r *rec) u64(off int, v uint64) *rec { le.PutUint64(r.fixed[off:], v); return r }

// file describes fd as a file with the given inode mode.
func (r *rec) file(fd int64, mode uint32, path string) *rec {
	le.PutUint64(r.fixed[sysFD:], uint64(fd))
	fi := r.fixed[sysFdi:]
	le.PutUint32(fi[fdiFlags:], le.Uint32(fi[fdiFlags:])|fdiFile)
	le.PutUint32(fi[fdiMode:], mode)
	le.PutUint64(fi[fdiMagic:], 0xEF53)
	name := path[lastSlash(path)+1:]
	copy(fi[fdiDname:fdiDname+31], name)
	if path != "" {
		r.str(sFDPath, path)
	}
	return r
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}

// sock describes fd as an inet socket with the given endpoints.
func (r *rec) sock(fd int64, family, sotype, proto uint16, local, remote netip.AddrPort) *rec {
	le.PutUint64(r.fixed[sysFD:], uint64(fd))
	fi := r.fixed[sysFdi:]
	fl := uint32(fdiFile | fdiSock)
	if remote.Port() != 0 {
		fl |= fdiConnected
	}
	le.PutUint32(fi[fdiFlags:], fl)
	le.PutUint32(fi[fdiMode:], sIFSOCK|0o777)
	le.PutUint16(fi[fdiFamily:], family)
	le.PutUint16(fi[fdiSotype:], sotype)
	le.PutUint16(fi[fdiProto:], proto)
	le.PutUint16(fi[fdiLport:], local.Port())
	le.PutUint16(fi[fdiRport:], remote.Port())
	if family == collectors.AFInet {
		a4, b4 := local.Addr().As4(), remote.Addr().As4()
		copy(fi[fdiLaddr:], a4[:])
		copy(fi[fdiRaddr:], b4[:])
	} else {
		a16, b16 := local.Addr().As16(), remote.Addr().As16()
		copy(fi[fdiLaddr:], a16[:])
		copy(fi[fdiRaddr:], b16[:])
	}
	r.strs[sText] = make([]byte, textLen)
	return r
}

// unixSock describes fd as a unix socket.
func (r *rec) unixSock(fd int64, local, peer string) *rec {
	le.PutUint64(r.fixed[sysFD:], uint64(fd))
	fi := r.fixed[sysFdi:]
	fl := uint32(fdiFile | fdiSock)
	if peer != "" {
		fl |= fdiConnected
	}
	le.PutUint32(fi[fdiFlags:], fl)
	le.PutUint32(fi[fdiMode:], sIFSOCK|0o777)
	le.PutUint16(fi[fdiFamily:], collectors.AFUnix)
	le.PutUint16(fi[fdiSotype:], collectors.SockStream)
	r.str(sFDPath, local).str(sPeer, peer)
	r.strs[sText] = make([]byte, textLen)
	return r
}

func sockaddrIn(ap netip.AddrPort) string {
	b := make([]byte, 16)
	le.PutUint16(b, collectors.AFInet)
	binary.BigEndian.PutUint16(b[2:], ap.Port())
	a := ap.Addr().As4()
	copy(b[4:], a[:])
	return string(b)
}

func sockaddrIn6(ap netip.AddrPort) string {
	b := make([]byte, 28)
	le.PutUint16(b, collectors.AFInet6)
	binary.BigEndian.PutUint16(b[2:], ap.Port())
	a := ap.Addr().As16()
	copy(b[8:], a[:])
	return string(b)
}

func sockaddrUn(path string) string {
	b := make([]byte, 2, 2+len(path)+1)
	le.PutUint16(b, collectors.AFUnix)
	b = append(b, path...)
	return string(append(b, 0))
}

func (r *rec) bytes() []byte {
	b := append([]byte(nil), r.fixed...)
	le.PutUint16(b[hdrFlags:], r.flags)
	for i, s := range r.strs {
		le.PutUint16(b[hdrSlen+2*i:], uint16(len(s)))
		b = append(b, s...)
	}
	le.PutUint32(b[hdrLen:], uint32(len(b)))
	return b
}

// execRec builds an exec record.
func execRec(pid uint32, typ event.Type, filename, exe, cwd string, argv []string) *rec {
	r := newRec(kindExec, execSize, typ, pid, pid, 1_700_000_000_000_000_000)
	r.str(sFilename, filename).str(sExe, exe).str(sCwd, cwd)
	var a []byte
	for _, s := range argv {
		a = append(a, s...)
		a = append(a, 0)
	}
	r.strs[sArgv] = a
	copy(r.fixed[execComm:execComm+15], exe[lastSlash(exe)+1:])
	return r
}
