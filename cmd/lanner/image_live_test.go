package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lannersec/lanner/internal/testutil"
)

// nodeNameEnv is the variable the DaemonSet's pod gets the node's name in
// (downward API, spec.nodeName), as Falco's does; deploy/daemonset.yaml
// sets it.
const nodeNameEnv = "FALCO_HOSTNAME"

// TestLiveImage builds the image with `make image` (FROM scratch, the
// static binary) and runs it as deploy/daemonset.yaml's pod runs: privileged,
// in the host's PID namespace, the host's / read-only at /host,
// --host-root /host and the node's name in FALCO_HOSTNAME. A host shell
// reading /etc/shadow and a shell in another container raise alerts with
// the node's name as hostname and the host's user names.
func TestLiveImage(t *testing.T) {
	testutil.LockKernel(t)
	requireRuntimes(t)
	tag := randomHex(t, 6)
	image := "local/lanner:test-" + tag
	dist := t.TempDir()
	build := exec.Command("make", "-C", testutil.Root(t), "image", "DIST="+dist, "IMAGE="+image)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command(dockerCLI, "rmi", "-f", image).Run() })

	node := "lanner-node-" + tag
	name := "lanner-test-image-" + tag
	// The arguments of deploy/daemonset.yaml, but alerts on stdout.
	dockerRun(t, name, "-d", "--privileged", "--pid=host",
		"-v", "/:/host:ro", "-e", nodeNameEnv+"="+node,
		image, "run", "--output=json", "--host-root=/host", "--ready-file=/tmp/ready")
	waitContainerReady(t, name)

	execName := "lanner-test-image-exec-" + tag
	dockerRun(t, execName, "-d", testImage, "sleep", "60")
	cmdOutput(t, dockerCLI, "exec", "-t", execName, "sh", "-c", "echo in; true")
	run(t, "sh", "-c", "cat /etc/shadow >/dev/null; true")
	time.Sleep(time.Second) // the collector delivers within 50 ms

	if out, err := exec.Command(dockerCLI, "stop", "-t", "30", name).CombinedOutput(); err != nil {
		t.Fatalf("docker stop: %v\n%s", err, out)
	}
	cmd := exec.Command(dockerCLI, "logs", name)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("docker logs: %v", err)
	}
	var alerts []alert
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if line == "" {
			continue
		}
		var a alert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("bad alert %q: %v", line, err)
		}
		alerts = append(alerts, a)
	}
	want := []expectation{
		{"host shell", defaultRuleNames.shadow, map[string]string{
			"container.id": "host", "proc.cmdline": "cat /etc/shadow", "user.name": "root"}},
		{"docker exec -t shell", "Terminal Shell In Container", map[string]string{
			"container.name": execName, "container.image.repository": "local/busybox", "proc.name": "sh", "user.name": "root"}},
	}
	for _, w := range want {
		found := false
		for _, a := range alerts {
			if w.matches(a) {
				found = true
				if a.Hostname != node {
					t.Errorf("%s: hostname %q, want the node's %q", w.what, a.Hostname, node)
				}
			}
		}
		if !found {
			t.Errorf("%s: no %q alert with %v", w.what, w.rule, w.fields)
		}
	}
	if t.Failed() {
		for _, a := range alerts {
			t.Logf("alert: %s | %s | %v", a.Rule, a.Hostname, a.OutputFields)
		}
		t.Logf("lanner stderr:\n%s", stderr.String())
	}
}

// waitContainerReady waits until Lanner in container name says its
// collector has started (what it writes before its ready file; a scratch
// container offers no way to test for the file), failing if the container
// stops first.
func waitContainerReady(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		logs, _ := exec.Command(dockerCLI, "logs", name).CombinedOutput()
		if strings.Contains(string(logs), `msg="collector started"`) {
			return
		}
		running, _ := exec.Command(dockerCLI, "inspect", "-f", "{{.State.Running}}", name).Output()
		if strings.TrimSpace(string(running)) != "true" || time.Now().After(deadline) {
			t.Fatalf("lanner in the container did not start (running=%s):\n%s", running, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
