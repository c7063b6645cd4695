package state

import (
	"strings"

	"github.com/lannersec/lanner/containers"
	"github.com/lannersec/lanner/event"
)

// shortIDLen is the length of a container's short id.
const shortIDLen = 12

// shortID is the first 12 characters of a container id.
func shortID(id string) string {
	if len(id) > shortIDLen {
		return id[:shortIDLen]
	}
	return id
}

// containerFor returns the shared entry of a container, creating it.
func (t *Tables) containerFor(fullID, runtime string) *event.Container {
	if c, ok := t.ctrs.Get(fullID); ok {
		if c.Runtime == "" {
			c.Runtime = runtime
		}
		return c
	}
	fullID = strings.Clone(fullID)
	c := &event.Container{ID: shortID(fullID), FullID: fullID, Runtime: runtime}
	t.ctrs.Add(fullID, c)
	return c
}

// containerFromCgroup resolves a cgroup path (or file) to the shared
// container entry; nil for the host.
func (t *Tables) containerFromCgroup(cgroup string) *event.Container {
	id, runtime, ok := containers.ContainerIDFromCgroup(cgroup)
	if !ok {
		return nil
	}
	return t.containerFor(id, runtime)
}

// Container returns the entry of the container with the given full id, or
// with the given short id (a prefix of at least 12 characters) when a
// single container matches; nil when the table holds none.
func (t *Tables) Container(id string) *event.Container {
	if id == "" {
		return nil
	}
	if c, ok := t.ctrs.Peek(id); ok {
		return c
	}
	if len(id) < shortIDLen {
		return nil
	}
	var found *event.Container
	for _, full := range t.ctrs.Keys() {
		if strings.HasPrefix(full, id) {
			if found != nil {
				return nil
			}
			found, _ = t.ctrs.Peek(full)
		}
	}
	return found
}

// SetContainerMetadata lets the runtime metadata component describe a
// container: fill is called with the shared entry (every process of the
// container sees the change), which is then marked MetadataKnown. ID and
// FullID stay as the table set them. A container the table does not hold
// yet is created when id is a full 64-hex id, so that its processes find
// it filled; other unknown ids are ignored.
// Call it from the goroutine that calls Apply.
func (t *Tables) SetContainerMetadata(id string, fill func(*event.Container)) {
	c := t.Container(id)
	if c == nil {
		if !containers.IsFullID(id) {
			return
		}
		c = t.containerFor(id, "")
	}
	fullID, short := c.FullID, c.ID
	fill(c)
	c.FullID, c.ID = fullID, short
	c.MetadataKnown = true
}

func (t *Tables) onContainerEvict(id string, _ *event.Container) {
	t.ctrEvictions.Add(1)
	delete(t.userDBs, id)
}
