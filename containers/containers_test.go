package containers

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testID(t *testing.T, name string) string {
	return strings.TrimSpace(string(readTestdata(t, name)))
}

func TestSplitImage(t *testing.T) {
	for _, c := range []struct{ ref, repo, tag string }{
		{"busybox", "busybox", "latest"},
		{"local/busybox:test", "local/busybox", "test"},
		{"docker.io/library/nginx:1.27", "docker.io/library/nginx", "1.27"},
		{"registry:5000/team/app", "registry:5000/team/app", "latest"},
		{"registry:5000/team/app:v2", "registry:5000/team/app", "v2"},
		{"app@sha256:0123abcd", "app", ""},
		{"app:1.0@sha256:0123abcd", "app", "1.0"},
		{"sha256:f27addb4b6a5", "", ""},
		{"", "", ""},
	} {
		repo, tag := SplitImage(c.ref)
		if repo != c.repo || tag != c.tag {
			t.Errorf("SplitImage(%q) = %q, %q; want %q, %q", c.ref, repo, tag, c.repo, c.tag)
		}
	}
}

// TestDockerFiles reads the on-disk config of a real privileged Docker
// container started with -v /proc:/host/proc:ro and a label.
func TestDockerFiles(t *testing.T) {
	i, err := parseDocker(readTestdata(t, "docker-config.v2.json"), readTestdata(t, "docker-hostconfig.json"))
	if err != nil {
		t.Fatal(err)
	}
	checkDocker(t, i)
}

// TestDockerAPI reads the engine API's answer about the same container.
func TestDockerAPI(t *testing.T) {
	i, err := parseDocker(readTestdata(t, "docker-api.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkDocker(t, i)
}

func checkDocker(t *testing.T, i Info) {
	t.Helper()
	if i.Runtime != "docker" || i.Name != "lt2" || i.Image != "local/busybox:test" || i.ImageRepo != "local/busybox" || i.ImageTag != "test" {
		t.Errorf("runtime %q name %q image %q repo %q tag %q", i.Runtime, i.Name, i.Image, i.ImageRepo, i.ImageTag)
	}
	if !i.Privileged {
		t.Error("not privileged")
	}
	if !strings.HasPrefix(i.ImageID, "sha256:") {
		t.Errorf("image id %q", i.ImageID)
	}
	if i.Labels["app"] != "web" {
		t.Errorf("labels %v", i.Labels)
	}
	if i.StartTS == 0 {
		t.Error("no start time")
	}
	if got := MountsText(i.Mounts); got != "/proc:/host/proc:ro:false:rprivate" {
		t.Errorf("mounts %q", got)
	}
}

// TestContainerdK8s reads the bundle of a real containerd container started
// with Kubernetes labels.
func TestContainerdK8s(t *testing.T) {
	i, err := parseOCI(readTestdata(t, "containerd-k8s-config.json"), "containerd")
	if err != nil {
		t.Fatal(err)
	}
	if i.K8sPodName != "web-0" || i.K8sNamespace != "prod" || i.K8sPodUID != "5d7c1c2e-1111-2222-3333-444455556666" || i.Name != "app" {
		t.Errorf("pod %q ns %q uid %q name %q", i.K8sPodName, i.K8sNamespace, i.K8sPodUID, i.Name)
	}
	if i.Privileged {
		t.Error("privileged")
	}
}

// TestDockerBundlePrivileged: the OCI bundle Docker wrote for a
// privileged container reads as privileged, with its bind mount.
func TestDockerBundlePrivileged(t *testing.T) {
	i, err := parseOCI(readTestdata(t, "docker-bundle-config.json"), "containerd")
	if err != nil {
		t.Fatal(err)
	}
	if !i.Privileged {
		t.Error("not privileged")
	}
	found := false
	for _, m := range i.Mounts {
		if m.Source == "/proc" && m.Dest == "/host/proc" && !m.RW {
			found = true
		}
	}
	if !found {
		t.Errorf("mounts %v", i.Mounts)
	}
}

func TestParseCRIO(t *testing.T) {
	doc := `{"process":{"capabilities":{"bounding":["CAP_CHOWN"]}},"linux":{"maskedPaths":["/proc/kcore"]},
	"mounts":[{"destination":"/var/run/secrets","type":"bind","source":"/var/lib/kubelet/pods/x/volumes","options":["rbind","ro","rprivate"]}],
	"annotations":{"io.kubernetes.cri-o.Name":"k8s_app_web-0_prod_uid_0","io.kubernetes.cri-o.ImageName":"quay.io/team/app:2.1",
	"io.kubernetes.cri-o.Image":"sha256:abc","io.kubernetes.pod.name":"web-0","io.kubernetes.pod.namespace":"prod",
	"io.kubernetes.cri-o.Created":"2026-11-27T10:00:00.5Z","io.kubernetes.cri-o.Labels":"{\"io.kubernetes.container.name\":\"app\"}",
	"io.kubernetes.cri-o.SandboxLabels":"{\"app\":\"web\",\"tier\":\"front\"}"}}`
	i, err := parseOCI([]byte(doc), "cri-o")
	if err != nil {
		t.Fatal(err)
	}
	if i.ImageRepo != "quay.io/team/app" || i.ImageTag != "2.1" || i.ImageID != "sha256:abc" || i.K8sPodName != "web-0" || i.K8sNamespace != "prod" {
		t.Errorf("%+v", i)
	}
	if i.K8sPodLabels["tier"] != "front" || i.Labels["io.kubernetes.container.name"] != "app" || i.StartTS == 0 {
		t.Errorf("labels %v pod labels %v start %d", i.Labels, i.K8sPodLabels, i.StartTS)
	}
	if got := MountsText(i.Mounts); got != "/var/lib/kubelet/pods/x/volumes:/var/run/secrets::false:rprivate" {
		t.Errorf("mounts %q", got)
	}
}

// fakeHost lays out runtime state below a temporary root.
func fakeHost(t *testing.T, files map[string]string) Lookup {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Lookup{HostRoot: root, DockerSocket: "/nonexistent.sock"}
}

func TestFind(t *testing.T) {
	dockerID, k8sID := testID(t, "docker-id"), testID(t, "containerd-k8s-id")
	runcID := strings.Repeat("ab", 32)
	podmanID := strings.Repeat("cd", 32)
	l := fakeHost(t, map[string]string{
		"/var/lib/docker/containers/" + dockerID + "/config.v2.json":                           string(readTestdata(t, "docker-config.v2.json")),
		"/var/lib/docker/containers/" + dockerID + "/hostconfig.json":                          string(readTestdata(t, "docker-hostconfig.json")),
		"/run/containerd/io.containerd.runtime.v2.task/k8s.io/" + k8sID + "/config.json":       string(readTestdata(t, "containerd-k8s-config.json")),
		"/run/runc/" + runcID + "/state.json":                                                  `{"id":"` + runcID + `","created":"2026-11-27T10:00:00Z","config":{"labels":["bundle=/srv/bundle"]}}`,
		"/srv/bundle/config.json":                                                              `{"annotations":{"team":"red"},"mounts":[{"destination":"/host","type":"bind","source":"/","options":["rbind"]}]}`,
		"/var/lib/containers/storage/overlay-containers/" + podmanID + "/userdata/config.json": `{"annotations":{"io.container.manager":"libpod"}}`,
		"/var/lib/containers/storage/overlay-containers/containers.json":                       `[{"id":"` + podmanID + `","names":["db"],"image":"sha256:99","created":"2026-11-27T10:00:00Z"}]`,
	})
	ctx := context.Background()
	for _, c := range []struct {
		id, hint, runtime, name string
	}{
		{dockerID, "docker", "docker", "lt2"},
		{dockerID, "", "docker", "lt2"},
		{k8sID, "containerd", "containerd", "app"},
		{k8sID, "", "containerd", "app"},
		{runcID, "runc", "runc", runcID},
		{podmanID, "podman", "podman", "db"},
	} {
		i, err := l.Find(ctx, c.id, c.hint)
		if err != nil {
			t.Errorf("%s (%s): %v", c.id, c.hint, err)
			continue
		}
		if i.Runtime != c.runtime || i.Name != c.name {
			t.Errorf("%s (%s): runtime %q name %q, want %q %q", c.id, c.hint, i.Runtime, i.Name, c.runtime, c.name)
		}
	}
	if i, _ := l.Find(ctx, runcID, ""); MountsText(i.Mounts) != "/:/host::true:" || i.Labels["team"] != "red" {
		t.Errorf("runc bundle: %+v", i)
	}
	for _, id := range []string{strings.Repeat("ef", 32), "../../etc", "", ".hidden"} {
		if _, err := l.Find(ctx, id, "docker"); !errors.Is(err, ErrNotFound) {
			t.Errorf("%q: %v, want ErrNotFound", id, err)
		}
	}
}

// TestFindMalformed: garbage where a runtime's JSON should be is a failure
// naming the file, not a panic and not "not found".
func TestFindMalformed(t *testing.T) {
	id := strings.Repeat("12", 32)
	for name, files := range map[string]map[string]string{
		"docker garbage":     {"/var/lib/docker/containers/" + id + "/config.v2.json": "{not json"},
		"docker wrong types": {"/var/lib/docker/containers/" + id + "/config.v2.json": `{"Name":5,"Config":[]}`},
		"hostconfig garbage": {"/var/lib/docker/containers/" + id + "/config.v2.json": `{}`, "/var/lib/docker/containers/" + id + "/hostconfig.json": "\x00\xff"},
		"bundle garbage":     {"/run/containerd/io.containerd.runtime.v2.task/default/" + id + "/config.json": `{"mounts":{}}`},
		"runc garbage":       {"/run/runc/" + id + "/state.json": `[1,2`},
		"too large":          {"/var/lib/docker/containers/" + id + "/config.v2.json": `{"Name":"` + strings.Repeat("x", maxDocument) + `"}`},
	} {
		l := fakeHost(t, files)
		_, err := l.Find(context.Background(), id, "")
		if err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("%s: err %v, want a failure", name, err)
		}
	}
}

// TestResolverHungSocket: a Docker socket that accepts and never answers
// costs one counted timeout, within the lookup deadline.
func TestResolverHungSocket(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, never answer
		}
	}()
	r := NewResolver(Config{Lookup: Lookup{HostRoot: dir, DockerSocket: "/docker.sock"}, Timeout: 200 * time.Millisecond})
	defer r.Close()
	id := strings.Repeat("34", 32)
	if !r.Request(id, "docker") {
		t.Fatal("request refused")
	}
	// The answer comes (a deadline error, not a hang).
	var res Result
	select {
	case res = <-r.Results():
	case <-time.After(30 * time.Second):
		t.Fatal("no result from a hung socket")
	}
	if res.ID != id || !errors.Is(res.Err, context.DeadlineExceeded) {
		t.Errorf("result %+v", res)
	}
	if s := r.Stats(); s.Failed != 1 || s.Timeouts != 1 || s.Requests != 1 {
		t.Errorf("stats %+v", s)
	}
}

// TestResolverGarbageAPI: a Docker API answering garbage is a counted
// failure.
func TestResolverGarbageAPI(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("unix", filepath.Join(dir, "docker.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			c.Read(buf)
			c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{\"Name\":["))
			c.Close()
		}
	}()
	r := NewResolver(Config{Lookup: Lookup{HostRoot: dir, DockerSocket: "/docker.sock"}})
	defer r.Close()
	r.Request(strings.Repeat("56", 32), "docker")
	res := <-r.Results()
	if res.Err == nil || errors.Is(res.Err, ErrNotFound) || !strings.Contains(res.Err.Error(), "docker API") {
		t.Errorf("err %v", res.Err)
	}
	if s := r.Stats(); s.Failed != 1 {
		t.Errorf("stats %+v", s)
	}
}

// TestResolverQueueFull: requests beyond the queue are refused and
// counted, never blocking.
func TestResolverQueueFull(t *testing.T) {
	block := make(chan struct{})
	r := NewResolver(Config{Workers: 1, Queue: 2, Find: func(ctx context.Context, id, _ string) (Info, error) {
		<-block
		return Info{Name: id}, nil
	}})
	defer r.Close()
	accepted := 0
	for n := range 10 {
		if r.Request(strings.Repeat("0", 63)+string(rune('0'+n)), "") {
			accepted++
		}
	}
	close(block)
	for range accepted {
		<-r.Results()
	}
	s := r.Stats()
	if accepted < 2 || accepted > 3 || s.QueueFull != uint64(10-accepted) || s.Found != uint64(accepted) {
		t.Errorf("accepted %d, stats %+v", accepted, s)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"docker-config.v2.json", "docker-api.json", "containerd-k8s-config.json", "docker-hostconfig.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"annotations":{"io.kubernetes.cri-o.Labels":"{","io.kubernetes.cri-o.Created":"x"}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		parseDocker(doc, nil)
		parseDocker(doc, doc)
		i, err := parseOCI(doc, "containerd")
		if err == nil {
			MountsText(i.Mounts)
		}
	})
}
