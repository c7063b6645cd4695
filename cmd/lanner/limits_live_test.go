package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/testutil"
)

// TestLiveLimits performs the evasions that long paths and long command
// lines used to allow, with every collector, and checks that the rules
// still fire: a file created from a working directory more than PATH_MAX
// bytes deep below /dev, and a download piped into a shell whose command
// line is padded before and after the command.
func TestLiveLimits(t *testing.T) {
	testutil.LockKernel(t)
	bin := lanner(t)
	for _, collector := range []string{"ebpf", "audit", "fanotify"} {
		t.Run(collector, func(t *testing.T) {
			testLiveLimits(t, bin, collector)
		})
	}
}

func testLiveLimits(t *testing.T, bin, collector string) {
	marker := fmt.Sprintf("lanner-limits-%d-%s", os.Getpid(), collector)
	top := "/dev/." + marker
	t.Cleanup(func() { exec.Command("rm", "-rf", top).Run() })

	l := startLanner(t, bin, "--collector", collector)
	l.dropsExpected = collector == "fanotify"

	shallow := top + "/s" + strings.Repeat("/d", 99) + "/shallow"
	// 25 levels of 200-byte names: the working directory is about 5 KiB
	// long, more than PATH_MAX; each step is a short relative mkdir and
	// chdir (shells' cd works on the whole path, which is too long), then
	// touch runs there.
	script := `import os, sys, time
os.mkdir(sys.argv[1]); os.chdir(sys.argv[1])
for i in range(25):
    os.mkdir("d" * 200); os.chdir("d" * 200)
if os.fork() == 0:
    os.execvp("touch", ["touch", "./payload"])
os.wait()
# A creator that stays a while: /proc still has its working directory.
fd = os.open("./lingering", os.O_CREAT | os.O_WRONLY, 0o600)
os.write(fd, b"x")
time.sleep(1)
# 100 levels of short names: short, but more levels than a walk of 64
# steps covered.
os.chdir(sys.argv[1])
os.mkdir("s"); os.chdir("s")
for i in range(99):
    os.mkdir("d"); os.chdir("d")
fd = os.open("./shallow", os.O_CREAT | os.O_WRONLY, 0o600)
os.write(fd, b"x")
time.sleep(1)
`
	if out, err := exec.Command("python3", "-c", script, top).CombinedOutput(); err != nil {
		t.Fatalf("deep directory: %v\n%s", err, out)
	}

	// The command after 4100 bytes of padding (kept whole), after 20000
	// (in the tail kept) and before 20000 (in the head kept). curl talks
	// to a closed port on 127.0.0.1.
	download := "curl -s -m 1 http://127.0.0.1:9/" + marker + " | sh"
	for _, cmd := range []string{
		": " + strings.Repeat("x", 4100) + "; " + download,
		": " + strings.Repeat("z", 20000) + "; " + download,
		download + "; : " + strings.Repeat("y", 20000),
	} {
		exec.Command("sh", "-c", cmd).Run()
	}

	alerts := l.stop(t)
	dev := map[string]bool{} // by proc.name
	deep := 0                // alerts on the two files created 5 KiB deep
	pipes := map[string]bool{}
	for _, a := range alerts {
		switch a.Rule {
		case defaultRuleNames.dev:
			name := fmt.Sprint(a.OutputFields["fd.name"])
			if name == shallow {
				dev["shallow"] = true
				continue
			}
			if !strings.HasPrefix(name, top+"/") {
				continue
			}
			dev[fmt.Sprint(a.OutputFields["proc.name"])] = true
			deep++
			if !event.PathIsCut(name) {
				t.Errorf("fd.name of %d bytes is not marked cut: %.80q...", len(name), name)
			}
		case "Download Piped Into Shell":
			cl := fmt.Sprint(a.OutputFields["proc.cmdline"])
			if !strings.Contains(cl, marker) {
				continue
			}
			switch {
			case strings.Contains(cl, "yyy"):
				pipes["head"] = true
				if !strings.Contains(cl, event.ArgvCutMark) {
					t.Errorf("cut command line without the mark")
				}
			case strings.Contains(cl, "zzz"):
				pipes["tail"] = true
				if !strings.Contains(cl, event.ArgvCutMark) {
					t.Errorf("cut command line without the mark")
				}
			default:
				pipes["padded"] = true
				if strings.Contains(cl, event.ArgvCutMark) {
					t.Errorf("command line of %d bytes was cut", len(cl))
				}
			}
		}
	}
	if !dev["shallow"] {
		t.Errorf("no %q alert naming %s", defaultRuleNames.dev, shallow)
	}
	if deep < 2 {
		t.Errorf("%d %q alerts for the two files created 5 KiB deep below %s", deep, defaultRuleNames.dev, top)
	}
	// touch is gone before its /proc entry can be read: under audit,
	// whose CWD record says "<too_long>", its working directory is its
	// parent's, checked against the directory the records name. fanotify
	// reads the process when it reads the event (a limit its coverage
	// report states), so a creator gone by then is named as its parent.
	if collector != "fanotify" {
		for _, creator := range []string{"python3", "touch"} {
			if !dev[creator] {
				t.Errorf("no %q alert for the file %s created 5 KiB deep below %s", defaultRuleNames.dev, creator, top)
			}
		}
	}
	for _, c := range []string{"padded", "head", "tail"} {
		if !pipes[c] {
			t.Errorf("no download-pipe alert for the %s command line", c)
		}
	}
	if t.Failed() {
		t.Logf("alerts:\n%s\nstderr:\n%s", describe(alerts), l.stderr.String())
	}
}
