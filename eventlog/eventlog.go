// Package eventlog writes and reads enriched events as JSON lines: what
// `lanner record` captures and `lanner replay` and the rule tests feed back
// through the rules. Each event comes with its process, the process's
// ancestors and its container, so a replay needs no live state.
//
// Two formats are read; Writer writes the second.
//
// Version 1 is one JSON object (Event) per line, each carrying its whole
// process (Process) with its parent chain nested in "parent" and its
// container: every ancestor's arguments and environment are copied into
// every event.
//
// Version 2 is compact: its first line is {"lanner_events":2}, and each
// process and container is written once, on a line of its own, before the
// first event that refers to it:
//
//	{"container":{"ref":1,"id":"3ad3f0c1b2a4",...}}
//	{"process":{"id":1,"pid":1,"name":"systemd",...}}
//	{"process":{"id":2,"parent_id":1,"container_ref":1,"pid":812,"name":"sh",...}}
//	{"type":"openat","time":...,"proc_ref":2,"fd":{...},"args":{...}}
//
// A process line is a Process without "parent" and "container" but with
// its "id", its parent's "parent_id" and its container's "container_ref"
// (0 or absent: none); a container line is a Container with its "ref".
// A process or container whose details change (a new program, a new
// working directory) is written again under a new id. Ids increase and
// refer only to lines above them, so the chain of parents ends. A line
// {"reset":true} forgets every process and container defined so far:
// the writer resets after 65,536 of them or 64 MiB, and the reader
// refuses to keep more than 1,048,576 or 256 MiB.
// Processes' environment variables are written only when the Writer is
// asked to (Env), since they hold secrets.
//
// Reader detects gzip by its magic bytes and either version by the first
// line. A line that cannot be read is an error naming its number, and
// reading goes on after it; a line longer than MaxLine is skipped whole.
package eventlog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/lannersec/lanner/event"
)

// maxDepth bounds the parent chain written with each event.
const maxDepth = 16

// Event is the JSON form of an event.Event.
type Event struct {
	Type     string   `json:"type"`
	Num      uint64   `json:"num,omitempty"`
	Time     int64    `json:"time"`
	TID      int64    `json:"tid,omitempty"`
	Res      int64    `json:"res"`
	Proc     *Process `json:"proc,omitempty"`
	ProcRef  uint64   `json:"proc_ref,omitempty"` // version 2: the id of Proc
	FD       *FD      `json:"fd,omitempty"`
	Args     *Args    `json:"args,omitempty"`
	Buffer   []byte   `json:"buffer,omitempty"`
	Hostname string   `json:"hostname,omitempty"`
}

// Process is the JSON form of an event.Process.
type Process struct {
	// ID, ParentID and ContainerRef are those of version 2.
	ID              uint64     `json:"id,omitempty"`
	ParentID        uint64     `json:"parent_id,omitempty"`
	ContainerRef    uint64     `json:"container_ref,omitempty"`
	PID             int64      `json:"pid"`
	VPID            int64      `json:"vpid,omitempty"`
	PPID            int64      `json:"ppid,omitempty"`
	SID             int64      `json:"sid,omitempty"`
	VPGID           int64      `json:"vpgid,omitempty"`
	Name            string     `json:"name"`
	Exe             string     `json:"exe,omitempty"`
	ExePath         string     `json:"exepath,omitempty"`
	Args            []string   `json:"args,omitempty"`
	Cwd             string     `json:"cwd,omitempty"`
	Env             []string   `json:"env,omitempty"`
	TTY             uint32     `json:"tty,omitempty"`
	UID             uint32     `json:"uid"`
	GID             uint32     `json:"gid"`
	LoginUID        *uint32    `json:"loginuid,omitempty"`
	UserName        string     `json:"user,omitempty"`
	GroupName       string     `json:"group,omitempty"`
	LoginName       string     `json:"loginname,omitempty"`
	CapPermitted    uint64     `json:"cap_permitted,omitempty"`
	CapEffective    uint64     `json:"cap_effective,omitempty"`
	CapInheritable  uint64     `json:"cap_inheritable,omitempty"`
	StartTime       int64      `json:"start,omitempty"`
	ExeUpperLayer   bool       `json:"exe_upper_layer,omitempty"`
	ExeFromMemfd    bool       `json:"exe_from_memfd,omitempty"`
	ExeWritable     bool       `json:"exe_writable,omitempty"`
	ExeFlagsUnknown bool       `json:"exe_flags_unknown,omitempty"`
	ExeInoCtime     int64      `json:"exe_ctime,omitempty"`
	ExeInoMtime     int64      `json:"exe_mtime,omitempty"`
	SessionLeader   *Leader    `json:"session_leader,omitempty"`
	GroupLeader     *Leader    `json:"group_leader,omitempty"`
	Container       *Container `json:"container,omitempty"`
	Parent          *Process   `json:"parent,omitempty"`
}

// Leader names a session or process group leader.
type Leader struct {
	PID     int64  `json:"pid"`
	Name    string `json:"name"`
	Exe     string `json:"exe,omitempty"`
	ExePath string `json:"exepath,omitempty"`
}

// Container is the JSON form of an event.Container.
type Container struct {
	Ref           uint64            `json:"ref,omitempty"` // version 2
	ID            string            `json:"id"`
	FullID        string            `json:"full_id,omitempty"`
	Runtime       string            `json:"runtime,omitempty"`
	Name          string            `json:"name,omitempty"`
	Image         string            `json:"image,omitempty"`
	ImageRepo     string            `json:"image_repository,omitempty"`
	ImageTag      string            `json:"image_tag,omitempty"`
	ImageID       string            `json:"image_id,omitempty"`
	Privileged    bool              `json:"privileged,omitempty"`
	MetadataKnown bool              `json:"metadata_known,omitempty"`
	Mounts        []event.Mount     `json:"mounts,omitempty"`
	StartTS       int64             `json:"start_ts,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
	K8sNamespace  string            `json:"k8s_ns,omitempty"`
	K8sPodName    string            `json:"k8s_pod,omitempty"`
	K8sPodUID     string            `json:"k8s_pod_uid,omitempty"`
	K8sPodLabels  map[string]string `json:"k8s_pod_labels,omitempty"`
}

// FD is the JSON form of an event.FD.
type FD struct {
	Kind        string `json:"kind"`
	Num         int64  `json:"num"`
	Name        string `json:"name,omitempty"`
	NameRaw     string `json:"nameraw,omitempty"`
	RealPath    string `json:"realpath,omitempty"`
	L4Proto     uint8  `json:"l4proto,omitempty"`
	Connected   bool   `json:"connected,omitempty"`
	NameChanged bool   `json:"name_changed,omitempty"`
	Local       string `json:"local,omitempty"`
	Remote      string `json:"remote,omitempty"`
	Server      bool   `json:"server,omitempty"`
	LocalName   string `json:"local_name,omitempty"`
	RemoteName  string `json:"remote_name,omitempty"`
}

// Args is the JSON form of event.Args; Set lists present arguments by bit.
type Args struct {
	Set      uint32 `json:"set"`
	Flags    uint32 `json:"flags,omitempty"`
	Mode     uint32 `json:"mode,omitempty"`
	Path     string `json:"path,omitempty"`
	Name     string `json:"name,omitempty"`
	OldPath  string `json:"oldpath,omitempty"`
	NewPath  string `json:"newpath,omitempty"`
	Target   string `json:"target,omitempty"`
	LinkPath string `json:"linkpath,omitempty"`
	Filename string `json:"filename,omitempty"`
	UID      uint32 `json:"uid,omitempty"`
	GID      uint32 `json:"gid,omitempty"`
	Request  int64  `json:"request,omitempty"`
	Cmd      int64  `json:"cmd,omitempty"`
	FD       int64  `json:"fd,omitempty"`
	Domain   int64  `json:"domain,omitempty"`
	SockType int64  `json:"socktype,omitempty"`
	Proto    int64  `json:"proto,omitempty"`
	PID      int64  `json:"pid,omitempty"`
	DirFD    int64  `json:"dirfd,omitempty"`
	NewDirFD int64  `json:"newdirfd,omitempty"`
	Size     int64  `json:"size,omitempty"`
	Backlog  int64  `json:"backlog,omitempty"`
	QueueLen uint32 `json:"queuelen,omitempty"`
	QueueMax uint32 `json:"queuemax,omitempty"`
	UserName string `json:"username,omitempty"`
	// IDs are the ids of setresuid, setreuid, setresgid and setregid
	// (two or three), Caps the capability sets of capset; GroupName and
	// IDNames the names of GID and IDs.
	IDs       []uint32 `json:"ids,omitempty"`
	Caps      []uint64 `json:"caps,omitempty"`
	GroupName string   `json:"groupname,omitempty"`
	IDNames   []string `json:"idnames,omitempty"`
}

// FromEvent converts ev to its JSON form.
func FromEvent(ev *event.Event) *Event {
	j := &Event{Type: ev.Type.String(), Num: ev.Num, Time: ev.Time, TID: ev.TID, Res: ev.Res, Buffer: ev.Buffer, Hostname: ev.Hostname}
	j.Proc = fromProcess(ev.Proc, 0)
	if ev.FD.Kind != event.FDNone {
		f := ev.FD
		j.FD = &FD{Kind: string(rune(f.Kind)), Num: f.Num, Name: f.Name, NameRaw: f.NameRaw, RealPath: f.RealPath, L4Proto: uint8(f.L4Proto),
			Connected: f.Connected, NameChanged: f.NameChanged, Server: f.Server, LocalName: f.LocalName, RemoteName: f.RemoteName}
		if f.Local.IsValid() {
			j.FD.Local = f.Local.String()
		}
		if f.Remote.IsValid() {
			j.FD.Remote = f.Remote.String()
		}
	}
	if ev.Args.Set != 0 {
		a := ev.Args
		j.Args = &Args{Set: uint32(a.Set), Flags: a.Flags, Mode: a.Mode, Path: a.Path, Name: a.Name, OldPath: a.OldPath,
			NewPath: a.NewPath, Target: a.Target, LinkPath: a.LinkPath, Filename: a.Filename, UID: a.UID, GID: a.GID,
			Request: a.Request, Cmd: a.Cmd, FD: a.FD, Domain: a.Domain, SockType: a.SockType, Proto: a.Proto, PID: a.PID,
			DirFD: a.DirFD, NewDirFD: a.NewDirFD, Size: a.Size, Backlog: a.Backlog, QueueLen: a.QueueLen,
			QueueMax: a.QueueMax, UserName: a.UserName, GroupName: a.GroupName}
		if n := idCount(a.Set); n > 0 {
			j.Args.IDs = append([]uint32(nil), a.IDs[:n]...)
			if a.IDNames != [3]string{} {
				j.Args.IDNames = append([]string(nil), a.IDNames[:n]...)
			}
		}
		if a.Has(event.ArgCaps) {
			j.Args.Caps = append([]uint64(nil), a.Caps[:]...)
		}
	}
	return j
}

// idCount is how many of Args.IDs the presence bits say are there.
func idCount(set event.ArgMask) int {
	switch {
	case set&event.ArgSID != 0:
		return 3
	case set&event.ArgEID != 0:
		return 2
	case set&event.ArgRID != 0:
		return 1
	}
	return 0
}

func leader(p *event.Process) *Leader {
	if p == nil {
		return nil
	}
	return &Leader{PID: p.PID, Name: p.Name, Exe: p.Exe, ExePath: p.ExePath}
}

func fromProcess(p *event.Process, depth int) *Process {
	if p == nil || depth > maxDepth {
		return nil
	}
	j := &Process{PID: p.PID, VPID: p.VPID, PPID: p.PPID, SID: p.SID, VPGID: p.VPGID, Name: p.Name, Exe: p.Exe,
		ExePath: p.ExePath, Args: p.Args, Cwd: p.Cwd, Env: p.Env, TTY: p.TTY, UID: p.UID, GID: p.GID,
		UserName: p.UserName, GroupName: p.GroupName, LoginName: p.LoginName, CapPermitted: p.CapPermitted,
		CapEffective: p.CapEffective, CapInheritable: p.CapInheritable, StartTime: p.StartTime,
		ExeUpperLayer: p.ExeUpperLayer, ExeFromMemfd: p.ExeFromMemfd, ExeWritable: p.ExeWritable, ExeFlagsUnknown: p.ExeFlagsUnknown,
		ExeInoCtime: p.ExeInoCtime, ExeInoMtime: p.ExeInoMtime,
		SessionLeader: leader(p.SessionLeader), GroupLeader: leader(p.GroupLeader)}
	lu := p.LoginUID
	j.LoginUID = &lu
	if c := p.Container; c != nil {
		j.Container = &Container{ID: c.ID, FullID: c.FullID, Runtime: c.Runtime, Name: c.Name, Image: c.Image,
			ImageRepo: c.ImageRepo, ImageTag: c.ImageTag, ImageID: c.ImageID, Privileged: c.Privileged,
			MetadataKnown: c.MetadataKnown, Mounts: c.Mounts, StartTS: c.StartTS, Labels: c.Labels,
			K8sNamespace: c.K8sNamespace, K8sPodName: c.K8sPodName, K8sPodUID: c.K8sPodUID, K8sPodLabels: c.K8sPodLabels}
	}
	j.Parent = fromProcess(p.Parent, depth+1)
	return j
}

// ToEvent converts the JSON form back into an event.Event.
func (j *Event) ToEvent() (*event.Event, error) {
	t, ok := event.ParseType(j.Type)
	if !ok {
		return nil, fmt.Errorf("unknown event type %q", j.Type)
	}
	ev := &event.Event{Type: t, Num: j.Num, Time: j.Time, TID: j.TID, Res: j.Res, Buffer: j.Buffer, Hostname: j.Hostname}
	containers := map[string]*event.Container{}
	ev.Proc = j.Proc.toProcess(containers, 0)
	if f := j.FD; f != nil {
		if len(f.Kind) != 1 {
			return nil, fmt.Errorf("bad fd kind %q", f.Kind)
		}
		ev.FD = event.FD{Kind: event.FDKind(f.Kind[0]), Num: f.Num, Name: f.Name, NameRaw: f.NameRaw, RealPath: f.RealPath,
			L4Proto: event.L4Proto(f.L4Proto), Connected: f.Connected, NameChanged: f.NameChanged, Server: f.Server,
			LocalName: f.LocalName, RemoteName: f.RemoteName}
		var err error
		if f.Local != "" {
			if ev.FD.Local, err = netip.ParseAddrPort(f.Local); err != nil {
				return nil, fmt.Errorf("fd.local: %w", err)
			}
		}
		if f.Remote != "" {
			if ev.FD.Remote, err = netip.ParseAddrPort(f.Remote); err != nil {
				return nil, fmt.Errorf("fd.remote: %w", err)
			}
		}
	}
	if a := j.Args; a != nil {
		ev.Args = event.Args{Set: event.ArgMask(a.Set), Flags: a.Flags, Mode: a.Mode, Path: a.Path, Name: a.Name,
			OldPath: a.OldPath, NewPath: a.NewPath, Target: a.Target, LinkPath: a.LinkPath, Filename: a.Filename,
			UID: a.UID, GID: a.GID, Request: a.Request, Cmd: a.Cmd, FD: a.FD, Domain: a.Domain, SockType: a.SockType,
			Proto: a.Proto, PID: a.PID, DirFD: a.DirFD, NewDirFD: a.NewDirFD, Size: a.Size, Backlog: a.Backlog,
			QueueLen: a.QueueLen, QueueMax: a.QueueMax, UserName: a.UserName, GroupName: a.GroupName}
		if len(a.IDs) > 3 || len(a.IDNames) > 3 || len(a.Caps) > 3 {
			return nil, fmt.Errorf("more than three ids or capability sets")
		}
		copy(ev.Args.IDs[:], a.IDs)
		copy(ev.Args.IDNames[:], a.IDNames)
		copy(ev.Args.Caps[:], a.Caps)
	}
	return ev, nil
}

func (l *Leader) toProcess() *event.Process {
	if l == nil {
		return nil
	}
	return &event.Process{PID: l.PID, Name: l.Name, Exe: l.Exe, ExePath: l.ExePath}
}

func (j *Process) toProcess(containers map[string]*event.Container, depth int) *event.Process {
	if j == nil || depth > maxDepth {
		return nil
	}
	p := &event.Process{PID: j.PID, VPID: j.VPID, PPID: j.PPID, SID: j.SID, VPGID: j.VPGID, Name: j.Name, Exe: j.Exe,
		ExePath: j.ExePath, Cwd: j.Cwd, TTY: j.TTY, UID: j.UID, GID: j.GID, LoginUID: 0xffffffff,
		UserName: j.UserName, GroupName: j.GroupName, LoginName: j.LoginName, CapPermitted: j.CapPermitted,
		CapEffective: j.CapEffective, CapInheritable: j.CapInheritable, StartTime: j.StartTime,
		ExeUpperLayer: j.ExeUpperLayer, ExeFromMemfd: j.ExeFromMemfd, ExeWritable: j.ExeWritable, ExeFlagsUnknown: j.ExeFlagsUnknown,
		ExeInoCtime: j.ExeInoCtime, ExeInoMtime: j.ExeInoMtime,
		SessionLeader: j.SessionLeader.toProcess(), GroupLeader: j.GroupLeader.toProcess()}
	if j.LoginUID != nil {
		p.LoginUID = *j.LoginUID
	}
	p.SetArgs(j.Args)
	p.SetEnv(j.Env)
	if c := j.Container; c != nil {
		if have, ok := containers[c.FullID+c.ID]; ok {
			p.Container = have
		} else {
			ct := &event.Container{ID: c.ID, FullID: c.FullID, Runtime: c.Runtime, Name: c.Name, Image: c.Image,
				ImageRepo: c.ImageRepo, ImageTag: c.ImageTag, ImageID: c.ImageID, Privileged: c.Privileged,
				MetadataKnown: c.MetadataKnown, StartTS: c.StartTS, Labels: c.Labels,
				K8sNamespace: c.K8sNamespace, K8sPodName: c.K8sPodName, K8sPodUID: c.K8sPodUID, K8sPodLabels: c.K8sPodLabels}
			ct.SetMounts(c.Mounts)
			containers[c.FullID+c.ID] = ct
			p.Container = ct
		}
	}
	p.Parent = j.Parent.toProcess(containers, depth+1)
	return p
}

// Version is the format Writer writes.
const Version = 2

// MaxLine is the longest line Reader reads.
const MaxLine = 16 << 20

// resetBytes is how many bytes of process and container lines a Writer
// writes before it starts afresh with a reset line.
const resetBytes = 64 << 20

// maxDefinedBytes bounds the bytes of process and container lines a
// Reader keeps between resets.
const maxDefinedBytes = 256 << 20

// resetEvery is how many processes and containers a Writer defines before
// it starts afresh with a reset line.
const resetEvery = 1 << 16

// maxDefined bounds the processes and containers a Reader keeps between
// resets.
const maxDefined = 1 << 20

// header is the first line of version 2.
type header struct {
	Version int `json:"lanner_events"`
}

// line is any line of either version.
type line struct {
	Event
	Version   int        `json:"lanner_events"`
	Process   *Process   `json:"process"`
	Container *Container `json:"container"`
	Reset     bool       `json:"reset"`
}

// Writer writes events in the compact format (version 2).
type Writer struct {
	// Env writes processes' environment variables; without it they are
	// left out.
	Env bool

	w          *bufio.Writer
	buf        bytes.Buffer
	enc        *json.Encoder
	started    bool
	next       uint64
	defined    int                          // bytes of process and container lines since the last reset
	procs      map[[sha256.Size]byte]uint64 // hash of a process line's content (id left out) -> id
	containers map[[sha256.Size]byte]uint64
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer {
	wr := &Writer{w: bufio.NewWriterSize(w, 64<<10), procs: map[[sha256.Size]byte]uint64{},
		containers: map[[sha256.Size]byte]uint64{}}
	wr.enc = json.NewEncoder(&wr.buf)
	return wr
}

// Write writes one event, with the lines of its processes and container
// not written before.
func (w *Writer) Write(ev *event.Event) error {
	if !w.started {
		w.started = true
		if err := w.line(header{Version: Version}); err != nil {
			return err
		}
	}
	if len(w.procs)+len(w.containers) >= resetEvery || w.defined >= resetBytes {
		clear(w.procs)
		clear(w.containers)
		w.defined = 0
		if err := w.line(struct {
			Reset bool `json:"reset"`
		}{true}); err != nil {
			return err
		}
	}
	ref, err := w.process(ev.Proc, 0)
	if err != nil {
		return err
	}
	j := FromEvent(&event.Event{Type: ev.Type, Num: ev.Num, Time: ev.Time, TID: ev.TID, Res: ev.Res, FD: ev.FD,
		Args: ev.Args, Buffer: ev.Buffer, Hostname: ev.Hostname})
	j.ProcRef = ref
	return w.line(j)
}

// process writes the lines of p and its ancestors not written yet, and
// returns p's id (0 for none).
func (w *Writer) process(p *event.Process, depth int) (uint64, error) {
	if p == nil || depth > maxDepth {
		return 0, nil
	}
	parent, err := w.process(p.Parent, depth+1)
	if err != nil {
		return 0, err
	}
	j := fromProcess(p, maxDepth) // p alone: its parent is past the depth
	jc := j.Container
	j.Parent, j.Container = nil, nil
	j.ParentID = parent
	if !w.Env {
		j.Env = nil
	}
	if jc != nil {
		if j.ContainerRef, err = w.define(w.containers, jc, func(id uint64) any {
			jc.Ref = id
			return struct {
				C *Container `json:"container"`
			}{jc}
		}); err != nil {
			return 0, err
		}
	}
	return w.define(w.procs, j, func(id uint64) any {
		j.ID = id
		return struct {
			P *Process `json:"process"`
		}{j}
	})
}

// define returns the id of v in seen, writing v's line (made by wrap
// once v has its id) when v is new.
func (w *Writer) define(seen map[[sha256.Size]byte]uint64, v any, wrap func(uint64) any) (uint64, error) {
	content, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	key := sha256.Sum256(content)
	if id, ok := seen[key]; ok {
		return id, nil
	}
	w.next++
	id := w.next
	seen[key] = id
	w.defined += len(content)
	return id, w.line(wrap(id))
}

func (w *Writer) line(v any) error {
	w.buf.Reset()
	if err := w.enc.Encode(v); err != nil {
		return err
	}
	_, err := w.w.Write(w.buf.Bytes())
	return err
}

// Flush writes buffered data.
func (w *Writer) Flush() error { return w.w.Flush() }

// Reader reads events of either version, plain or gzip-compressed.
type Reader struct {
	r       *bufio.Reader
	line    int
	buf     []byte
	err     error // once set, every Read returns io.EOF after returning it
	started bool
	version int

	procs      map[uint64]*defined
	containers map[uint64]*Container
	defined    int // bytes of the process and container lines kept
}

// defined is a process of a version 2 stream, with its parent linked.
type defined struct {
	p     *Process
	depth int // ancestors
}

// NewReader returns a Reader on r. Input starting with the gzip magic
// bytes is decompressed.
func NewReader(r io.Reader) *Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	rd := &Reader{r: br, procs: map[uint64]*defined{}, containers: map[uint64]*Container{}}
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			rd.err = fmt.Errorf("gzip: %w", err)
			return rd
		}
		rd.r = bufio.NewReaderSize(zr, 64<<10)
	}
	return rd
}

// errTooLong is the error of a line over MaxLine.
var errTooLong = fmt.Errorf("longer than %d bytes, skipped", MaxLine)

// nextLine returns the next line without its line end. A line over
// MaxLine is consumed and errTooLong returned; an error of the input is
// returned as is.
func (r *Reader) nextLine() ([]byte, error) {
	r.buf = r.buf[:0]
	tooLong := false
	for {
		chunk, err := r.r.ReadSlice('\n')
		if !tooLong {
			if len(r.buf)+len(chunk) > MaxLine+1 { // +1: the newline
				tooLong, r.buf = true, r.buf[:0]
			} else {
				r.buf = append(r.buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if errors.Is(err, io.EOF) && len(r.buf) == 0 && !tooLong {
			return nil, io.EOF
		}
		r.line++
		if tooLong {
			return nil, errTooLong
		}
		return bytes.TrimRight(r.buf, "\r\n"), nil
	}
}

// LineError is a line of the input that is not an event of the stream.
type LineError struct {
	Line int // 1-based
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

func (r *Reader) lineError(err error) error { return &LineError{Line: r.line, Err: err} }

// Read returns the next event, or io.EOF. A line that is not an event of
// the stream gives a *LineError, and reading may go on; an error of the input itself (a broken gzip stream) is returned
// once, and io.EOF after it.
func (r *Reader) Read() (*event.Event, error) {
	j, err := r.ReadJSON()
	if err != nil {
		return nil, err
	}
	ev, err := j.ToEvent()
	if err != nil {
		return nil, r.lineError(err)
	}
	return ev, nil
}

// ReadJSON is Read returning the JSON form, with its process's chain of
// parents and its container filled in as version 1 has them. The
// processes are copies: changing them changes nothing for later events.
func (r *Reader) ReadJSON() (*Event, error) {
	for {
		if r.err != nil {
			err := r.err
			r.err = io.EOF
			return nil, err
		}
		b, err := r.nextLine()
		if errors.Is(err, errTooLong) {
			return nil, r.lineError(err)
		}
		if err != nil {
			r.err = err
			continue
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var l line
		if err := json.Unmarshal(b, &l); err != nil {
			return nil, r.lineError(err)
		}
		first := !r.started
		r.started = true
		if l.Version != 0 {
			if !first || l.Version != Version {
				return nil, r.lineError(fmt.Errorf("unexpected format header (version %d)", l.Version))
			}
			r.version = l.Version
			continue
		}
		if r.version < 2 {
			if l.Process != nil || l.Container != nil || l.Reset || l.ProcRef != 0 {
				return nil, r.lineError(errors.New("a line of version 2 without its header"))
			}
			j := l.Event
			return &j, nil
		}
		switch {
		case l.Reset:
			clear(r.procs)
			clear(r.containers)
			r.defined = 0
		case l.Container != nil:
			if err := r.defineContainer(l.Container); err != nil {
				return nil, r.lineError(err)
			}
		case l.Process != nil:
			if err := r.defineProcess(l.Process); err != nil {
				return nil, r.lineError(err)
			}
		default:
			j := l.Event
			if j.Proc != nil {
				return nil, r.lineError(errors.New("an event of version 2 with its process inline"))
			}
			if j.ProcRef != 0 {
				d, ok := r.procs[j.ProcRef]
				if !ok {
					return nil, r.lineError(fmt.Errorf("unknown process %d", j.ProcRef))
				}
				j.Proc = chain(d.p)
			}
			return &j, nil
		}
	}
}

// room checks that one more process or container may be kept.
func (r *Reader) room() error {
	if len(r.containers)+len(r.procs) >= maxDefined || r.defined+len(r.buf) > maxDefinedBytes {
		return fmt.Errorf("more than %d processes and containers, or %d bytes of them, defined without a reset",
			maxDefined, maxDefinedBytes)
	}
	return nil
}

func (r *Reader) defineContainer(c *Container) error {
	if c.Ref == 0 {
		return errors.New("container without ref")
	}
	if _, dup := r.containers[c.Ref]; dup {
		return fmt.Errorf("container %d defined twice", c.Ref)
	}
	if err := r.room(); err != nil {
		return err
	}
	r.defined += len(r.buf)
	r.containers[c.Ref] = c
	return nil
}

func (r *Reader) defineProcess(p *Process) error {
	if p.ID == 0 {
		return errors.New("process without id")
	}
	if _, dup := r.procs[p.ID]; dup {
		return fmt.Errorf("process %d defined twice", p.ID)
	}
	if err := r.room(); err != nil {
		return err
	}
	if p.Parent != nil || p.Container != nil {
		return fmt.Errorf("process %d with its parent or container inline", p.ID)
	}
	d := &defined{p: p}
	if p.ParentID != 0 {
		parent, ok := r.procs[p.ParentID]
		if !ok {
			return fmt.Errorf("process %d: unknown parent %d", p.ID, p.ParentID)
		}
		if parent.depth >= maxDepth {
			return fmt.Errorf("process %d: more than %d ancestors", p.ID, maxDepth)
		}
		// Parents are defined before their children, so the chain ends.
		p.Parent, d.depth = parent.p, parent.depth+1
	}
	if p.ContainerRef != 0 {
		c, ok := r.containers[p.ContainerRef]
		if !ok {
			return fmt.Errorf("process %d: unknown container %d", p.ID, p.ContainerRef)
		}
		p.Container = c
	}
	r.defined += len(r.buf)
	r.procs[p.ID] = d
	return nil
}

// chain copies p and its parents.
func chain(p *Process) *Process {
	if p == nil {
		return nil
	}
	c := *p
	c.Parent = chain(p.Parent)
	return &c
}
