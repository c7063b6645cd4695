package containers

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lannersec/lanner/event"
)

// ociSpec is the part of an OCI runtime spec (a bundle's config.json)
// Lanner uses.
type ociSpec struct {
	Process *struct {
		Capabilities *struct {
			Bounding []string `json:"bounding"`
		} `json:"capabilities"`
	} `json:"process"`
	Mounts []struct {
		Destination string   `json:"destination"`
		Type        string   `json:"type"`
		Source      string   `json:"source"`
		Options     []string `json:"options"`
	} `json:"mounts"`
	Annotations map[string]string `json:"annotations"`
	Linux       *struct {
		MaskedPaths []string `json:"maskedPaths"`
	} `json:"linux"`
}

// parseOCI decodes a bundle's config.json. Labels are the annotations
// (where containerd puts a container's labels and the CRI plugins their
// Kubernetes metadata). A container counts as privileged when its
// bounding set holds CAP_SYS_ADMIN and no path is masked, which is what
// every runtime's privileged mode produces. Mounts are the bind mounts.
func parseOCI(doc []byte, runtime string) (Info, error) {
	var s ociSpec
	if err := json.Unmarshal(doc, &s); err != nil {
		return Info{}, fmt.Errorf("OCI config.json: %w", err)
	}
	i := Info{Runtime: runtime, Labels: s.Annotations}
	if s.Process != nil && s.Process.Capabilities != nil {
		for _, c := range s.Process.Capabilities.Bounding {
			if c == "CAP_SYS_ADMIN" {
				i.Privileged = s.Linux == nil || len(s.Linux.MaskedPaths) == 0
			}
		}
	}
	for _, m := range s.Mounts {
		bind := m.Type == "bind"
		rw, prop := true, ""
		for _, o := range m.Options {
			switch o {
			case "bind", "rbind":
				bind = true
			case "ro":
				rw = false
			case "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable":
				prop = o
			}
		}
		if !bind {
			continue
		}
		i.Mounts = append(i.Mounts, event.Mount{Source: m.Source, Dest: m.Destination, RW: rw, Propagation: prop})
	}
	a := s.Annotations
	if ref := firstOf(a, annotImageName, crioImageName); ref != "" {
		i.setImage(ref)
	}
	if id := a[crioImage]; id != "" {
		i.ImageID = id
	}
	if n := a[crioName]; n != "" {
		i.Name = n
	}
	if t, err := time.Parse(time.RFC3339Nano, a[crioCreated]); err == nil {
		i.StartTS = t.UnixNano()
	}
	if l := a[crioLabels]; l != "" {
		var labels map[string]string
		if json.Unmarshal([]byte(l), &labels) == nil {
			i.Labels = merge(labels, a)
		}
	}
	if l := a[podLabelsKey]; l != "" {
		var labels map[string]string
		if json.Unmarshal([]byte(l), &labels) == nil {
			i.K8sPodLabels = labels
		}
	}
	i.fillK8s()
	return i, nil
}

func firstOf(m map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := m[k]; v != "" {
			return v
		}
	}
	return ""
}

// merge returns a with the keys of b it lacks.
func merge(a, b map[string]string) map[string]string {
	for k, v := range b {
		if _, ok := a[k]; !ok {
			a[k] = v
		}
	}
	return a
}

// containerdTasks is where containerd's v2 shims keep task bundles, one
// folder per namespace.
const containerdTasks = "io.containerd.runtime.v2.task"

// containerd reads the task bundle of a containerd container, in any
// namespace (k8s.io for Kubernetes, moby for Docker, default for ctr).
func (l *Lookup) containerd(id string) (Info, error) {
	base := filepath.Join(l.root(l.ContainerdState), containerdTasks)
	nss, err := os.ReadDir(base)
	if err != nil {
		return Info{}, ErrNotFound
	}
	for _, ns := range nss {
		doc, err := readDocument(filepath.Join(base, ns.Name(), id, "config.json"))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return Info{}, err
		}
		i, err := parseOCI(doc, "containerd")
		if err != nil {
			return Info{}, err
		}
		if i.Name == "" && ns.Name() != "moby" {
			i.Name = id
		}
		return i, nil
	}
	return Info{}, ErrNotFound
}

// podmanContainer is one entry of containers/storage's containers.json.
type podmanContainer struct {
	ID    string   `json:"id"`
	Names []string `json:"names"`
	Image string   `json:"image"`
	// Created is an RFC 3339 time.
	Created string `json:"created"`
}

// storage reads a CRI-O or podman container from containers/storage: its
// userdata/config.json, and for podman the storage's containers.json for
// the name.
func (l *Lookup) storage(id, runtime string) (Info, error) {
	for _, root := range l.StorageRoots {
		dir := filepath.Join(l.root(root), "overlay-containers")
		doc, err := readDocument(filepath.Join(dir, id, "userdata", "config.json"))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return Info{}, err
		}
		i, err := parseOCI(doc, runtime)
		if err != nil {
			return Info{}, err
		}
		if i.Labels[crioName] != "" || i.Labels[annotSandboxName] != "" || i.K8sPodName != "" {
			i.Runtime = "cri-o"
		} else if i.Runtime == "" || i.Runtime == "runc" {
			i.Runtime = "podman"
		}
		if i.Name == "" {
			l.podmanName(dir, id, &i)
		}
		return i, nil
	}
	return Info{}, ErrNotFound
}

// podmanName fills the name and start time of a podman container from the
// storage's containers.json.
func (l *Lookup) podmanName(dir, id string, i *Info) {
	doc, err := readDocument(filepath.Join(dir, "containers.json"))
	if err != nil {
		return
	}
	var all []podmanContainer
	if json.Unmarshal(doc, &all) != nil {
		return
	}
	for _, c := range all {
		if c.ID != id {
			continue
		}
		if len(c.Names) > 0 {
			i.Name = c.Names[0]
		}
		if i.ImageID == "" {
			i.ImageID = c.Image
		}
		if t, err := time.Parse(time.RFC3339Nano, c.Created); err == nil && i.StartTS == 0 {
			i.StartTS = t.UnixNano()
		}
	}
}

// runcState is the part of runc's state.json Lanner uses.
type runcState struct {
	ID      string `json:"id"`
	Created string `json:"created"`
	Config  struct {
		Labels []string `json:"labels"`
	} `json:"config"`
}

// runc reads a container run by runc alone: its state.json names the
// bundle, whose config.json describes it.
func (l *Lookup) runc(id string) (Info, error) {
	doc, err := readDocument(filepath.Join(l.root(l.RuncState), id, "state.json"))
	if err != nil {
		return Info{}, err
	}
	var st runcState
	if err := json.Unmarshal(doc, &st); err != nil {
		return Info{}, fmt.Errorf("runc state.json: %w", err)
	}
	var bundle string
	for _, lb := range st.Config.Labels {
		if b, ok := strings.CutPrefix(lb, "bundle="); ok {
			bundle = b
		}
	}
	i := Info{Runtime: "runc"}
	if bundle != "" {
		spec, err := readDocument(filepath.Join(l.root(bundle), "config.json"))
		if err == nil {
			i, err = parseOCI(spec, "runc")
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Info{}, err
		}
	}
	if i.Name == "" {
		i.Name = st.ID
	}
	if t, err := time.Parse(time.RFC3339Nano, st.Created); err == nil && i.StartTS == 0 {
		i.StartTS = t.UnixNano()
	}
	return i, nil
}
