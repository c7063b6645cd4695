package main

import (
	"time"

	"github.com/lannersec/lanner/containers"
	"github.com/lannersec/lanner/engine"
)

// containerFlags set up the container metadata lookups of run and record.
type containerFlags struct {
	ContainerMetadata bool          `name:"container-metadata" negatable:"" default:"true" help:"Look up container names, images, mounts and Kubernetes pods in the runtimes' files and sockets (Docker, containerd, CRI-O, podman, runc)."`
	MetadataWait      time.Duration `name:"metadata-wait" default:"250ms" help:"How long the first events of a new container wait for its runtime metadata before going on without it."`
	HostRoot          string        `name:"host-root" default:"/" help:"Where the host's file system is mounted (e.g. /host in a container): runtime state, sockets and the host's etc/passwd and etc/group are looked for below it." type:"path"`
}

// resolver starts the runtime lookups, or returns nil when they are off.
func (f *containerFlags) resolver() *containers.Resolver {
	if !f.ContainerMetadata {
		return nil
	}
	return containers.NewResolver(containers.Config{Lookup: containers.Lookup{HostRoot: f.HostRoot}, Watch: true})
}

// wait is the engine's metadata wait.
func (f *containerFlags) wait() time.Duration {
	if f.MetadataWait <= 0 {
		return engine.DefaultMetadataWait
	}
	return f.MetadataWait
}
