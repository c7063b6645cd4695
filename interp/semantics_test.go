package interp_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/interp"
	"github.com/lannersec/lanner/lang"
)

// compileCond compiles one condition into a rule's IR.
func compileCond(t *testing.T, cond string) *lang.Rule {
	t.Helper()
	src := "- rule: r\n  desc: d\n  condition: " + quoteYAML(cond) + "\n  output: o\n  priority: INFO\n"
	prog, err := lang.Load(lang.File{Name: "t.yaml", Data: []byte(src)})
	if err != nil {
		t.Fatalf("%s: %v", cond, err)
	}
	return prog.Rules[0]
}

func quoteYAML(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// proc builds a process chain: names[0] is the process, names[1] its
// parent, and so on.
func proc(names ...string) *event.Process {
	var top *event.Process
	var prev *event.Process
	for i, n := range names {
		p := &event.Process{Name: n, PID: int64(100 - i), ExePath: "/usr/bin/" + n}
		p.SetArgs([]string{"-x"})
		if prev == nil {
			top = p
		} else {
			prev.Parent = p
		}
		prev = p
	}
	return top
}

func openEv(path string, flags uint32) *event.Event {
	return &event.Event{
		Type: event.TypeOpenat, Num: 7, Res: 3, Proc: proc("cat", "bash", "sshd"),
		FD:   event.FD{Kind: event.FDFile, Num: 3, Name: path},
		Args: event.Args{Set: event.ArgFlags | event.ArgName, Flags: flags, Name: path},
	}
}

func connectEv(local, remote string) *event.Event {
	return &event.Event{
		Type: event.TypeConnect, Num: 9, Proc: proc("curl", "bash"),
		FD: event.FD{Kind: event.FDIPv4, Num: 4, L4Proto: event.L4TCP, Connected: true,
			Local: netip.MustParseAddrPort(local), Remote: netip.MustParseAddrPort(remote)},
	}
}

// TestSemantics covers the traps of the condition language: missing values,
// both-endpoint fields, glob and pmatch, anchored regex, quantified
// ancestors, numeric lists, event types.
func TestSemantics(t *testing.T) {
	orphan := openEv("/etc/shadow", 0)
	orphan.Proc = proc("init")
	conn := connectEv("10.0.0.5:40000", "198.51.100.7:443")
	loop := connectEv("127.0.0.1:40000", "127.0.0.1:8080")
	noProc := openEv("/tmp/x", 0)
	noProc.Proc = nil

	cases := []struct {
		cond string
		ev   *event.Event
		want bool
	}{
		// Missing values: every comparison is false, != included.
		{"proc.pname != bash", orphan, false},
		{"not proc.pname = bash", orphan, true},
		{"proc.pname exists", orphan, false},
		{"not proc.pname exists", orphan, true},
		{"proc.name != cat", noProc, false},
		{"fd.sip exists", openEv("/x", 0), false},
		{"fd.directory = /etc", conn, false},

		// Strings.
		{"fd.name = /etc/shadow", openEv("/etc/shadow", 0), true},
		{"fd.name == /etc/shadow", openEv("/etc/shadow", 0), true},
		{"fd.directory = /etc", openEv("/etc/shadow", 0), true},
		{"fd.filename = shadow", openEv("/etc/shadow", 0), true},
		{"fd.name contains shad", openEv("/etc/shadow", 0), true},
		{"fd.name icontains SHAD", openEv("/etc/shadow", 0), true},
		{"fd.name startswith /etc/", openEv("/etc/shadow", 0), true},
		{"fd.name endswith dow", openEv("/etc/shadow", 0), true},
		{"proc.name < val(proc.pname)", openEv("/etc/shadow", 0), false},
		{"proc.name > val(proc.pname)", openEv("/etc/shadow", 0), true},

		// glob is fnmatch without FNM_PATHNAME: * crosses /.
		{"fd.name glob '/etc/*'", openEv("/etc/ssh/sshd_config", 0), true},
		{"fd.name glob '/etc/s?adow'", openEv("/etc/shadow", 0), true},
		{"fd.name glob '/ETC/*'", openEv("/etc/shadow", 0), false},
		{"fd.name iglob '/ETC/*'", openEv("/etc/shadow", 0), true},

		// regex is anchored at both ends.
		{"fd.name regex 'shadow'", openEv("/etc/shadow", 0), false},
		{"fd.name regex '.*shadow'", openEv("/etc/shadow", 0), true},
		{"fd.name regex '/etc/(passwd|shadow)'", openEv("/etc/shadow", 0), true},

		// pmatch works on whole path components, with glob components.
		{"fd.name pmatch (/var/run)", openEv("/var/run/docker.sock", 0), true},
		{"fd.name pmatch (/var/run)", openEv("/var/runx", 0), false},
		{"fd.name pmatch (/var/run)", openEv("/var", 0), false},
		{"fd.name pmatch (/opt/*/subdir)", openEv("/opt/x/subdir/f", 0), true},

		// in: set membership; the empty list matches nothing.
		{"fd.name in (/etc/passwd, /etc/shadow)", openEv("/etc/shadow", 0), true},
		{"fd.name in ()", openEv("/etc/shadow", 0), false},
		{"not fd.name in ()", openEv("/etc/shadow", 0), true},
		{"fd.name intersects (/etc/shadow)", openEv("/etc/shadow", 0), true},

		// Modifiers.
		{"fd.name startswith oneof (/usr, /etc)", openEv("/etc/shadow", 0), true},
		{"fd.name startswith allof (/etc, /et)", openEv("/etc/shadow", 0), true},
		{"fd.name startswith allof (/etc, /usr)", openEv("/etc/shadow", 0), false},

		// Numbers: values typed by the field, numeric in.
		{"fd.num = 3", openEv("/x", 0), true},
		{"fd.num in (1, 2, 3)", openEv("/x", 0), true},
		{"fd.num >= 0", openEv("/x", 0), true},
		{"fd.num < 0x10", openEv("/x", 0), true},
		{"evt.rawres in (0, 1, 2)", openEv("/x", 0), false},
		{"evt.num = 0", openEv("/x", 0), false},

		// Bools.
		{"evt.is_open_read = true", openEv("/x", 0), true},
		{"evt.is_open_write = true", openEv("/x", 1), true},
		{"evt.is_open_read = true", openEv("/x", 1), false},
		{"evt.is_open_read = true", openEv("/x", 2), true},
		{"evt.is_open_read exists", conn, false},

		// Event types.
		{"evt.type = openat", openEv("/x", 0), true},
		{"evt.type in (open, openat, openat2)", openEv("/x", 0), true},
		{"evt.type != openat", openEv("/x", 0), false},
		{"evt.dir = <", openEv("/x", 0), true},
		{"evt.res = SUCCESS", openEv("/x", 0), true},

		// Ancestors: no index means any ancestor, from the parent up.
		{"proc.aname = sshd", openEv("/x", 0), true},
		{"proc.aname = cat", openEv("/x", 0), false},
		{"proc.aname[0] = cat", openEv("/x", 0), true},
		{"proc.aname[2] = sshd", openEv("/x", 0), true},
		{"proc.aname[3] = sshd", openEv("/x", 0), false},
		{"proc.aname[3] != sshd", openEv("/x", 0), false},
		{"proc.aname in (bash, zsh)", openEv("/x", 0), true},
		{"proc.cmdline = 'cat -x'", openEv("/x", 0), true},

		// Both-endpoint fields: = and in hold for either endpoint, != only
		// if neither matches.
		{"fd.ip = 198.51.100.7", conn, true},
		{"fd.ip = 10.0.0.5", conn, true},
		{"fd.ip != 10.0.0.5", conn, false},
		{"fd.ip != 192.0.2.1", conn, true},
		{"fd.net = 10.0.0.0/8", conn, true},
		{"fd.net != 127.0.0.0/8", conn, true},
		{"fd.net != 127.0.0.0/8", loop, false},
		{"fd.port = 443", conn, true},
		{"fd.port != 443", conn, false},
		{"fd.sip = 198.51.100.7", conn, true},
		{"fd.cip = 10.0.0.5", conn, true},
		{"fd.snet in (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)", conn, false},
		{"fd.cnet in (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)", conn, true},
		{"fd.sport = https", conn, true},
		{"fd.typechar = 4", conn, true},
		{"fd.l4proto = tcp", conn, true},
		{"fd.name = 10.0.0.5:40000->198.51.100.7:443", conn, false},

		// Transformers and field-to-field comparison.
		{"tolower(proc.name) = cat", openEv("/x", 0), true},
		{"toupper(proc.name) = CAT", openEv("/x", 0), true},
		{"basename(fd.name) = shadow", openEv("/etc/shadow", 0), true},
		{"len(proc.name) = 3", openEv("/x", 0), true},
		{"proc.name = val(proc.aname[0])", openEv("/x", 0), true},
		{"proc.name = val(proc.pname)", openEv("/x", 0), false},
		{"proc.name != val(proc.pname)", orphan, false},

		// Container fields outside containers.
		{"container.id = host", openEv("/x", 0), true},
		{"container.name = host", openEv("/x", 0), true},
		{"container.image.repository exists", openEv("/x", 0), true}, // "" on the host, as Falco
		{"container.image.repository = \"\"", openEv("/x", 0), true},

		// Arguments rendered as Falco renders them.
		{"evt.arg.flags contains O_RDWR", openEv("/x", 2), true},
		{"evt.arg.flags contains O_TRUNC", openEv("/x", 0x201), true},
		{"evt.arg[2] = /x", openEv("/x", 0), true},
		{"evt.arg[1] exists", openEv("/x", 0), false},
	}
	for _, c := range cases {
		r := compileCond(t, c.cond)
		if got := interp.Eval(r.Cond, c.ev); got != c.want {
			t.Errorf("%s: got %v, want %v", c.cond, got, c.want)
		}
	}
}

// TestTypeErrors checks that values are typed when the rule is compiled.
func TestTypeErrors(t *testing.T) {
	for _, cond := range []string{
		"evt.is_open_read = yes",
		"fd.num = abc",
		"fd.num contains 3",
		"fd.sip = not-an-ip",
		"fd.net = 10.0.0.0/99",
		"proc.name[1] = x",
		"evt.arg.nosuch = x",
		"container.mount.dest = x",
		"proc.name = oneof x",
		"fd.name regex '('",
		"fd.ip glob x",
		"evt.buffer bcontains xyz",
	} {
		src := "- rule: r\n  desc: d\n  condition: " + quoteYAML(cond) + "\n  output: o\n  priority: INFO\n"
		if _, err := lang.Load(lang.File{Name: "t.yaml", Data: []byte(src)}); err == nil {
			t.Errorf("%s: compiled, want an error", cond)
		} else if !strings.HasPrefix(err.Error(), "t.yaml:") {
			t.Errorf("%s: error %q lacks a position", cond, err)
		}
	}
}

// TestEvtTypes checks event-type indexing, De Morgan included.
func TestEvtTypes(t *testing.T) {
	cases := map[string]string{
		"evt.type = open": "open",
		"evt.type in (open, connect) and proc.name = x":   "connect,open",
		"evt.type = open or evt.type = execve":            "execve,open",
		"not (evt.type != open)":                          "open",
		"not (evt.type != open or evt.type != connect)":   "",
		"evt.type in (open, connect) and evt.type = open": "open",
		"evt.num = 0":                     "",
		"evt.type = open and evt.num = 0": "",
		"(evt.type = open and evt.num = 0) or evt.type = bpf": "bpf",
	}
	for cond, want := range cases {
		r := compileCond(t, cond)
		if got := strings.Join(lang.TypeNames(r.EvtTypes), ","); got != want {
			t.Errorf("%s: %q, want %q", cond, got, want)
		}
	}
	if r := compileCond(t, "evt.type = open and proc.name in ()"); strings.Join(lang.TypeNames(r.EvtTypes), ",") != "open" {
		t.Errorf("an empty list is a neutral leaf for event types, got %v", lang.TypeNames(r.EvtTypes))
	}
	if r := compileCond(t, "proc.name = x"); !r.AllTypes {
		t.Errorf("a condition without evt.type must match all types")
	}
	if r := compileCond(t, "evt.type != open"); r.AllTypes || r.EvtTypes.Has(event.TypeOpen) || !r.EvtTypes.Has(event.TypeExecve) {
		t.Errorf("evt.type != open: wrong set %v", lang.TypeNames(r.EvtTypes))
	}
}

func TestFormat(t *testing.T) {
	src := "- rule: r\n  desc: d\n  condition: evt.type = openat\n  output: 'file=%fd.name %proc.aname[2]) %5proc.name| %proc.nosuch %evt.arg.flags gp=%proc.aname'\n  priority: INFO\n"
	prog, err := lang.Load(lang.File{Name: "t.yaml", Data: []byte(src)})
	if err == nil {
		t.Fatalf("unknown output field accepted")
	}
	src = strings.Replace(src, " %proc.nosuch", " %user.name", 1)
	prog, err = lang.Load(lang.File{Name: "t.yaml", Data: []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	got := string(interp.Format(nil, prog.Rules[0].Output, openEv("/etc/shadow", 0x80000)))
	want := "file=/etc/shadow sshd) cat  | <NA> O_RDONLY|O_CLOEXEC gp=bash sshd"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
