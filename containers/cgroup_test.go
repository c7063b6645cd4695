package containers

import (
	"strings"
	"testing"
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

func FuzzContainerIDFromCgroup(f *testing.F) {
	for _, s := range []string{
		"0::/system.slice/docker-" + hexA + ".scope",
		"12:memory:/docker/" + hexA + "\n0::/",
		"/kubepods/besteffort/pod0b2c/" + hexA,
		"0::/default/web-1",
		"/libpod_parent/libpod-" + hexB,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, runtime, ok := ContainerIDFromCgroup(s)
		if ok && (id == "" || runtime == "" || !strings.Contains(s, id)) {
			t.Errorf("ContainerIDFromCgroup(%q) = %q, %q, true", s, id, runtime)
		}
	})
}
