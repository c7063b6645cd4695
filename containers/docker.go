package containers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lannersec/lanner/event"
)

// maxDocument bounds what is read of one runtime file or API answer.
const maxDocument = 4 << 20

// dockerContainer is the part of Docker's container description Lanner
// uses. The engine API (/containers/<id>/json) and the on-disk
// config.v2.json share these keys, except that the API puts mounts in
// Mounts and the file in MountPoints, and the file keeps HostConfig in
// hostconfig.json.
type dockerContainer struct {
	ID     string
	Name   string
	Image  string // image id, sha256:...
	Config struct {
		Image  string
		Labels map[string]string
	}
	State struct {
		StartedAt string
	}
	HostConfig *dockerHostConfig
	Mounts     []dockerMount
	// MountPoints is config.v2.json's map from destination to mount.
	MountPoints map[string]dockerMount
}

type dockerHostConfig struct {
	Privileged bool
}

type dockerMount struct {
	Source      string
	Destination string
	Mode        string
	RW          bool
	Propagation string
	// Relabel is what config.v2.json keeps of the mode the API shows.
	Relabel string
}

// parseDocker decodes a Docker container description (API answer or
// config.v2.json); hostConfig, when not nil, is the content of
// hostconfig.json.
func parseDocker(doc, hostConfig []byte) (Info, error) {
	var d dockerContainer
	if err := json.Unmarshal(doc, &d); err != nil {
		return Info{}, fmt.Errorf("docker container config: %w", err)
	}
	if hostConfig != nil {
		var hc dockerHostConfig
		if err := json.Unmarshal(hostConfig, &hc); err != nil {
			return Info{}, fmt.Errorf("docker hostconfig.json: %w", err)
		}
		d.HostConfig = &hc
	}
	i := Info{Runtime: "docker", Name: strings.TrimPrefix(d.Name, "/"), ImageID: d.Image, Labels: d.Config.Labels}
	i.setImage(d.Config.Image)
	if d.HostConfig != nil {
		i.Privileged = d.HostConfig.Privileged
	}
	if t, err := time.Parse(time.RFC3339Nano, d.State.StartedAt); err == nil && t.Year() > 1 {
		i.StartTS = t.UnixNano()
	}
	mounts := d.Mounts
	if len(mounts) == 0 && len(d.MountPoints) > 0 {
		for _, m := range d.MountPoints {
			mounts = append(mounts, m)
		}
		sort.Slice(mounts, func(a, b int) bool { return mounts[a].Destination < mounts[b].Destination })
	}
	for _, m := range mounts {
		if m.Mode == "" {
			m.Mode = m.Relabel
		}
		i.Mounts = append(i.Mounts, event.Mount{Source: m.Source, Dest: m.Destination, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation})
	}
	i.fillK8s()
	return i, nil
}

// dockerFiles reads Docker's on-disk container config.
func (l *Lookup) dockerFiles(id string) (Info, error) {
	dir := filepath.Join(l.root(l.DockerRoot), "containers", id)
	doc, err := readDocument(filepath.Join(dir, "config.v2.json"))
	if err != nil {
		return Info{}, err
	}
	hc, err := readDocument(filepath.Join(dir, "hostconfig.json"))
	if errors.Is(err, ErrNotFound) {
		hc, err = nil, nil
	}
	if err != nil {
		return Info{}, err
	}
	return parseDocker(doc, hc)
}

// dockerAPI asks the Docker engine API on its unix socket.
func (l *Lookup) dockerAPI(ctx context.Context, id string) (Info, error) {
	sock := l.root(l.DockerSocket)
	if _, err := os.Stat(sock); err != nil {
		return Info{}, ErrNotFound
	}
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		DisableKeepAlives: true,
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/containers/"+id+"/json", nil)
	if err != nil {
		return Info{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return Info{}, fmt.Errorf("docker API: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return Info{}, ErrNotFound
	}
	if resp.StatusCode != http.StatusOK {
		return Info{}, fmt.Errorf("docker API: %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return Info{}, fmt.Errorf("docker API: %w", err)
	}
	if len(body) > maxDocument {
		return Info{}, fmt.Errorf("docker API: answer larger than %d bytes", maxDocument)
	}
	i, err := parseDocker(body, nil)
	if err != nil {
		return Info{}, fmt.Errorf("docker API: %w", err)
	}
	return i, nil
}

// readDocument reads a runtime file of at most maxDocument bytes; a
// missing file is ErrNotFound.
func readDocument(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxDocument+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxDocument {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxDocument)
	}
	return b, nil
}
