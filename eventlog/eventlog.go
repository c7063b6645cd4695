// Package eventlog writes and reads enriched events as JSON lines: what
// `lanner record` captures and `lanner replay` and the rule tests feed back
// through the rules. An event carries its process with the parent chain
// and the container, so a replay needs no live state.
package eventlog

import (
	"bufio"
	"encoding/json"
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
	FD       *FD      `json:"fd,omitempty"`
	Args     *Args    `json:"args,omitempty"`
	Buffer   []byte   `json:"buffer,omitempty"`
	Hostname string   `json:"hostname,omitempty"`
}

// Process is the JSON form of an event.Process.
type Process struct {
	PID            int64      `json:"pid"`
	VPID           int64      `json:"vpid,omitempty"`
	PPID           int64      `json:"ppid,omitempty"`
	SID            int64      `json:"sid,omitempty"`
	VPGID          int64      `json:"vpgid,omitempty"`
	Name           string     `json:"name"`
	Exe            string     `json:"exe,omitempty"`
	ExePath        string     `json:"exepath,omitempty"`
	Args           []string   `json:"args,omitempty"`
	Cwd            string     `json:"cwd,omitempty"`
	Env            []string   `json:"env,omitempty"`
	TTY            uint32     `json:"tty,omitempty"`
	UID            uint32     `json:"uid"`
	GID            uint32     `json:"gid"`
	LoginUID       *uint32    `json:"loginuid,omitempty"`
	UserName       string     `json:"user,omitempty"`
	GroupName      string     `json:"group,omitempty"`
	LoginName      string     `json:"loginname,omitempty"`
	CapPermitted   uint64     `json:"cap_permitted,omitempty"`
	CapEffective   uint64     `json:"cap_effective,omitempty"`
	CapInheritable uint64     `json:"cap_inheritable,omitempty"`
	StartTime      int64      `json:"start,omitempty"`
	ExeUpperLayer  bool       `json:"exe_upper_layer,omitempty"`
	ExeFromMemfd   bool       `json:"exe_from_memfd,omitempty"`
	ExeWritable    bool       `json:"exe_writable,omitempty"`
	ExeInoCtime    int64      `json:"exe_ctime,omitempty"`
	ExeInoMtime    int64      `json:"exe_mtime,omitempty"`
	SessionLeader  *Leader    `json:"session_leader,omitempty"`
	GroupLeader    *Leader    `json:"group_leader,omitempty"`
	Container      *Container `json:"container,omitempty"`
	Parent         *Process   `json:"parent,omitempty"`
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
		j.FD = &FD{Kind: string(rune(f.Kind)), Num: f.Num, Name: f.Name, NameRaw: f.NameRaw, L4Proto: uint8(f.L4Proto),
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
			DirFD: a.DirFD, UserName: a.UserName, GroupName: a.GroupName}
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
		ExeUpperLayer: p.ExeUpperLayer, ExeFromMemfd: p.ExeFromMemfd, ExeWritable: p.ExeWritable,
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
		ev.FD = event.FD{Kind: event.FDKind(f.Kind[0]), Num: f.Num, Name: f.Name, NameRaw: f.NameRaw,
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
			Proto: a.Proto, PID: a.PID, DirFD: a.DirFD, UserName: a.UserName, GroupName: a.GroupName}
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
		ExeUpperLayer: j.ExeUpperLayer, ExeFromMemfd: j.ExeFromMemfd, ExeWritable: j.ExeWritable,
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

// Writer writes events as JSON lines.
type Writer struct {
	w   *bufio.Writer
	enc *json.Encoder
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &Writer{w: bw, enc: json.NewEncoder(bw)}
}

// Write writes one event.
func (w *Writer) Write(ev *event.Event) error { return w.enc.Encode(FromEvent(ev)) }

// Flush writes buffered data.
func (w *Writer) Flush() error { return w.w.Flush() }

// Reader reads events written by Writer.
type Reader struct {
	sc   *bufio.Scanner
	line int
}

// NewReader returns a Reader on r. Lines may be up to 16 MiB.
func NewReader(r io.Reader) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	return &Reader{sc: sc}
}

// Read returns the next event, or io.EOF. A malformed line gives an error
// naming its line number; reading may continue after it.
func (r *Reader) Read() (*event.Event, error) {
	for r.sc.Scan() {
		r.line++
		b := r.sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var j Event
		if err := json.Unmarshal(b, &j); err != nil {
			return nil, fmt.Errorf("line %d: %w", r.line, err)
		}
		ev, err := j.ToEvent()
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", r.line, err)
		}
		return ev, nil
	}
	if err := r.sc.Err(); err != nil {
		return nil, err
	}
	return nil, io.EOF
}
