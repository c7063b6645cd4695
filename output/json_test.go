package output

import (
	"encoding/json"
	"net/netip"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/ruleset"
)

// referenceJSON renders a with encoding/json, as Falco's schema says: the
// reference AppendJSON must match byte for byte.
func referenceJSON(a *Alert) []byte {
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
	quote := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	j := jsonAlert{
		Hostname: a.Hostname, Output: a.Output, OutputFields: map[string]json.RawMessage{},
		Priority: a.Priority.String(), Rule: a.Rule, Source: a.Source, Tags: append([]string{}, a.Tags...),
		Time: time.Unix(0, a.Time).UTC().Format("2006-01-02T15:04:05.000000000Z"),
	}
	sort.Strings(j.Tags)
	for _, f := range a.Fields {
		v := f.Value
		var raw json.RawMessage
		switch {
		case !v.OK:
			raw = json.RawMessage("null")
		case v.Kind == event.KindInt:
			raw = strconv.AppendInt(nil, v.Int, 10)
		case v.Kind == event.KindBool:
			raw = strconv.AppendBool(nil, v.Bool)
		case v.Kind == event.KindIP || v.Kind == event.KindIPNet:
			raw = quote(v.IP.String())
		case v.Kind == event.KindBytes:
			raw = quote(string(ruleset.AppendBytes(nil, v.Bytes, true)))
		default:
			raw = quote(v.Str)
		}
		j.OutputFields[f.Key] = raw
	}
	b, _ := json.Marshal(j)
	return append(b, '\n')
}

// trickyStrings need escaping, or look as if they did.
var trickyStrings = []string{
	"", "plain", `quote " backslash \ slash /`, "<script>&amp;</script>", "tab\tnewline\ncr\r",
	"\x00\x01\x1f\x7f", "\b\f\v", "é ü 日本", "\u2028\u2029", "bad \xff\xfe utf-8 \xc3", "\xed\xa0\x80 surrogate",
	"emoji 🙂", "%proc.name", "\\u0041",
}

func stringAlert(s string, i int) *Alert {
	str := func(v string) ruleset.Value { return ruleset.Value{Kind: event.KindString, OK: true, Str: v} }
	return &Alert{
		Time: 1700000000123456789 + int64(i), Rule: "rule " + s, Priority: ruleset.Priority(i % 8),
		Output: "out " + s, Source: "syscall", Hostname: s, Tags: []string{"z", s, "a", s},
		Fields: []FieldValue{
			{Key: "proc.name", Value: str(s)},
			{Key: s, Value: str("k")},
			{Key: "fd.num", Value: ruleset.Value{Kind: event.KindInt, OK: true, Int: -int64(i)}},
			{Key: "evt.is_open_read", Value: ruleset.Value{Kind: event.KindBool, OK: true, Bool: i%2 == 0}},
			{Key: "fd.sip", Value: ruleset.Value{Kind: event.KindIP, OK: true, IP: netip.MustParseAddr("::ffff:10.0.0.1")}},
			{Key: "fd.cip", Value: ruleset.Value{Kind: event.KindIP, OK: true}},
			{Key: "fd.net", Value: ruleset.Value{Kind: event.KindIPNet, OK: true, IP: netip.MustParseAddr("192.168.0.0")}},
			{Key: "evt.buffer", Value: ruleset.Value{Kind: event.KindBytes, OK: true, Bytes: []byte(s)}},
			{Key: "container.name", Value: ruleset.Value{Kind: event.KindString}},
			{Key: "proc.name", Value: str("last one wins " + s)},
		},
	}
}

// TestAppendJSONMatchesEncodingJSON: AppendJSON writes what encoding/json
// writes: key order, escaping, duplicate keys, every kind of value, more
// fields and tags than its stack buffers hold, no tags at all.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	var alerts []*Alert
	for i, s := range trickyStrings {
		alerts = append(alerts, stringAlert(s, i))
	}
	big := stringAlert("big", 1)
	for i := range 100 {
		big.Fields = append(big.Fields, FieldValue{Key: "f" + strconv.Itoa(99-i), Value: ruleset.Value{Kind: event.KindInt, OK: true, Int: int64(i)}})
		big.Tags = append(big.Tags, "t"+strconv.Itoa(i*7%100))
	}
	alerts = append(alerts, big, &Alert{Rule: "empty"}, sampleAlert(t))
	for _, a := range alerts {
		got, want := a.AppendJSON([]byte("prefix")), append([]byte("prefix"), referenceJSON(a)...)
		if string(got) != string(want) {
			t.Errorf("rule %q:\n got %s\nwant %s", a.Rule, got, want)
		}
	}
}

// FuzzAppendJSON: any strings, in any place, come out as encoding/json
// writes them, with the time of day or in ISO 8601.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s, "k")
	}
	f.Fuzz(func(t *testing.T, s, key string) {
		a := stringAlert(s, len(key))
		a.Fields = append(a.Fields, FieldValue{Key: key, Value: ruleset.Value{Kind: event.KindString, OK: true, Str: key + s}})
		if got, want := a.AppendJSON(nil), referenceJSON(a); string(got) != string(want) {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
		iso := *a
		iso.Output = string(a.isoOutput(nil))
		if got, want := a.AppendJSONStyle(nil, Style{ISOTime: true}), referenceJSON(&iso); string(got) != string(want) {
			t.Errorf("ISO time:\n got %s\nwant %s", got, want)
		}
	})
}

// TestAppendJSONAllocs: writing an alert into a buffer with room
// allocates nothing.
func TestAppendJSONAllocs(t *testing.T) {
	a := stringAlert("x", 1)
	a.Fields = a.Fields[:len(a.Fields)-3] // no bytes value
	buf := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(100, func() { buf = a.AppendJSON(buf[:0]) }); n != 0 {
		t.Errorf("%v allocations per alert", n)
	}
}
