package output

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/lannersec/lanner/event"
	"github.com/lannersec/lanner/ruleset"
)

// Alert is one rule match, ready to be written.
type Alert struct {
	Time     int64 // event time, ns since the Unix epoch
	Rule     string
	Priority ruleset.Priority
	// Output is the full text line: "<time of day>: <Priority> <rule
	// output>", one line whatever the event holds: field values are
	// escaped (see ruleset.AppendEscaped), so that no control character
	// or invalid UTF-8 gets into it.
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
// for the output text and is returned for reuse. The alert is the
// caller's to keep; a Builder builds alerts without allocating.
func NewAlert(r *ruleset.Rule, ev *event.Event, hostname string, buf []byte) (*Alert, []byte) {
	a := &Alert{}
	buf = a.fill(r, ev, hostname, buf, suggested(r), nil)
	if ruleset.IsEscaped(buf) {
		a.Output = string(buf)
	} else {
		a.Output = string(ruleset.AppendControlsEscaped(nil, buf))
	}
	return a, buf
}

// Builder builds alerts into one Alert, reusing its memory: after the
// first alerts of each rule it allocates nothing. The zero Builder is
// ready to use; it is not safe for concurrent use.
type Builder struct {
	alert      Alert
	text, safe []byte // the output text, and its escaped copy
	layouts    map[*ruleset.Rule]*layout
}

// Build returns the alert for rule r firing on ev, as NewAlert builds it
// but with its Fields in the order of their keys. The alert is the
// Builder's and refers to ev's memory: it, its Output and its Fields are
// valid until the next Build or until ev's record is reused. Output.Send
// does not keep the alert (it formats it before it returns), so an engine
// can build every alert with one Builder and send it.
func (b *Builder) Build(r *ruleset.Rule, ev *event.Event, hostname string) *Alert {
	l := b.layouts[r]
	if l == nil {
		l = b.newLayout(r)
	}
	a := &b.alert
	b.text = a.fill(r, ev, hostname, b.text, l.suggest, l.pos)
	line := b.text
	if !ruleset.IsEscaped(line) {
		b.safe = ruleset.AppendControlsEscaped(b.safe[:0], line)
		line = b.safe
	}
	a.Output = ""
	if len(line) > 0 {
		// The bytes are not changed until the next Build, which
		// replaces Output.
		a.Output = unsafe.String(&line[0], len(line))
	}
	return a
}

// layout is what a Builder works out once per rule: which suggested
// fields its alerts add, and where each field goes so that the fields are
// in the order of their keys, as JSON wants them.
type layout struct {
	suggest uint8 // bit i: suggestedFields[i]
	// pos[i] is the place of the i-th field fill makes.
	pos []int
}

// maxLayouts bounds the rules a Builder keeps layouts for: rules
// reloaded are new rules, and the old ones stay referenced until the
// layouts are forgotten, all at once, when there are this many.
const maxLayouts = 1024

// newLayout works out and keeps r's layout.
func (b *Builder) newLayout(r *ruleset.Rule) *layout {
	if b.layouts == nil || len(b.layouts) >= maxLayouts {
		b.layouts = map[*ruleset.Rule]*layout{}
	}
	l := &layout{suggest: suggested(r)}
	// The keys of r's alerts, in the order fill makes them.
	keys := []FieldValue{{Key: "evt.time"}}
	for _, f := range r.Fields {
		if f.Key != "evt.time" {
			keys = append(keys, FieldValue{Key: f.Key})
		}
	}
	for i, s := range suggestedFields {
		if l.suggest&(1<<i) != 0 {
			keys = append(keys, FieldValue{Key: s.key})
		}
	}
	// Sorted stably, as appendJSON sorts: of two fields with one key,
	// the one it keeps stays the last.
	l.pos = make([]int, len(keys))
	for place, i := range sortedByKey(keys, nil) {
		l.pos[i] = place
	}
	b.layouts[r] = l
	return l
}

// suggested is the set of suggestedFields an alert of r adds: none but
// for syscall rules, and those the rule's output names are not repeated.
func suggested(r *ruleset.Rule) uint8 {
	if r.Source != "" && r.Source != "syscall" {
		return 0
	}
	var set uint8
next:
	for i, s := range suggestedFields {
		for _, f := range r.Fields {
			if f.Key == s.key {
				continue next
			}
		}
		set |= 1 << i
	}
	return set
}

// fill sets a's fields for rule r firing on ev, with the suggested fields
// of set, the i-th field it makes at place pos[i] of Fields (nil: at i).
// It returns the output text in buf, made safe by the caller: a formatter
// that appended a value without escaping it, or a rule whose output text
// has a control character, leaves it unescaped.
func (a *Alert) fill(r *ruleset.Rule, ev *event.Event, hostname string, buf []byte, set uint8, pos []int) []byte {
	buf = appendTimeOfDay(buf[:0], ev.Time)
	buf = append(buf, ": "...)
	buf = append(buf, r.Priority.String()...)
	buf = append(buf, ' ')
	buf = r.Format(buf, ev)
	a.Time, a.Rule, a.Priority, a.Source, a.Tags, a.Hostname = ev.Time, r.Name, r.Priority, r.Source, r.Tags, hostname

	n := 1 + len(r.Fields) + bits.OnesCount8(set)
	for _, f := range r.Fields {
		if f.Key == "evt.time" {
			n--
		}
	}
	if cap(a.Fields) < n {
		a.Fields = make([]FieldValue, n)
	}
	clear(a.Fields[n:cap(a.Fields)]) // let go of longer alerts' values
	a.Fields = a.Fields[:n]
	i := 0
	put := func(v FieldValue) {
		if pos != nil {
			a.Fields[pos[i]] = v
		} else {
			a.Fields[i] = v
		}
		i++
	}
	put(FieldValue{Key: "evt.time", Field: timeField, Value: ruleset.Value{Kind: event.KindInt, OK: true, Int: ev.Time}})
	for _, f := range r.Fields {
		if f.Key == "evt.time" {
			continue
		}
		put(FieldValue{Key: f.Key, Field: f.Field, Value: ruleset.Extract(ev, f.Field, f.Arg, f.Transformers)})
	}
	// The suggested fields, also at the end of the text.
	for k, s := range suggestedFields {
		if set&(1<<k) == 0 {
			continue
		}
		v := ruleset.Extract(ev, s.field, event.Arg{}, nil)
		put(FieldValue{Key: s.key, Field: s.field, Value: v})
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

// Style is how alerts are written beyond their format, as falco.yaml's
// time_format_iso_8601, json_include_output_property and
// json_include_tags_property choose. The zero Style is Falco's default.
type Style struct {
	// ISOTime starts the text line (and the JSON output property) with
	// the date and time in ISO 8601, UTC, instead of the time of day.
	ISOTime bool
	// OmitJSONOutput leaves the output property out of JSON alerts.
	OmitJSONOutput bool
	// OmitJSONTags leaves the tags property out of JSON alerts.
	OmitJSONTags bool
}

// timeOfDayLen is the length of the time of day an alert's text starts
// with (15:04:05.000000000).
const timeOfDayLen = len("15:04:05.000000000")

// isoOutput is a's text with its time of day replaced by the date and
// time in ISO 8601.
func (a *Alert) isoOutput(dst []byte) []byte {
	dst = appendUTCTime(dst, a.Time)
	dst = append(dst, "+0000"...)
	return append(dst, a.isoRest()...)
}

// isoRest is what follows the date and time in isoOutput.
func (a *Alert) isoRest() string {
	if len(a.Output) >= timeOfDayLen {
		return a.Output[timeOfDayLen:]
	}
	return a.Output
}

// appendUTCTime appends the UTC time ns nanoseconds after the Unix epoch as
// time.Time.AppendFormat does with the layout
// "2006-01-02T15:04:05.000000000" (an int64 of nanoseconds is always in
// the years 1677 to 2262, so the year has 4 digits).
func appendUTCTime(dst []byte, ns int64) []byte {
	year, month, day := time.Unix(0, ns).UTC().Date()
	dst = append(dst,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+month/10), byte('0'+month%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T')
	return appendTimeOfDay(dst, ns)
}

// appendTimeOfDay appends the UTC time of day of ns nanoseconds after the
// Unix epoch as time.Time.AppendFormat does with the layout
// "15:04:05.000000000" (ruleset.AppendTimeOfDay, without parsing the
// layout for every alert).
func appendTimeOfDay(dst []byte, ns int64) []byte {
	sec, nano := ns/1e9, ns%1e9
	if nano < 0 { // before the epoch: division truncates toward zero
		sec, nano = sec-1, nano+1e9
	}
	sod := sec % 86400
	if sod < 0 {
		sod += 86400
	}
	hour, minute, second := sod/3600, sod/60%60, sod%60
	dst = append(dst,
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+second/10), byte('0'+second%10), '.')
	var frac [9]byte
	for i := len(frac) - 1; i >= 0; i-- {
		frac[i] = byte('0' + nano%10)
		nano /= 10
	}
	return append(dst, frac[:]...)
}

// AppendTextStyle is AppendText in style s.
func (a *Alert) AppendTextStyle(dst []byte, s Style) []byte {
	if !s.ISOTime {
		return a.AppendText(dst)
	}
	return append(a.isoOutput(dst), '\n')
}

// AppendJSONStyle is AppendJSON in style s.
func (a *Alert) AppendJSONStyle(dst []byte, s Style) []byte {
	return a.appendJSON(dst, s)
}

// AppendJSON appends a as one line of JSON in Falco's schema: keys in
// sorted order, time with nanoseconds, typed output_fields (numbers as
// numbers, missing values as null, the last of two fields with one key),
// tags sorted. Strings are escaped as encoding/json escapes them. It
// allocates nothing for alerts of up to 64 fields and 16 tags.
func (a *Alert) AppendJSON(dst []byte) []byte {
	return a.appendJSON(dst, Style{})
}

func (a *Alert) appendJSON(dst []byte, s Style) []byte {
	dst = append(dst, `{"hostname":`...)
	dst = appendJSONString(dst, a.Hostname)
	switch {
	case s.OmitJSONOutput:
	case s.ISOTime:
		// The date and time need no escaping: the quoted text is
		// isoOutput's.
		dst = append(dst, `,"output":"`...)
		dst = appendUTCTime(dst, a.Time)
		dst = append(dst, "+0000"...)
		dst = appendJSONEscaped(dst, a.isoRest())
		dst = append(dst, '"')
	default:
		dst = append(dst, `,"output":`...)
		dst = appendJSONString(dst, a.Output)
	}
	dst = append(dst, `,"output_fields":{`...)
	// A Builder's fields come sorted: the sort then only checks them.
	var idx [64]int
	order := sortedByKey(a.Fields, idx[:0])
	first := true
	for n, i := range order {
		f := &a.Fields[i]
		if n+1 < len(order) && a.Fields[order[n+1]].Key == f.Key {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, f.Key)
		dst = append(dst, ':')
		dst = appendJSONValue(dst, f.Value)
	}
	dst = append(dst, `},"priority":`...)
	dst = appendJSONString(dst, a.Priority.String())
	dst = append(dst, `,"rule":`...)
	dst = appendJSONString(dst, a.Rule)
	dst = append(dst, `,"source":`...)
	dst = appendJSONString(dst, a.Source)
	if s.OmitJSONTags {
		dst = append(dst, `,"time":"`...)
		dst = appendUTCTime(dst, a.Time)
		return append(dst, "Z\"}\n"...)
	}
	dst = append(dst, `,"tags":[`...)
	var tagBuf [16]string
	tags := tagBuf[:0]
	if len(a.Tags) > len(tagBuf) {
		tags = make([]string, 0, len(a.Tags))
	}
	tags = append(tags, a.Tags...)
	for i := 1; i < len(tags); i++ {
		for j := i; j > 0 && tags[j] < tags[j-1]; j-- {
			tags[j], tags[j-1] = tags[j-1], tags[j]
		}
	}
	for i, t := range tags {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, t)
	}
	dst = append(dst, `],"time":"`...)
	dst = appendUTCTime(dst, a.Time)
	return append(dst, "Z\"}\n"...)
}

// sortedByKey appends the indexes of fields to order sorted by key, stably,
// so that of equal keys the last comes last (appendJSON keeps that one).
func sortedByKey(fields []FieldValue, order []int) []int {
	start := len(order)
	for i := range fields {
		order = append(order, i)
	}
	o := order[start:]
	for i := 1; i < len(o); i++ {
		for j := i; j > 0 && fields[o[j]].Key < fields[o[j-1]].Key; j-- {
			o[j], o[j-1] = o[j-1], o[j]
		}
	}
	return order
}

// appendJSONValue appends a value with its JSON type.
func appendJSONValue(dst []byte, v ruleset.Value) []byte {
	if !v.OK {
		return append(dst, "null"...)
	}
	switch v.Kind {
	case event.KindInt:
		return strconv.AppendInt(dst, v.Int, 10)
	case event.KindBool:
		return strconv.AppendBool(dst, v.Bool)
	case event.KindIP, event.KindIPNet:
		dst = append(dst, '"')
		dst = appendAddr(dst, v.IP)
		return append(dst, '"')
	case event.KindBytes:
		// Rare (no collector captures I/O buffers): rendered, then quoted.
		start := len(dst)
		dst = ruleset.AppendBytes(dst, v.Bytes, true)
		raw := string(dst[start:])
		return appendJSONString(dst[:start], raw)
	}
	return appendJSONString(dst, v.Str)
}

// appendAddr appends an address as netip.Addr.String renders it ("invalid
// IP" for the zero Addr).
func appendAddr(dst []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(dst, "invalid IP"...)
	}
	return a.AppendTo(dst)
}

const hexDigits = "0123456789abcdef"

// jsonPlain marks the bytes appendJSONEscaped copies as they are: ASCII
// but control characters, '"', '\\', '<', '>' and '&'.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// jsonPlain8 reports whether the 8 bytes of w are all plain for
// appendJSONEscaped (see jsonPlain), by bit tricks over the whole word:
// none is 0x80 or more, below 0x20, '"', '\\', '&', '<' or '>'.
func jsonPlain8(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// (v-ones) &^ v & highs is not 0 when a byte of v is 0 (exactly so
	// when no byte of v is 0x80 or more, as below once w has none).
	// '<' is 0x3c and '>' 0x3e: one test finds both.
	q, b, amp, lt := w^(ones*'"'), w^(ones*'\\'), w^(ones*'&'), (w^(ones*'<'))&^(ones*2)
	// A byte of 0x80 or more has its high bit set; one below 0x20
	// borrows, and sets it.
	bad := w | (w - ones*0x20)
	bad |= (q - ones) &^ q
	bad |= (b - ones) &^ b
	bad |= (amp - ones) &^ amp
	bad |= (lt - ones) &^ lt
	return bad&highs == 0
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it: \" \\ \n \r \t \b \f, other control characters and <, >, & as
// \u00XX, U+2028 and U+2029 as \u2028 and \u2029, and each byte of
// invalid UTF-8 as \ufffd.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendJSONEscaped(dst, s)
	return append(dst, '"')
}

// appendJSONEscaped appends s escaped as in appendJSONString, without the
// quotes.
func appendJSONEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		// Eight plain bytes at a time, as most of an alert is.
		for i+8 <= len(s) && jsonPlain8(binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))) {
			i += 8
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if jsonPlain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}
