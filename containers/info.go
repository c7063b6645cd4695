package containers

import (
	"strings"

	"github.com/lannersec/lanner/event"
)

// Info is what a runtime says about one container.
type Info struct {
	Runtime    string // docker, containerd, cri-o, podman, runc
	Name       string
	Image      string // as the runtime names it, usually repository:tag
	ImageRepo  string
	ImageTag   string
	ImageID    string
	Privileged bool
	Mounts     []event.Mount
	StartTS    int64 // ns since the epoch; 0 when the runtime does not say
	Labels     map[string]string

	K8sNamespace string
	K8sPodName   string
	K8sPodUID    string
	K8sPodLabels map[string]string
}

// Fill copies i into the container entry c, leaving c's ids alone. A
// runtime c already names is kept when i does not name one.
func (i *Info) Fill(c *event.Container) {
	if i.Runtime != "" {
		c.Runtime = i.Runtime
	}
	c.Name = i.Name
	c.Image = i.Image
	c.ImageRepo = i.ImageRepo
	c.ImageTag = i.ImageTag
	c.ImageID = i.ImageID
	c.Privileged = i.Privileged
	c.SetMounts(i.Mounts)
	if i.StartTS != 0 {
		c.StartTS = i.StartTS
	}
	c.Labels = i.Labels
	c.K8sNamespace = i.K8sNamespace
	c.K8sPodName = i.K8sPodName
	c.K8sPodUID = i.K8sPodUID
	c.K8sPodLabels = i.K8sPodLabels
}

// MountsText renders mounts as container.mounts shows them:
// source:dest:mode:rdwr:propagation, space separated.
func MountsText(mounts []event.Mount) string {
	var c event.Container
	c.SetMounts(mounts)
	return c.MountsText
}

// SplitImage splits an image reference into repository and tag:
// "registry:5000/team/app:1.2" gives "registry:5000/team/app" and "1.2";
// a digest ("app@sha256:...") is dropped; a reference without tag or
// digest has the tag "latest", as the runtimes pull it. A bare image id
// ("sha256:<hex>") has no repository.
func SplitImage(ref string) (repo, tag string) {
	if ref == "" || strings.HasPrefix(ref, "sha256:") {
		return "", ""
	}
	digest := false
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref, digest = ref[:i], true
	}
	slash := strings.LastIndexByte(ref, '/')
	if i := strings.LastIndexByte(ref, ':'); i > slash {
		return ref[:i], ref[i+1:]
	}
	if digest {
		return ref, ""
	}
	return ref, "latest"
}

// Label and annotation keys the CRI runtimes (and dockershim) put on a
// Kubernetes container.
const (
	labelPodName       = "io.kubernetes.pod.name"
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelPodUID        = "io.kubernetes.pod.uid"
	labelContainerName = "io.kubernetes.container.name"

	annotSandboxName      = "io.kubernetes.cri.sandbox-name"
	annotSandboxNamespace = "io.kubernetes.cri.sandbox-namespace"
	annotSandboxUID       = "io.kubernetes.cri.sandbox-uid"
	annotContainerName    = "io.kubernetes.cri.container-name"
	annotImageName        = "io.kubernetes.cri.image-name"

	crioName      = "io.kubernetes.cri-o.Name"
	crioImageName = "io.kubernetes.cri-o.ImageName"
	crioImage     = "io.kubernetes.cri-o.Image"
	crioLabels    = "io.kubernetes.cri-o.Labels"
	crioCreated   = "io.kubernetes.cri-o.Created"
	podLabelsKey  = "io.kubernetes.cri-o.SandboxLabels"
)

// fillK8s sets the Kubernetes fields of i from its labels (annotations for
// OCI runtimes).
func (i *Info) fillK8s() {
	l := i.Labels
	first := func(keys ...string) string {
		for _, k := range keys {
			if v := l[k]; v != "" {
				return v
			}
		}
		return ""
	}
	i.K8sPodName = first(labelPodName, annotSandboxName)
	i.K8sNamespace = first(labelPodNamespace, annotSandboxNamespace)
	i.K8sPodUID = first(labelPodUID, annotSandboxUID)
	if i.K8sPodName == "" {
		return
	}
	if n := first(labelContainerName, annotContainerName); n != "" && i.Name == "" {
		i.Name = n
	}
}

// setImage sets the image fields from a reference.
func (i *Info) setImage(ref string) {
	i.Image = ref
	i.ImageRepo, i.ImageTag = SplitImage(ref)
}
