package output

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/internal/testutil"
	"github.com/lannersec/lanner/ruleset"
)

func sampleAlert(t *testing.T) *Alert {
	t.Helper()
	p := &event.Process{Name: "cat", ExePath: "/usr/bin/cat", UID: 0, UserName: "root", LoginUID: 0xffffffff,
		Parent: &event.Process{Name: "bash", Parent: &event.Process{Name: "sshd"}}}
	p.SetArgs([]string{"/etc/shadow"})
	ev := &event.Event{Type: event.TypeOpenat, Time: 1795757437486526403, Proc: p,
		FD: event.FD{Kind: event.FDFile, Num: 3, Name: "/etc/shadow"}}
	fields := []ruleset.OutputField{}
	for _, k := range []string{"fd.name", "proc.aname[2]", "evt.type", "user.name", "user.uid", "user.loginuid", "proc.name", "proc.exepath", "proc.pname", "proc.cmdline", "proc.tty"} {
		name, arg := k, event.Arg{}
		if k == "proc.aname[2]" {
			name, arg = "proc.aname", event.Arg{Set: true, Index: 2}
		}
		fields = append(fields, ruleset.OutputField{Key: k, Field: event.MustField(name), Arg: arg})
	}
	r := &ruleset.Rule{Name: "Read sensitive file untrusted", Priority: ruleset.Warning, Source: "syscall",
		Tags: []string{"maturity_stable", "host", "container", "filesystem", "mitre_credential_access", "T1555"},
		Format: func(dst []byte, ev *event.Event) []byte {
			return append(dst, "Sensitive file opened for reading by non-trusted program | file=/etc/shadow"...)
		},
		Fields: fields}
	a, _ := NewAlert(r, ev, "vm", nil)
	return a
}

// TestJSONSchema compares an alert with the one Falco wrote
// (../shared/docs/falco-alert-example.json): the same keys, the same JSON
// types for every key and output field, time with nanoseconds.
func TestJSONSchema(t *testing.T) {
	data, err := os.ReadFile(testutil.Shared(t, "docs/falco-alert-example.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	line := sampleAlert(t).AppendJSON(nil)
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	if keys(got) != keys(want) {
		t.Errorf("keys %s, want %s", keys(got), keys(want))
	}
	for k, v := range want {
		if reflect.TypeOf(got[k]) != reflect.TypeOf(v) {
			t.Errorf("%s: type %T, want %T", k, got[k], v)
		}
	}
	gf, wf := got["output_fields"].(map[string]any), want["output_fields"].(map[string]any)
	for k, v := range wf {
		if k == "proc.aname[3]" || k == "proc.aname[4]" {
			continue
		}
		if _, ok := gf[k]; !ok {
			t.Errorf("output_fields lacks %s", k)
		} else if reflect.TypeOf(gf[k]) != reflect.TypeOf(v) {
			t.Errorf("output_fields %s: type %T, want %T", k, gf[k], v)
		}
	}
	for _, k := range []string{"fd.name", "proc.name", "user.loginuid", "user.uid", "evt.time", "proc.aname[2]"} {
		if reflect.DeepEqual(gf[k], wf[k]) == false {
			t.Errorf("output_fields %s = %v, want %v", k, gf[k], wf[k])
		}
	}
	if got["time"] != want["time"] {
		t.Errorf("time %v, want %v", got["time"], want["time"])
	}
	if !reflect.DeepEqual(got["tags"], want["tags"]) {
		t.Errorf("tags %v, want %v (sorted)", got["tags"], want["tags"])
	}
	if !strings.HasPrefix(got["output"].(string), "05:30:37.486526403: Warning Sensitive file opened") {
		t.Errorf("output %q", got["output"])
	}
}

func keys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

// TestSinkDropsWhenFull checks that a stuck sink drops (counted) instead
// of blocking Send.
func TestSinkDropsWhenFull(t *testing.T) {
	block := make(chan struct{})
	s := &stuckSink{block: block}
	o := New(Text, s)
	a := sampleAlert(t)
	done := make(chan struct{})
	go func() {
		for i := 0; i < QueueLen+100; i++ {
			o.Send(a)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Send blocked on a stuck sink")
	}
	st := o.Stats()[0]
	if st.Dropped < 99 {
		t.Errorf("dropped %d, want at least 99", st.Dropped)
	}
	close(block)
	o.Close(5 * time.Second)
}

type stuckSink struct{ block chan struct{} }

func (s *stuckSink) Name() string { return "stuck" }
func (s *stuckSink) Write([]byte) error {
	<-s.block
	return nil
}
func (s *stuckSink) Close() error { return nil }

func TestFileSinkReopen(t *testing.T) {
	p := filepath.Join(t.TempDir(), "alerts.log")
	fs, err := NewFileSink(p)
	if err != nil {
		t.Fatal(err)
	}
	o := New(JSON, fs)
	a := sampleAlert(t)
	o.Send(a)
	time.Sleep(100 * time.Millisecond)
	if err := os.Rename(p, p+".1"); err != nil {
		t.Fatal(err)
	}
	if err := fs.Reopen(); err != nil {
		t.Fatal(err)
	}
	o.Send(a)
	o.Close(5 * time.Second)
	for _, f := range []string{p, p + ".1"} {
		b, err := os.ReadFile(f)
		if err != nil || strings.Count(string(b), "\n") != 1 {
			t.Errorf("%s: %v, %q", f, err, b)
		}
	}
}

// TestSuggestedFields: every syscall alert carries the container and
// Kubernetes fields, in output_fields and at the end of its text, unless
// the rule's output names them already.
func TestSuggestedFields(t *testing.T) {
	c := &event.Container{ID: "3f2a9c1b7d4e", FullID: "3f2a9c1b7d4e" + strings.Repeat("0", 52), Name: "web-1",
		ImageRepo: "nginx", ImageTag: "1.27", K8sNamespace: "prod", K8sPodName: "web-1-abc", MetadataKnown: true}
	ev := &event.Event{Type: event.TypeOpenat, Time: 1795757437486526403, Proc: &event.Process{Name: "cat", Container: c}}
	idField := ruleset.OutputField{Key: "container.id", Field: event.MustField("container.id")}
	r := &ruleset.Rule{Name: "r", Priority: ruleset.Notice, Source: "syscall",
		Format: func(dst []byte, ev *event.Event) []byte { return append(dst, "opened (id=3f2a9c1b7d4e)"...) },
		Fields: []ruleset.OutputField{idField}}
	a, _ := NewAlert(r, ev, "vm", nil)
	if want := "opened (id=3f2a9c1b7d4e) container_name=web-1 container_image_repository=nginx container_image_tag=1.27 k8s_ns_name=prod k8s_pod_name=web-1-abc"; !strings.HasSuffix(a.Output, want) {
		t.Errorf("output %q, want suffix %q", a.Output, want)
	}
	var keys []string
	for _, f := range a.Fields {
		keys = append(keys, f.Key)
	}
	if got := strings.Join(keys, " "); got != "evt.time container.id container.name container.image.repository container.image.tag k8s.ns.name k8s.pod.name" {
		t.Errorf("fields %s", got)
	}

	// On the host: host names, empty images (as Falco), and missing values.
	ev.Proc.Container = nil
	r.Fields = nil
	a, _ = NewAlert(r, ev, "vm", nil)
	if want := " container_id=host container_name=host container_image_repository= container_image_tag= k8s_ns_name=<NA> k8s_pod_name=<NA>"; !strings.HasSuffix(a.Output, want) {
		t.Errorf("host output %q", a.Output)
	}
	var j struct {
		OutputFields map[string]any `json:"output_fields"`
	}
	if err := json.Unmarshal(a.AppendJSON(nil), &j); err != nil {
		t.Fatal(err)
	}
	if j.OutputFields["container.id"] != "host" || j.OutputFields["container.image.repository"] != "" || j.OutputFields["k8s.pod.name"] != nil {
		t.Errorf("output_fields %v", j.OutputFields)
	}

	// Other sources get nothing appended.
	r.Source = "k8s_audit"
	a, _ = NewAlert(r, ev, "vm", nil)
	if strings.Contains(a.Output, "container_id") || len(a.Fields) != 1 {
		t.Errorf("k8s_audit alert: %q %v", a.Output, a.Fields)
	}
}
