package difftest

import (
	"math/rand/v2"
	"net/netip"
	"strings"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/lang"
)

// Literals are the values a program's rules compare each field with,
// gathered so that random events hit the rules' interesting cases.
type Literals struct {
	Strings map[string][]string // by field name (and arg key, e.g. proc.aname)
	Ints    map[string][]int64
	IPs     []netip.Addr
	Types   []event.Type
}

// Gather collects the literals of every rule's condition.
func Gather(prog *lang.Program) *Literals {
	l := &Literals{Strings: map[string][]string{}, Ints: map[string][]int64{}}
	seenType := map[event.Type]bool{}
	var walk func(e lang.Expr)
	walk = func(e lang.Expr) {
		switch e := e.(type) {
		case *lang.And:
			for _, c := range e.Children {
				walk(c)
			}
		case *lang.Or:
			for _, c := range e.Children {
				walk(c)
			}
		case *lang.Not:
			walk(e.Child)
		case *lang.Check:
			name := e.Left.Field.Name
			if e.Left.Arg.Key != "" {
				name += "." + e.Left.Arg.Key
			}
			for _, s := range e.Strings {
				l.Strings[name] = append(l.Strings[name], s)
				if e.Op == lang.OpStartsWith || e.Op == lang.OpPmatch {
					l.Strings[name] = append(l.Strings[name], strings.TrimSuffix(s, "/")+"/sub/file")
				}
				if e.Op == lang.OpEndsWith || e.Op == lang.OpContains {
					l.Strings[name] = append(l.Strings[name], "/x/"+s)
				}
			}
			l.Ints[name] = append(l.Ints[name], e.Ints...)
			l.IPs = append(l.IPs, e.IPs...)
			for _, p := range e.Nets {
				l.IPs = append(l.IPs, p.Addr())
			}
			for _, t := range e.EvtTypes {
				if !seenType[t] {
					seenType[t] = true
					l.Types = append(l.Types, t)
				}
			}
		}
	}
	for _, r := range prog.Rules {
		walk(r.Cond)
		for _, t := range r.EvtTypes.Types() {
			if !seenType[t] {
				seenType[t] = true
				l.Types = append(l.Types, t)
			}
		}
	}
	l.IPs = append(l.IPs, netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("198.51.100.9"), netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("2001:db8::1"))
	return l
}

// Generator builds random events from Literals.
type Generator struct {
	L   *Literals
	R   *rand.Rand
	num uint64
}

func (g *Generator) str(field string, fallback ...string) string {
	pool := g.L.Strings[field]
	if len(pool) > 0 && g.R.IntN(10) < 7 {
		return pool[g.R.IntN(len(pool))]
	}
	if len(fallback) > 0 {
		return fallback[g.R.IntN(len(fallback))]
	}
	return "v" + string(rune('a'+g.R.IntN(26)))
}

func (g *Generator) num64(field string, fallback int64) int64 {
	pool := g.L.Ints[field]
	if len(pool) > 0 && g.R.IntN(10) < 6 {
		return pool[g.R.IntN(len(pool))]
	}
	return fallback
}

func (g *Generator) chance(n int) bool { return g.R.IntN(100) < n }

func (g *Generator) process(depth int) *event.Process {
	names := []string{"bash", "sh", "cat", "nginx", "sshd", "java", "node", "runc", "containerd-shim", "python3"}
	p := &event.Process{
		PID:  int64(1000 + g.R.IntN(1000)),
		VPID: g.num64("proc.vpid", int64(1+g.R.IntN(3))),
		Name: g.str("proc.name", names...),
	}
	p.Exe = g.str("proc.exe", "/usr/bin/"+p.Name, p.Name)
	p.ExePath = g.str("proc.exepath", "/usr/bin/"+p.Name, "/tmp/"+p.Name)
	args := strings.Fields(g.str("proc.args", "-c id", "--version", ""))
	if g.chance(30) {
		cl := g.str("proc.cmdline")
		if rest, ok := strings.CutPrefix(cl, p.Name+" "); ok {
			args = strings.Fields(rest)
		}
	}
	p.SetArgs(args)
	p.Cwd = g.str("proc.cwd", "/", "/root", "/tmp")
	if g.chance(50) {
		p.SetEnv([]string{"HOME=/root", g.str("proc.env", "PATH=/bin"), "HTTP_PROXY=" + g.str("proc.env.HTTP_PROXY", "x")})
	}
	p.TTY = uint32(g.num64("proc.tty", int64(g.R.IntN(2)*34816)))
	p.UID = uint32(g.num64("user.uid", int64(g.R.IntN(2)*1000)))
	p.UserName = g.str("user.name", "root", "alice", "")
	p.LoginUID = uint32(g.num64("user.loginuid", -1))
	p.LoginName = g.str("user.loginname", "alice", "")
	p.GID = uint32(g.num64("group.gid", 0))
	p.GroupName = g.str("group.name", "root", "")
	p.CapPermitted = g.R.Uint64() & (1<<41 - 1)
	p.CapEffective = p.CapPermitted & g.R.Uint64()
	p.ExeUpperLayer = g.chance(20)
	p.ExeFromMemfd = g.chance(10)
	p.StartTime = 1_700_000_000_000_000_000 + int64(g.R.IntN(1e9))
	if g.chance(40) {
		p.Container = &event.Container{
			ID: "0123456789ab", FullID: "0123456789ab" + strings.Repeat("c", 52), Runtime: "docker",
			MetadataKnown: g.chance(90), Name: g.str("container.name", "web"),
			ImageRepo: g.str("container.image.repository", "nginx", "docker.io/library/busybox"),
			ImageTag:  "latest", Privileged: g.chance(30),
			K8sNamespace: g.str("k8s.ns.name", "default", ""), K8sPodName: g.str("k8s.pod.name", "pod", ""),
		}
		p.Container.Image = p.Container.ImageRepo + ":" + p.Container.ImageTag
		if g.chance(50) {
			p.Container.SetMounts([]event.Mount{{Source: g.str("container.mount.source", "/proc", "/var/run/docker.sock", "/data"), Dest: "/host", Mode: "rw", RW: true}})
		}
	}
	if depth < 5 && g.chance(85) {
		p.Parent = g.process(depth + 1)
		if depth == 0 && g.chance(50) {
			p.Parent.Name = g.str("proc.pname", names...)
			p.Parent.SetArgs(p.Parent.Args)
		}
		if p.Container == nil {
			p.Container = p.Parent.Container
		}
	}
	if g.chance(70) {
		p.SessionLeader = p
	}
	return p
}

// Event returns a random event.
func (g *Generator) Event() *event.Event {
	g.num++
	ev := &event.Event{Num: g.num, Time: 1_700_000_001_000_000_000, TID: 4242}
	if len(g.L.Types) > 0 && g.chance(90) {
		ev.Type = g.L.Types[g.R.IntN(len(g.L.Types))]
	} else {
		ev.Type = event.Type(1 + g.R.IntN(int(event.NumTypes)-1))
	}
	if g.chance(95) {
		ev.Proc = g.process(0)
	}
	ev.Res = g.num64("evt.rawres", int64(g.R.IntN(4)))
	if g.chance(15) {
		ev.Res = -int64(1 + g.R.IntN(120))
	}
	a := &ev.Args
	switch {
	case ev.Type.IsOpen():
		path := g.str("fd.name", "/etc/shadow", "/tmp/x", "/dev/null")
		if g.chance(30) {
			path = g.str("fd.directory", "/etc", "/bin") + "/" + g.str("fd.filename", "f", "authorized_keys")
		}
		ev.FD = event.FD{Kind: event.FDFile, Num: ev.Res, Name: path}
		if g.chance(10) {
			ev.FD.Kind = event.FDDirectory
		}
		a.Set |= event.ArgFlags | event.ArgName | event.ArgMode
		a.Flags = uint32(g.R.IntN(3)) | uint32(g.R.IntN(2))*0x40 | uint32(g.R.IntN(2))*0x200 | uint32(g.R.IntN(2))*event.OpenCreated
		a.Mode = uint32(g.R.IntN(0o1000))
		a.Name = path
	case ev.Type == event.TypeConnect || ev.Type == event.TypeAccept || ev.Type == event.TypeAccept4 ||
		ev.Type == event.TypeSendto || ev.Type == event.TypeSendmsg || ev.Type == event.TypeRecvfrom ||
		ev.Type == event.TypeRecvmsg || ev.Type == event.TypeListen:
		kind := event.FDIPv4
		ips := g.L.IPs
		l, r := ips[g.R.IntN(len(ips))], ips[g.R.IntN(len(ips))]
		if l.Is6() != r.Is6() {
			r = l
		}
		if l.Is6() {
			kind = event.FDIPv6
		}
		lport := uint16(g.num64("fd.lport", int64(30000+g.R.IntN(1000))))
		rport := uint16(g.num64("fd.rport", int64(g.num64("fd.sport", 443))))
		ev.FD = event.FD{Kind: kind, Num: 5, L4Proto: event.L4Proto(1 + g.R.IntN(2)), Connected: g.chance(50),
			NameChanged: g.chance(50), Server: ev.Type == event.TypeAccept || ev.Type == event.TypeAccept4 || ev.Type == event.TypeListen,
			Local: netip.AddrPortFrom(l, lport), Remote: netip.AddrPortFrom(r, rport),
			RemoteName: g.str("fd.sip.name", "pool.example", "")}
		ev.FD.Name = ev.FD.Local.String() + "->" + ev.FD.Remote.String()
		if g.chance(10) {
			ev.FD.Kind = event.FDUnix
		}
	case ev.Type == event.TypeChmod || ev.Type == event.TypeFchmod || ev.Type == event.TypeFchmodat:
		a.Set |= event.ArgMode | event.ArgFilename
		a.Mode = uint32(g.R.IntN(0o10000))
		a.Filename = g.str("evt.arg.filename", "/tmp/f")
	case ev.Type == event.TypeRename || ev.Type == event.TypeRenameat || ev.Type == event.TypeRenameat2 ||
		ev.Type == event.TypeLink || ev.Type == event.TypeLinkat:
		a.Set |= event.ArgOldPath | event.ArgNewPath
		a.OldPath = g.str("evt.arg.oldpath", "/root/.bash_history")
		a.NewPath = g.str("evt.arg.newpath", "/tmp/x")
	case ev.Type == event.TypeSymlink || ev.Type == event.TypeSymlinkat:
		a.Set |= event.ArgTarget | event.ArgLinkPath
		a.Target = g.str("evt.arg.target", "/etc")
		a.LinkPath = g.str("evt.arg.linkpath", "/tmp/etc")
	case ev.Type == event.TypeUnlink || ev.Type == event.TypeUnlinkat || ev.Type == event.TypeRmdir ||
		ev.Type == event.TypeMkdir || ev.Type == event.TypeMkdirat:
		a.Set |= event.ArgPath | event.ArgName
		a.Path = g.str("evt.arg.path", "/var/log/syslog")
		a.Name = g.str("evt.arg.name", a.Path)
	case ev.Type == event.TypePtrace:
		a.Set |= event.ArgRequest | event.ArgPID
		a.Request = []int64{0, 4, 5, 13, 16, 0x4206}[g.R.IntN(6)]
	case ev.Type == event.TypeSetuid:
		a.Set |= event.ArgUID
		a.UID = uint32(g.R.IntN(2) * 1000)
		a.UserName = g.str("evt.arg.uid", "root")
	case ev.Type == event.TypeSetgid:
		a.Set |= event.ArgGID
		a.GID = uint32(g.R.IntN(2) * 1000)
		a.GroupName = g.str("evt.arg.gid", "root")
	case ev.Type == event.TypeSetresuid || ev.Type == event.TypeSetreuid:
		a.Set |= event.ArgRID | event.ArgEID
		if ev.Type == event.TypeSetresuid {
			a.Set |= event.ArgSID
		}
		for i := range a.IDs {
			a.IDs[i] = []uint32{0, 1000, 0xffffffff}[g.R.IntN(3)]
		}
		a.IDNames[1] = g.str("evt.arg.euid", "root")
	case ev.Type == event.TypeCapset:
		a.Set |= event.ArgCaps
		a.Caps = [3]uint64{0, uint64(g.R.IntN(2)) << 21, uint64(g.R.IntN(2)) << 21}
	case ev.Type == event.TypeBpf:
		a.Set |= event.ArgCmd
		a.Cmd = int64(g.R.IntN(8))
	case ev.Type == event.TypeSocket:
		a.Set |= event.ArgDomain
		a.Domain = []int64{1, 2, 10, 17}[g.R.IntN(4)]
	case ev.Type == event.TypeDup || ev.Type == event.TypeDup2 || ev.Type == event.TypeDup3:
		ev.FD = event.FD{Kind: []event.FDKind{event.FDIPv4, event.FDFile, event.FDPipe}[g.R.IntN(3)], Num: ev.Res}
	case ev.Type.IsExec():
		a.Set |= event.ArgFlags | event.ArgFilename
		a.Flags = uint32(g.R.IntN(16))
		a.Filename = g.str("evt.arg.filename", "/usr/bin/x")
	case ev.Type == event.TypeUnshare || ev.Type == event.TypeSetns:
		a.Set |= event.ArgFlags
		a.Flags = uint32(g.R.IntN(2)) * 0x10000000
	}
	return ev
}
