// Package containers asks the container runtimes what they know about a
// container: its name, image, privileged flag, mounts, labels and the
// Kubernetes pod it belongs to. The container id itself comes from the
// kernel: ContainerIDFromCgroup reads it, and the runtime that made it, from
// a process's cgroup path (Docker, containerd, Kubernetes with either cgroup
// driver, CRI-O, podman, runc; cgroup v1 and v2). The rest of this package
// turns that id into metadata.
//
// Sources, tried in an order that depends on the runtime the cgroup path
// named:
//
//   - Docker: the on-disk container config under /var/lib/docker/containers
//     (config.v2.json and hostconfig.json), else the engine API on
//     /var/run/docker.sock.
//   - containerd: the task bundle's OCI config.json under
//     /run/containerd/io.containerd.runtime.v2.task/<namespace>/<id>/;
//     labels given to the container appear there as annotations, which is
//     where the CRI plugin puts the Kubernetes pod name, namespace and uid.
//   - CRI-O and podman: the container's userdata/config.json in
//     containers/storage (run and lib roots), plus podman's containers.json
//     for names and images.
//   - runc alone: /run/runc/<id>/state.json, which names the bundle.
//
// No Kubernetes API is needed: k8s.ns.name, k8s.pod.name and k8s.pod.uid
// come from the labels and annotations the CRI runtimes set.
//
// A Resolver runs lookups on a few worker goroutines behind a bounded
// queue, with a deadline per lookup, so a hung runtime socket or a garbage
// answer costs a counted failure and never blocks the caller. With Watch
// set it also reads Docker and containerd containers the moment their
// runtime writes them (inotify) into a bounded cache, for containers that
// are gone by the time they are looked up.
package containers
