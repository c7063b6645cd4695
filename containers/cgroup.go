package containers

import "strings"

// Container runtimes, as ContainerIDFromCgroup names them.
const (
	RuntimeDocker     = "docker"
	RuntimeContainerd = "containerd"
	RuntimeCRIO       = "cri-o"
	RuntimePodman     = "podman"
	RuntimeRunc       = "runc"
)

// scopePrefixes are the unit-name prefixes systemd cgroup drivers put in
// front of a container id ("docker-<id>.scope").
var scopePrefixes = [...]struct {
	prefix, runtime string
}{
	{"docker-", RuntimeDocker},
	{"cri-containerd-", RuntimeContainerd},
	{"crio-", RuntimeCRIO},
	{"libpod-", RuntimePodman},
	{"runc-", RuntimeRunc},
}

// containerdNamespaces are the containerd namespaces whose containers get
// the cgroup /<namespace>/<id> when no cgroup is given.
var containerdNamespaces = [...]string{"k8s.io", "default", "moby"}

// ContainerIDFromCgroup extracts a container id from a cgroup path, and
// names the runtime that created it. path is a bare cgroup path
// ("/docker/<id>"), one line of /proc/PID/cgroup ("4:memory:/docker/<id>",
// "0::/system.slice/docker-<id>.scope") or a whole /proc/PID/cgroup file,
// whose first line naming a container wins. It recognises:
//
//   - Docker: /docker/<64hex>, /system.slice/docker-<64hex>.scope
//   - Kubernetes (cgroupfs and systemd drivers):
//     /kubepods/<qos>/pod<uid>/<64hex>, ...-pod<uid>.slice/cri-containerd-<64hex>.scope
//   - containerd without a cgroup: /<namespace>/<id> for the namespaces
//     k8s.io, default and moby (the id need not be hex there)
//   - CRI-O: crio-<64hex>(.scope); its conmon-<id> scopes are not containers
//   - podman: libpod-<64hex>(.scope), /libpod_parent/libpod-<64hex>
//   - runc: runc-<64hex>.scope, or any path whose last element is 64 hex digits
//
// Deeper cgroups below a container's own (systemd inside a container) are
// still that container; nested containers resolve to the innermost one.
func ContainerIDFromCgroup(path string) (id, runtime string, ok bool) {
	for len(path) > 0 {
		line := path
		if i := strings.IndexByte(path, '\n'); i >= 0 {
			line, path = path[:i], path[i+1:]
		} else {
			path = ""
		}
		if id, runtime, ok = containerFromPath(stripCgroupPrefix(line)); ok {
			return id, runtime, true
		}
	}
	return "", "", false
}

// stripCgroupPrefix turns a /proc/PID/cgroup line "N:controllers:path" into
// its path; anything else is returned as it is.
func stripCgroupPrefix(line string) string {
	line = strings.TrimRight(line, "\r \t")
	if line == "" || line[0] == '/' {
		return line
	}
	i := 0
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ':' {
		return line
	}
	rest := line[i+1:]
	j := strings.IndexByte(rest, ':')
	if j < 0 || strings.IndexByte(rest[:j], '/') >= 0 {
		return line
	}
	return rest[j+1:]
}

func containerFromPath(p string) (id, runtime string, ok bool) {
	if len(p) < 2 || p[0] != '/' {
		return "", "", false
	}
	p = strings.TrimRight(p, "/")
	// Walk the elements from the last one, so that nested containers
	// resolve to the innermost and sub-cgroups to their container.
	end := len(p)
	for end > 0 {
		start := strings.LastIndexByte(p[:end], '/') + 1
		elem := p[start:end]
		parent := p[:max(start-1, 0)]
		last := end == len(p)
		if id, runtime, ok = containerFromElem(elem, parent, last); ok {
			return id, runtime, true
		}
		end = start - 1
	}
	// containerd's default cgroup: exactly /<namespace>/<id>.
	if i := strings.LastIndexByte(p, '/'); i > 0 && isContainerdNamespace(p[:i]) && validContainerName(p[i+1:]) {
		return p[i+1:], RuntimeContainerd, true
	}
	return "", "", false
}

// isContainerdNamespace reports whether dir is "/<namespace>" for one of
// containerdNamespaces.
func isContainerdNamespace(dir string) bool {
	for _, n := range containerdNamespaces {
		if len(dir) == len(n)+1 && dir[0] == '/' && dir[1:] == n {
			return true
		}
	}
	return false
}

// containerFromElem looks at one path element; parent is the path above it
// and last says whether it is the path's last element.
func containerFromElem(elem, parent string, last bool) (id, runtime string, ok bool) {
	for _, sp := range scopePrefixes {
		if rest, found := strings.CutPrefix(elem, sp.prefix); found {
			rest = strings.TrimSuffix(rest, ".scope")
			if IsFullID(rest) {
				return rest, sp.runtime, true
			}
			return "", "", false
		}
	}
	if !IsFullID(elem) {
		return "", "", false
	}
	dir := parent[strings.LastIndexByte(parent, '/')+1:]
	switch {
	case dir == "docker":
		return elem, RuntimeDocker, true
	case dir == "libpod_parent":
		return elem, RuntimePodman, true
	case strings.HasPrefix(parent, "/kubepods") || isContainerdNamespace(parent):
		return elem, RuntimeContainerd, true
	case last:
		return elem, RuntimeRunc, true
	}
	return "", "", false
}

// IsFullID reports whether s is a full container id: 64 lowercase hex
// digits.
func IsFullID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// validContainerName accepts the ids containerd allows: letters, digits
// and _ . - after a letter or digit, at most 76 bytes.
func validContainerName(s string) bool {
	if s == "" || len(s) > 76 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return true
}
