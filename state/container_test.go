package state

import (
	"strings"
	"testing"

	"github.com/lannersec/lanner/event"
)

const (
	hexA = "3f4e1c2b9d8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e"
	hexB = "b0a9f8e7d6c5b4a3f2e3f4e1c2b9d8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1"
)

func TestContainerIDFromCgroup(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		id      string
		runtime string
	}{
		// Docker.
		{"docker v1 cgroupfs", "/docker/" + hexA, hexA, RuntimeDocker},
		{"docker v1 line", "12:memory:/docker/" + hexA, hexA, RuntimeDocker},
		{"docker v1 named line", "1:name=systemd:/docker/" + hexA, hexA, RuntimeDocker},
		{"docker v1 multi controller", "4:cpu,cpuacct:/docker/" + hexA, hexA, RuntimeDocker},
		{"docker systemd v2", "0::/system.slice/docker-" + hexA + ".scope", hexA, RuntimeDocker},
		{"docker systemd bare", "/system.slice/docker-" + hexA + ".scope", hexA, RuntimeDocker},
		{"docker systemd inside", "0::/system.slice/docker-" + hexA + ".scope/init.scope", hexA, RuntimeDocker},
		{"docker nested", "/docker/" + hexA + "/docker/" + hexB, hexB, RuntimeDocker},
		{"docker sub cgroup", "/docker/" + hexA + "/system.slice/cron.service", hexA, RuntimeDocker},
		{"docker trailing slash", "/docker/" + hexA + "/", hexA, RuntimeDocker},
		{"docker crlf", "0::/docker/" + hexA + "\r", hexA, RuntimeDocker},

		// Kubernetes, containerd.
		{"k8s cgroupfs besteffort", "/kubepods/besteffort/pod0b2c5d9e-1234-4f6a-9abc-0123456789ab/" + hexA, hexA, RuntimeContainerd},
		{"k8s cgroupfs guaranteed v1", "11:pids:/kubepods/pod0b2c5d9e-1234-4f6a-9abc-0123456789ab/" + hexA, hexA, RuntimeContainerd},
		{"k8s systemd cri-containerd", "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b2c5d9e_1234_4f6a_9abc_0123456789ab.slice/cri-containerd-" + hexA + ".scope", hexA, RuntimeContainerd},
		{"k8s systemd cri-containerd v1", "7:devices:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b2c5d9e_1234.slice/cri-containerd-" + hexA + ".scope", hexA, RuntimeContainerd},
		{"containerd k8s.io ns", "/k8s.io/" + hexA, hexA, RuntimeContainerd},
		{"containerd default ns", "0::/default/" + hexA, hexA, RuntimeContainerd},
		{"containerd default ns named", "0::/default/web-1", "web-1", RuntimeContainerd},
		{"containerd moby ns", "/moby/" + hexA, hexA, RuntimeContainerd},

		// CRI-O.
		{"crio systemd", "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b.slice/crio-" + hexA + ".scope", hexA, RuntimeCRIO},
		{"crio cgroupfs", "/kubepods/besteffort/pod1a2b/crio-" + hexA, hexA, RuntimeCRIO},
		{"crio v1", "3:cpuset:/kubepods.slice/kubepods-pod1a2b.slice/crio-" + hexA + ".scope", hexA, RuntimeCRIO},

		// podman.
		{"podman cgroupfs", "/libpod_parent/libpod-" + hexA, hexA, RuntimePodman},
		{"podman cgroupfs v1", "5:memory:/libpod_parent/libpod-" + hexA, hexA, RuntimePodman},
		{"podman systemd", "0::/machine.slice/libpod-" + hexA + ".scope", hexA, RuntimePodman},
		{"podman rootless", "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + hexA + ".scope/container", hexA, RuntimePodman},

		// runc.
		{"runc absolute", "/mycontainers/" + hexA, hexA, RuntimeRunc},
		{"runc absolute deep", "0::/a/b/c/" + hexA, hexA, RuntimeRunc},
		{"runc systemd", "/system.slice/runc-" + hexA + ".scope", hexA, RuntimeRunc},
		{"runc top level", "4:memory:/" + hexA, hexA, RuntimeRunc},

		// Whole /proc/PID/cgroup files.
		{"v1 file", "12:pids:/docker/" + hexA + "\n11:memory:/docker/" + hexA + "\n1:name=systemd:/docker/" + hexA + "\n0::/\n", hexA, RuntimeDocker},
		{"v1 file host first", "9:name=systemd:/\n4:memory:/docker/" + hexA + "\n0::/\n", hexA, RuntimeDocker},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, rt, ok := ContainerIDFromCgroup(tt.in)
			if !ok || id != tt.id || rt != tt.runtime {
				t.Errorf("ContainerIDFromCgroup(%q) = %q, %q, %v; want %q, %q, true", tt.in, id, rt, ok, tt.id, tt.runtime)
			}
		})
	}
}

func TestContainerIDFromCgroupNegative(t *testing.T) {
	for _, in := range []string{
		"",
		"/",
		"0::/",
		"garbage",
		"::::",
		"0::",
		"12:memory:",
		"/user.slice/user-0.slice/session-1.scope",
		"0::/user.slice/user-0.slice/session-1.scope",
		"/system.slice/docker.service",
		"/system.slice/containerd.service",
		"/init.scope",
		"0::/init.scope",
		"/docker",
		"/docker/",
		"/docker/" + hexA[:63],
		"/docker/" + strings.ToUpper(hexA),
		"/docker/" + hexA[:32] + "zz" + hexA[34:],
		"4:memory:/process_api/153872d35714ad52fdb252846c73a1fb",
		"/kubepods/besteffort/pod0b2c5d9e-1234-4f6a-9abc-0123456789ab",
		"/kubepods.slice/kubepods-burstable.slice",
		"/kubepods/besteffort/pod1a2b/crio-conmon-" + hexA,
		"/machine.slice/libpod-conmon-" + hexA + ".scope",
		"/system.slice/docker-" + hexA + ".service.d",
		"/" + hexA + "/sub",
		"/mycontainers/" + hexA + "/sub",
		"/default",
		"/default/a/b",
		"/default/-bad",
		"/other/" + "web-1",
		"9:name=systemd:/\n0::/\n",
		"docker/" + hexA,
		"x:memory:/docker/" + hexA,
	} {
		if id, rt, ok := ContainerIDFromCgroup(in); ok {
			t.Errorf("ContainerIDFromCgroup(%q) = %q, %q, true; want not ok", in, id, rt)
		}
	}
}

func TestContainerShared(t *testing.T) {
	tb := New(Options{ProcRoot: t.TempDir(), HostRoot: t.TempDir()})
	c1 := tb.containerFromCgroup("0::/docker/" + hexA)
	c2 := tb.containerFromCgroup("/system.slice/docker-" + hexA + ".scope")
	if c1 == nil || c1 != c2 {
		t.Fatalf("containers not shared: %p %p", c1, c2)
	}
	if c1.ID != hexA[:12] || c1.FullID != hexA || c1.Runtime != RuntimeDocker || c1.MetadataKnown {
		t.Errorf("container = %+v", *c1)
	}
	if got := tb.Container(hexA); got != c1 {
		t.Errorf("Container(full) = %p, want %p", got, c1)
	}
	if got := tb.Container(hexA[:12]); got != c1 {
		t.Errorf("Container(short) = %p, want %p", got, c1)
	}
	if got := tb.Container(hexB); got != nil {
		t.Errorf("Container(unknown) = %+v", got)
	}
	if tb.containerFromCgroup("0::/user.slice") != nil {
		t.Error("host process got a container")
	}

	tb.SetContainerMetadata(hexA[:12], func(c *event.Container) {
		c.Name = "web"
		c.Image = "nginx:1.27"
		c.ID = "clobbered"
	})
	if !c1.MetadataKnown || c1.Name != "web" || c1.Image != "nginx:1.27" || c1.ID != hexA[:12] {
		t.Errorf("after SetContainerMetadata: %+v", *c1)
	}
	// Metadata may arrive before the first process.
	tb.SetContainerMetadata(hexB, func(c *event.Container) { c.Name = "early" })
	c3 := tb.containerFromCgroup("/docker/" + hexB)
	if c3 == nil || c3.Name != "early" || !c3.MetadataKnown || c3.Runtime != RuntimeDocker {
		t.Errorf("early metadata lost: %+v", c3)
	}
	tb.SetContainerMetadata("not-an-id", func(c *event.Container) { t.Error("fill called for an unknown non-hex id") })
	if s := tb.Stats(); s.Containers != 2 {
		t.Errorf("Containers = %d, want 2", s.Containers)
	}
}

func TestContainerEviction(t *testing.T) {
	tb := New(Options{MaxContainers: 10, ProcRoot: t.TempDir(), HostRoot: t.TempDir()})
	for i := range 100 {
		id := strings.Repeat("0", 56) + hex8(i)
		if c := tb.containerFromCgroup("/docker/" + id); c == nil {
			t.Fatalf("no container for %s", id)
		}
		if n := tb.Stats().Containers; n > 10 {
			t.Fatalf("Containers = %d > 10", n)
		}
	}
	if s := tb.Stats(); s.ContainerEvictions != 90 || s.Containers != 10 {
		t.Errorf("stats = %+v, want 90 evictions, 10 containers", s)
	}
}

func hex8(i int) string {
	const digits = "0123456789abcdef"
	var b [8]byte
	for j := 7; j >= 0; j-- {
		b[j] = digits[i&15]
		i >>= 4
	}
	return string(b[:])
}
