package state

import (
	"strings"
	"testing"

	"github.com/lannersec/lanner/containers"
	"github.com/lannersec/lanner/event"
)

const (
	hexA = "3f4e1c2b9d8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e"
	hexB = "b0a9f8e7d6c5b4a3f2e3f4e1c2b9d8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1"
)

func TestContainerShared(t *testing.T) {
	tb := New(Options{ProcRoot: t.TempDir(), HostRoot: t.TempDir()})
	c1 := tb.containerFromCgroup("0::/docker/" + hexA)
	c2 := tb.containerFromCgroup("/system.slice/docker-" + hexA + ".scope")
	if c1 == nil || c1 != c2 {
		t.Fatalf("containers not shared: %p %p", c1, c2)
	}
	if c1.ID != hexA[:12] || c1.FullID != hexA || c1.Runtime != containers.RuntimeDocker || c1.MetadataKnown {
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
	if c3 == nil || c3.Name != "early" || !c3.MetadataKnown || c3.Runtime != containers.RuntimeDocker {
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
