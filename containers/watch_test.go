//go:build linux

package containers

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWatcherKeepsRemovedContainers: a Docker container and a containerd
// bundle created after the watch started, then removed before the
// lookup, are still described; runtime folders that appear late are
// picked up.
func TestWatcherKeepsRemovedContainers(t *testing.T) {
	root := t.TempDir()
	dockerID, bundleID := testID(t, "docker-id"), testID(t, "containerd-k8s-id")
	dockerDir := filepath.Join(root, "var/lib/docker/containers", dockerID)
	bundleDir := filepath.Join(root, "run/containerd/io.containerd.runtime.v2.task/k8s.io", bundleID)
	if err := os.MkdirAll(filepath.Join(root, "var/lib/docker/containers"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := NewResolver(Config{Lookup: Lookup{HostRoot: root, DockerSocket: "/none.sock"}, Watch: true})
	defer r.Close()
	if r.watch == nil {
		t.Fatal("no watcher")
	}
	write := func(dir, name, from string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		// As the runtimes do: a temporary file renamed into place.
		tmp := filepath.Join(dir, "."+name+".tmp")
		if err := os.WriteFile(tmp, readTestdata(t, from), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	write(dockerDir, "hostconfig.json", "docker-hostconfig.json")
	write(dockerDir, "config.v2.json", "docker-config.v2.json")
	// containerd starts after the watch: its folder is found on a retry.
	time.Sleep(100 * time.Millisecond)
	write(bundleDir, "config.json", "containerd-k8s-config.json")
	deadline := time.Now().Add(3 * rootRetry)
	for {
		_, d := r.watch.get(dockerID)
		_, b := r.watch.get(bundleID)
		if d && b {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cached: docker %v, bundle %v", d, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	os.RemoveAll(dockerDir)
	os.RemoveAll(bundleDir)
	for _, c := range []struct{ id, name string }{{dockerID, "lt2"}, {bundleID, "app"}} {
		r.Request(c.id, "")
		res := <-r.Results()
		if res.Err != nil || res.Info.Name != c.name {
			t.Errorf("%s: %+v", c.id, res)
		}
	}
	if s := r.Stats(); s.Found != 2 {
		t.Errorf("stats %+v", s)
	}
}
