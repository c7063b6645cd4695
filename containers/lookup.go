package containers

import (
	"context"
	"errors"
	"path/filepath"
)

// ErrNotFound means no runtime knows the container.
var ErrNotFound = errors.New("container not known to any runtime")

// Default locations of the runtimes' sockets and state.
const (
	DefaultDockerRoot      = "/var/lib/docker"
	DefaultDockerSocket    = "/var/run/docker.sock"
	DefaultContainerdState = "/run/containerd"
	DefaultRuncState       = "/run/runc"
)

// DefaultStorageRoots are containers/storage's run and lib roots (CRI-O,
// podman).
var DefaultStorageRoots = []string{"/run/containers/storage", "/var/lib/containers/storage"}

// Lookup finds a container's metadata in the runtimes' files and sockets.
// The zero value uses the default locations.
type Lookup struct {
	// HostRoot prefixes every path, for a Lanner that sees the host's
	// file system below a mount point (a DaemonSet with / at /host).
	HostRoot        string
	DockerRoot      string
	DockerSocket    string
	ContainerdState string
	RuncState       string
	StorageRoots    []string
}

func (l *Lookup) defaults() {
	if l.DockerRoot == "" {
		l.DockerRoot = DefaultDockerRoot
	}
	if l.DockerSocket == "" {
		l.DockerSocket = DefaultDockerSocket
	}
	if l.ContainerdState == "" {
		l.ContainerdState = DefaultContainerdState
	}
	if l.RuncState == "" {
		l.RuncState = DefaultRuncState
	}
	if l.StorageRoots == nil {
		l.StorageRoots = DefaultStorageRoots
	}
}

func (l *Lookup) root(p string) string {
	if l.HostRoot == "" || l.HostRoot == "/" {
		return p
	}
	return filepath.Join(l.HostRoot, p)
}

// Find returns what the runtimes know about the container with the full
// id, trying first the runtime the cgroup path named (runtime may be
// empty), then the others. It gives ErrNotFound when none knows it, or the
// first real failure (unreadable or malformed answer, hung socket past
// ctx's deadline) when no source answered.
func (l *Lookup) Find(ctx context.Context, id, runtime string) (Info, error) {
	d := *l // Find runs on several goroutines at once: l stays unwritten
	d.defaults()
	l = &d
	if id == "" || !validID(id) {
		return Info{}, ErrNotFound
	}
	sources := []struct {
		runtime string
		find    func() (Info, error)
	}{
		{"docker", func() (Info, error) { return l.dockerFiles(id) }},
		{"containerd", func() (Info, error) { return l.containerd(id) }},
		{"cri-o", func() (Info, error) { return l.storage(id, "cri-o") }},
		{"podman", func() (Info, error) { return l.storage(id, "podman") }},
		{"runc", func() (Info, error) { return l.runc(id) }},
		{"docker", func() (Info, error) { return l.dockerAPI(ctx, id) }},
	}
	order := make([]int, 0, len(sources))
	for n, s := range sources {
		if s.runtime == runtime {
			order = append(order, n)
		}
	}
	for n, s := range sources {
		if s.runtime != runtime {
			order = append(order, n)
		}
	}
	var firstErr error
	tried := map[string]bool{}
	for _, n := range order {
		if err := ctx.Err(); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			break
		}
		s := sources[n]
		key := s.runtime
		if n == len(sources)-1 {
			key = "docker-api"
		}
		if s.runtime == "podman" && tried["cri-o"] || s.runtime == "cri-o" && tried["podman"] {
			continue // the same storage roots
		}
		tried[key] = true
		i, err := s.find()
		if err == nil {
			return i, nil
		}
		if !errors.Is(err, ErrNotFound) && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return Info{}, firstErr
	}
	return Info{}, ErrNotFound
}

// validID accepts the container ids the cgroup parser gives: letters,
// digits, '-', '_' and '.', not starting with '.', which keeps an id from
// naming another path.
func validID(id string) bool {
	if len(id) > 128 || id[0] == '.' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
