package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lannersec/lanner/internal/testutil"
)

// The container tests run real Docker and containerd containers (started
// by scripts/containers.sh: `make test` and .ci/run do it) under the real
// binary with the eBPF and the audit collector.

// dockerCLI is Debian's Docker client, of the daemon's version.
const dockerCLI = "/usr/bin/docker"

// testImage is the busybox image scripts/containers.sh imports.
const testImage = "local/busybox:test"

// containerRootfs is the busybox root file system scripts/containers.sh
// builds, for containerd containers without an image.
func containerRootfs() string {
	dir := os.Getenv("LANNER_CTR_STATE")
	if dir == "" {
		dir = "/run/lanner-containers"
	}
	return filepath.Join(dir, "rootfs")
}

// requireRuntimes fails (skips without LANNER_REQUIRE_KERNEL=1) unless
// dockerd and containerd answer and the test image and rootfs exist.
func requireRuntimes(t *testing.T) {
	t.Helper()
	why := ""
	switch {
	case exec.Command(dockerCLI, "image", "inspect", testImage).Run() != nil:
		why = "dockerd with the image " + testImage + " is not running"
	case exec.Command("ctr", "version").Run() != nil:
		why = "containerd is not running"
	default:
		if _, err := os.Stat(filepath.Join(containerRootfs(), "bin", "busybox")); err != nil {
			why = "no busybox rootfs at " + containerRootfs()
		}
	}
	if why != "" {
		testutil.RequireKernel(t, why+" (start the runtimes with scripts/containers.sh start)")
	}
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// cmdOutput runs a command and returns its trimmed stdout, failing the test
// on error.
func cmdOutput(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// dockerRun runs a container (docker run --rm ... unless detached) and
// returns its full id; the container is removed when the test ends.
func dockerRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	t.Cleanup(func() { exec.Command(dockerCLI, "rm", "-f", name).Run() })
	argv := append([]string{"run", "--name", name, "--label", "lanner.test=1", "--network", "none", "--pull", "never"}, args...)
	out := cmdOutput(t, dockerCLI, argv...)
	if strings.Contains(strings.Join(args, " "), "-d") {
		return out
	}
	return ""
}

// k8sContainer is a containerd container that looks like a Kubernetes
// one: CRI labels and a kubepods cgroup.
type k8sContainer struct {
	id, podUID string
}

// runK8sContainer runs command in a containerd container (namespace
// k8s.io) with the labels the CRI plugin sets and a cgroup below
// /kubepods, and waits for it to end.
func runK8sContainer(t *testing.T, namespace, pod, container, command string) k8sContainer {
	t.Helper()
	c := k8sContainer{id: randomHex(t, 64), podUID: fmt.Sprintf("%s-%s-%s-%s-%s", randomHex(t, 8), randomHex(t, 4), randomHex(t, 4), randomHex(t, 4), randomHex(t, 12))}
	cgroup := "/kubepods/besteffort/pod" + c.podUID + "/" + c.id
	t.Cleanup(func() {
		exec.Command("ctr", "-n", "k8s.io", "tasks", "delete", "-f", c.id).Run()
		exec.Command("ctr", "-n", "k8s.io", "containers", "delete", c.id).Run()
		dirs, _ := filepath.Glob("/sys/fs/cgroup/*/kubepods/besteffort/pod" + c.podUID)
		for _, d := range append(dirs, "/sys/fs/cgroup/unified/kubepods/besteffort/pod"+c.podUID) {
			os.Remove(filepath.Join(d, c.id))
			os.Remove(d)
		}
	})
	cmd := exec.Command("ctr", "-n", "k8s.io", "run", "--rm", "--rootfs", "--env", "PATH=/bin:/sbin:/usr/bin",
		"--label", "lanner.test=1",
		"--label", "io.kubernetes.pod.name="+pod, "--label", "io.kubernetes.pod.namespace="+namespace,
		"--label", "io.kubernetes.pod.uid="+c.podUID, "--label", "io.kubernetes.container.name="+container,
		"--cgroup", cgroup, containerRootfs(), c.id, "sh", "-c", command)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ctr run: %v\n%s", err, out)
	}
	return c
}

// TestLiveContainers: with each collector, real containers raise the
// container rules with their metadata filled, and a host shell is the
// host.
func TestLiveContainers(t *testing.T) {
	testutil.LockKernel(t)
	requireRuntimes(t)
	bin := lanner(t)
	for _, collector := range []string{"ebpf", "audit"} {
		t.Run(collector, func(t *testing.T) {
			containerScenario(t, bin, collector)
		})
	}
}

// containerActions are the commands of the container scenario. The audit
// collector learns a process's container from /proc/PID/cgroup when it
// handles the exec, so with it the programs must outlive that read (a few
// milliseconds); the eBPF collector reads the cgroup in the kernel and
// gets the shortest ones.
type containerActions struct {
	execShell, privileged, short, k8s []string
}

var actionsFor = map[string]containerActions{
	"ebpf": {
		execShell:  []string{"sh", "-c", "echo in; true"},
		privileged: []string{"true"},
		short:      []string{"cat", "/etc/shadow"},
		k8s:        []string{"cat /etc/shadow; true"},
	},
	"audit": {
		execShell:  []string{"sh", "-c", "echo in; sleep 1"},
		privileged: []string{"sleep", "1"},
		short:      []string{"sh", "-c", "cat /etc/shadow; sleep 0.5"},
		k8s:        []string{"cat /etc/shadow; sleep 1"},
	},
}

func containerScenario(t *testing.T, bin, collector string) {
	tag := randomHex(t, 6)
	do := actionsFor[collector]
	l := startLanner(t, bin, "--collector", collector)

	// A shell with a terminal in a running container (docker exec -t).
	execName := "lanner-test-exec-" + tag
	execID := dockerRun(t, execName, "-d", testImage, "sleep", "60")
	cmdOutput(t, dockerCLI, append([]string{"exec", "-t", execName}, do.execShell...)...)

	// Privileged, and with /proc of the host mounted.
	privName, mountName := "lanner-test-priv-"+tag, "lanner-test-mount-"+tag
	dockerRun(t, privName, append([]string{"--rm", "--privileged", testImage}, do.privileged...)...)
	dockerRun(t, mountName, append([]string{"--rm", "-v", "/proc:/host/proc:ro", testImage}, do.privileged...)...)

	// A container that lives under a second and reads /etc/shadow.
	shortName := "lanner-test-short-" + tag
	start := time.Now()
	dockerRun(t, shortName, append([]string{"--rm", testImage}, do.short...)...)
	t.Logf("the short-lived container took %v, docker run included", time.Since(start).Round(time.Millisecond))

	// A Kubernetes-looking containerd container reading /etc/shadow.
	k8s := runK8sContainer(t, "prod", "web-0", "app", do.k8s[0])

	// The host: a shell reading /etc/shadow.
	run(t, "sh", "-c", "cat /etc/shadow >/dev/null; true")

	alerts := l.stop(t)
	short := func(id string) string { return id[:12] }
	shadow := defaultRuleNames.shadow
	want := []expectation{
		{"docker exec -t shell", "Terminal Shell In Container", map[string]string{
			"container.id": short(execID), "container.name": execName,
			"container.image.repository": "local/busybox", "container.image.tag": "test", "proc.name": "sh"}},
		{"privileged container", "Privileged Container Started", map[string]string{
			"container.name": privName, "container.image.repository": "local/busybox", "container.privileged": "true"}},
		{"host /proc mounted", "Container Started With Sensitive Host Mount", map[string]string{
			"container.name": mountName, "container.mounts": "/proc:/host/proc:ro:false:*"}},
		{"short-lived container", shadow, map[string]string{
			"container.name": shortName, "container.image.repository": "local/busybox", "container.image.tag": "test"}},
		{"kubernetes pod", shadow, map[string]string{
			"container.id": short(k8s.id), "container.name": "app", "k8s.ns.name": "prod", "k8s.pod.name": "web-0"}},
		{"host shell", shadow, map[string]string{
			"container.id": "host", "container.name": "host", "proc.cmdline": "cat /etc/shadow"}},
	}
	for _, w := range want {
		found := false
		for _, a := range alerts {
			if w.matches(a) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s: no %q alert with %v", w.what, w.rule, w.fields)
		}
	}
	containerRules := map[string]bool{"Terminal Shell In Container": true, "Privileged Container Started": true, "Container Started With Sensitive Host Mount": true}
	for _, a := range alerts {
		for _, k := range []string{"container.id", "container.name", "container.image.repository", "container.image.tag", "k8s.ns.name", "k8s.pod.name"} {
			if _, ok := a.OutputFields[k]; !ok {
				t.Errorf("%s alert lacks output field %s", a.Rule, k)
			}
		}
		if containerRules[a.Rule] && a.OutputFields["container.id"] == "host" {
			t.Errorf("container rule %q fired on the host: %s", a.Rule, a.Output)
		}
	}
	if t.Failed() {
		for _, a := range alerts {
			t.Logf("alert: %s | %v", a.Rule, a.OutputFields)
		}
		t.Logf("lanner stderr:\n%s", l.stderr.String())
	}
}
