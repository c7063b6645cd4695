package output

import (
	"encoding/json"
	"net/netip"
	"sort"
	"strconv"
	"time"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/ruleset"
)

// Alert is one rule match, ready to be written.
type Alert struct {
	Time     int64 // event time, ns since the Unix epoch
	Rule     string
	Priority ruleset.Priority
	// Output is the full text line: "<time of day>: <Priority> <rule output>".
	Output   string
	Fields   []FieldValue
	Source   string
	Tags     []string
	Hostname string
}

// FieldValue is one output field and its value.
type FieldValue struct {
	Key   string
	Field *event.Field
	Value ruleset.Value
}

// timeField is evt.time, which every alert reports as Falco does.
var timeField = event.MustField("evt.time")

// suggestedFields are the container and Kubernetes fields every syscall
// alert carries, in output_fields and at the end of its text as
// label=value, whether or not the rule's output names them, as Falco's
// container plugin suggests them. A field the output already names is not
// repeated.
var suggestedFields = [...]struct {
	key, label string
	field      *event.Field
}{
	{"container.id", "container_id", event.MustField("container.id")},
	{"container.name", "container_name", event.MustField("container.name")},
	{"container.image.repository", "container_image_repository", event.MustField("container.image.repository")},
	{"container.image.tag", "container_image_tag", event.MustField("container.image.tag")},
	{"k8s.ns.name", "k8s_ns_name", event.MustField("k8s.ns.name")},
	{"k8s.pod.name", "k8s_pod_name", event.MustField("k8s.pod.name")},
}

// NewAlert builds the alert for rule r firing on ev. buf is scratch space
// for the output text and is returned for reuse.
func NewAlert(r *ruleset.Rule, ev *event.Event, hostname string, buf []byte) (*Alert, []byte) {
	buf = ruleset.AppendTimeOfDay(buf[:0], ev.Time, true)
	buf = append(buf, ": "...)
	buf = append(buf, r.Priority.String()...)
	buf = append(buf, ' ')
	buf = r.Format(buf, ev)
	a := &Alert{
		Time:     ev.Time,
		Rule:     r.Name,
		Priority: r.Priority,
		Source:   r.Source,
		Tags:     r.Tags,
		Hostname: hostname,
	}
	a.Fields = make([]FieldValue, 0, len(r.Fields)+1+len(suggestedFields))
	a.Fields = append(a.Fields, FieldValue{Key: "evt.time", Field: timeField, Value: ruleset.Value{Kind: event.KindInt, OK: true, Int: ev.Time}})
	for _, f := range r.Fields {
		if f.Key == "evt.time" {
			continue
		}
		a.Fields = append(a.Fields, FieldValue{Key: f.Key, Field: f.Field, Value: ruleset.Extract(ev, f.Field, f.Arg, f.Transformers)})
	}
	if r.Source == "" || r.Source == "syscall" {
		buf = appendSuggested(a, r, ev, buf)
	}
	a.Output = string(buf)
	return a, buf
}

// appendSuggested adds the suggested fields the rule's output lacks to a's
// fields and to the text in buf.
func appendSuggested(a *Alert, r *ruleset.Rule, ev *event.Event, buf []byte) []byte {
next:
	for _, s := range suggestedFields {
		for _, f := range r.Fields {
			if f.Key == s.key {
				continue next
			}
		}
		v := ruleset.Extract(ev, s.field, event.Arg{}, nil)
		a.Fields = append(a.Fields, FieldValue{Key: s.key, Field: s.field, Value: v})
		buf = append(buf, ' ')
		buf = append(buf, s.label...)
		buf = append(buf, '=')
		buf = ruleset.AppendValue(buf, s.field, v)
	}
	return buf
}

// AppendText appends Falco's text line for a and a newline.
func (a *Alert) AppendText(dst []byte) []byte {
	dst = append(dst, a.Output...)
	return append(dst, '\n')
}

// jsonAlert is Falco's JSON alert schema.
type jsonAlert struct {
	Hostname     string                     `json:"hostname"`
	Output       string                     `json:"output"`
	OutputFields map[string]json.RawMessage `json:"output_fields"`
	Priority     string                     `json:"priority"`
	Rule         string                     `json:"rule"`
	Source       string                     `json:"source"`
	Tags         []string                   `json:"tags"`
	Time         string                     `json:"time"`
}

// AppendJSON appends a as one line of JSON in Falco's schema: time with
// nanoseconds, typed output_fields (numbers as numbers, missing values as
// null), tags sorted.
func (a *Alert) AppendJSON(dst []byte) []byte {
	j := jsonAlert{
		Hostname:     a.Hostname,
		Output:       a.Output,
		OutputFields: make(map[string]json.RawMessage, len(a.Fields)),
		Priority:     a.Priority.String(),
		Rule:         a.Rule,
		Source:       a.Source,
		Tags:         append([]string{}, a.Tags...),
		Time:         time.Unix(0, a.Time).UTC().Format("2006-01-02T15:04:05.000000000Z"),
	}
	sort.Strings(j.Tags)
	for _, f := range a.Fields {
		j.OutputFields[f.Key] = jsonValue(f.Value)
	}
	b, err := json.Marshal(j)
	if err != nil { // cannot happen: every value above marshals
		return append(dst, "{}\n"...)
	}
	dst = append(dst, b...)
	return append(dst, '\n')
}

// jsonValue renders a value with its JSON type.
func jsonValue(v ruleset.Value) json.RawMessage {
	if !v.OK {
		return json.RawMessage("null")
	}
	switch v.Kind {
	case event.KindInt:
		return strconv.AppendInt(nil, v.Int, 10)
	case event.KindBool:
		return strconv.AppendBool(nil, v.Bool)
	case event.KindIP, event.KindIPNet:
		return quoteJSON(addrString(v.IP))
	case event.KindBytes:
		return quoteJSON(string(ruleset.AppendBytes(nil, v.Bytes, true)))
	}
	return quoteJSON(v.Str)
}

func addrString(a netip.Addr) string { return a.String() }

func quoteJSON(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
