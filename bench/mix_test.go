// Package bench measures rule evaluation and the event pipeline. It holds
// only tests and benchmarks; figures and how to reproduce them are in
// README.md.
package bench

import (
	"math/rand/v2"
	"net/netip"

	"github.com/lannersec/lanner/event"
)

// process builds a process with a parent chain.
func process(pid int64, exepath string, args []string, parent *event.Process) *event.Process {
	name := exepath[lastSlash(exepath)+1:]
	if len(name) > 15 {
		name = name[:15]
	}
	p := &event.Process{
		PID: pid, VPID: pid, Name: name, Exe: exepath, ExePath: exepath, Cwd: "/home/dev/src",
		UID: 1000, GID: 1000, UserName: "dev", GroupName: "dev", LoginUID: 1000, LoginName: "dev",
		TTY: 34816, Parent: parent, StartTime: 1_700_000_000_000_000_000,
	}
	p.SetArgs(args)
	p.SetEnv([]string{"HOME=/home/dev", "PATH=/usr/bin:/bin", "TERM=xterm"})
	return p
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}

// Mix returns a deterministic stream of n events shaped like a developer
// machine at work (a shell session, a build, package tooling, a web
// server): mostly opens, then execs, connects and a tail of file-system
// and process events.
func Mix(n int) []*event.Event {
	r := rand.New(rand.NewPCG(42, 7))
	systemd := process(1, "/usr/lib/systemd/systemd", nil, nil)
	sshd := process(600, "/usr/sbin/sshd", []string{"-D"}, systemd)
	bash := process(1200, "/usr/bin/bash", nil, sshd)
	mk := process(1300, "/usr/bin/make", []string{"build"}, bash)
	gobin := process(1301, "/usr/local/go/bin/go", []string{"build", "./..."}, mk)
	nginx := process(800, "/usr/sbin/nginx", []string{"-g", "daemon off;"}, systemd)
	apt := process(1400, "/usr/bin/apt-get", []string{"install", "-y", "jq"}, bash)
	procs := []*event.Process{bash, mk, gobin, nginx, apt, sshd}

	files := []string{
		"/etc/ld.so.cache", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc/passwd", "/etc/nsswitch.conf",
		"/home/dev/src/main.go", "/home/dev/src/go.mod", "/tmp/go-build123/b001/_pkg_.a",
		"/proc/self/status", "/dev/null", "/usr/share/zoneinfo/UTC", "/var/www/html/index.html",
		"/var/lib/dpkg/status", "/etc/shadow", "/root/.bashrc", "/etc/ssl/certs/ca-certificates.crt",
	}
	execs := [][]string{
		{"/usr/bin/ls", "-la"}, {"/usr/bin/cat", "main.go"}, {"/usr/bin/git", "status"},
		{"/usr/local/go/pkg/tool/linux_amd64/compile", "-o", "x.a"}, {"/usr/bin/grep", "-r", "TODO"},
		{"/usr/bin/sh", "-c", "echo hi"}, {"/usr/bin/dpkg", "--configure", "-a"}, {"/usr/bin/bash"},
	}
	remotes := []netip.AddrPort{
		netip.MustParseAddrPort("127.0.0.1:8080"), netip.MustParseAddrPort("198.51.100.10:443"),
		netip.MustParseAddrPort("192.0.2.53:53"), netip.MustParseAddrPort("10.0.0.7:5432"),
	}

	evs := make([]*event.Event, n)
	for i := range evs {
		p := procs[r.IntN(len(procs))]
		ev := &event.Event{Num: uint64(i + 1), Time: 1_700_000_001_000_000_000 + int64(i)*1000, TID: p.PID, Proc: p}
		switch k := r.IntN(100); {
		case k < 55:
			path := files[r.IntN(len(files))]
			ev.Type = event.TypeOpenat
			ev.Res = 3
			flags := uint32(0x80000)
			if r.IntN(5) == 0 {
				flags |= 0x241 // O_WRONLY|O_CREAT|O_TRUNC
			}
			ev.Args = event.Args{Set: event.ArgFlags | event.ArgName | event.ArgMode, Flags: flags, Mode: 0o644, Name: path}
			ev.FD = event.FD{Kind: event.FDFile, Num: 3, Name: path}
		case k < 75:
			argv := execs[r.IntN(len(execs))]
			child := process(p.PID+1000, argv[0], argv[1:], p)
			ev.Type = event.TypeExecve
			ev.Proc = child
			ev.Args = event.Args{Set: event.ArgFilename | event.ArgFlags, Filename: argv[0]}
		case k < 85:
			ev.Type = event.TypeConnect
			remote := remotes[r.IntN(len(remotes))]
			ev.FD = event.FD{Kind: event.FDIPv4, Num: 5, L4Proto: event.L4TCP, Connected: true,
				Local: netip.MustParseAddrPort("10.0.0.2:41000"), Remote: remote, Name: "10.0.0.2:41000->" + remote.String()}
			if r.IntN(4) == 0 {
				ev.Res = -115 // EINPROGRESS
			}
		case k < 90:
			ev.Type = event.TypeUnlinkat
			ev.Args = event.Args{Set: event.ArgPath | event.ArgName, Path: "/tmp/go-build123/x", Name: "/tmp/go-build123/x"}
		case k < 93:
			ev.Type = event.TypeRenameat2
			ev.Args = event.Args{Set: event.ArgOldPath | event.ArgNewPath, OldPath: "/var/lib/dpkg/status-new", NewPath: "/var/lib/dpkg/status"}
		case k < 96:
			ev.Type = event.TypeDup2
			ev.Res = 1
			ev.FD = event.FD{Kind: event.FDPipe, Num: 1}
		case k < 98:
			ev.Type = event.TypeSocket
			ev.Res = 5
			ev.Args = event.Args{Set: event.ArgDomain, Domain: 2}
		default:
			ev.Type = event.TypeFchmodat
			ev.Args = event.Args{Set: event.ArgMode | event.ArgFilename, Mode: 0o755, Filename: "/home/dev/src/bin/tool"}
		}
		evs[i] = ev
	}
	return evs
}
