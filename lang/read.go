package lang

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	yast "github.com/goccy/go-yaml/ast"
	yparser "github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/lannersec/lanner/internal/yamlguard"
	"github.com/lannersec/lanner/ruleset"
)

// EngineVersion is the Falco engine version whose rule language this
// package implements. A rules file that requires a newer version is
// rejected.
const EngineVersion = "0.63.0"

// MaxConditionBytes is the longest condition a rules file may hold, as
// written (before its macros and lists are expanded). The longest of
// Falco's own rules is under 2 KB.
const MaxConditionBytes = 64 << 10

// ItemKind says what a top-level entry of a rules file is.
type ItemKind int

const (
	// ItemUnknown is a map with none of the known item keys. It only
	// carries a warning.
	ItemUnknown ItemKind = iota
	// ItemEngineVersion is a required_engine_version entry.
	ItemEngineVersion
	// ItemPluginVersions is a required_plugin_versions entry.
	ItemPluginVersions
	// ItemList defines, appends to or overrides a list.
	ItemList
	// ItemMacro defines, appends to or overrides a macro.
	ItemMacro
	// ItemRule defines, appends to, overrides or enables a rule.
	ItemRule
)

func (k ItemKind) String() string {
	switch k {
	case ItemEngineVersion:
		return "required_engine_version"
	case ItemPluginVersions:
		return "required_plugin_versions"
	case ItemList:
		return "list"
	case ItemMacro:
		return "macro"
	case ItemRule:
		return "rule"
	}
	return "unknown"
}

// Value is a scalar read from a rules file, with the position where it
// starts.
type Value struct {
	Text string
	Pos  Position
	// src maps each byte offset of Text (and len(Text)) to its place in
	// the file. It is kept for conditions only; nil means every byte maps
	// to Pos.
	src []Position
}

// posAt returns the file position of byte offset off of v.Text.
func (v Value) posAt(off int) Position {
	if v.src == nil {
		return v.Pos
	}
	if off < 0 {
		off = 0
	}
	if off >= len(v.src) {
		off = len(v.src) - 1
	}
	return v.src[off]
}

// Override is one entry of an item's "override" map.
type Override struct {
	Append bool     // "append"; otherwise "replace"
	Pos    Position // the key under override
}

// PluginVersion is one acceptable plugin for a required_plugin_versions
// entry.
type PluginVersion struct {
	Name    string
	Version string
}

// PluginRequirement is one entry of required_plugin_versions: a plugin
// and its alternatives, any of which satisfies it.
type PluginRequirement struct {
	Alternatives []PluginVersion
	Pos          Position
}

// ExceptionValue is an exception's fields, comps or one of its values: a
// scalar, or a list of scalars or of lists.
type ExceptionValue struct {
	Value
	IsList bool
	Items  []ExceptionValue
}

// Exception is one entry of a rule's exceptions.
type Exception struct {
	Name      string
	Pos       Position
	Fields    ExceptionValue
	Comps     ExceptionValue
	Values    []ExceptionValue
	HasFields bool
	HasComps  bool
	HasValues bool
}

// Item is one top-level entry of a rules file.
type Item struct {
	Kind ItemKind
	Pos  Position // the first key of the item's map
	Name string   // list, macro or rule name

	// Keys holds every key of the item's map with its position.
	Keys map[string]Position
	// Append is the deprecated "append: true".
	Append bool
	// Override maps keys to their override operation.
	Override map[string]Override
	// EnableOnly marks a rule item with neither condition, output, desc
	// nor priority: it only sets the enabled flag of an existing rule.
	EnableOnly bool

	EngineVersion string              // ItemEngineVersion, as "x.y.z"
	Plugins       []PluginRequirement // ItemPluginVersions

	Items []Value // list items

	Condition           Value
	Output              Value
	Desc                Value
	Priority            ruleset.Priority
	PriorityPos         Position
	Source              string
	Enabled             bool
	WarnEvttypes        bool
	SkipIfUnknownFilter bool
	Capture             bool
	CaptureDuration     int
	Tags                []string
	Exceptions          []Exception

	// Warnings are non-fatal problems of this item; Collection.Add
	// records them.
	Warnings Diagnostics
	// Invalid is set when Read reported an error for this item. Add does
	// not apply it but remembers its name, so that later references to
	// it do not produce follow-up errors.
	Invalid bool
}

// Has reports whether the item's map has key.
func (it *Item) Has(key string) bool {
	_, ok := it.Keys[key]
	return ok
}

var (
	macroNameRe = regexp.MustCompile(`^[a-zA-Z]+[a-zA-Z0-9_]*$`)
	listNameRe  = regexp.MustCompile(`^[^()"'\s=,]+$`)
)

var (
	listKeys  = keySet("list", "items", "append", "override")
	macroKeys = keySet("macro", "condition", "append", "override")
	ruleKeys  = keySet("rule", "condition", "output", "desc", "priority", "source", "enabled", "tags",
		"exceptions", "capture", "capture_duration", "warn_evttypes", "skip-if-unknown-filter", "append", "override")
	exceptionKeys = keySet("name", "fields", "comps", "values")
	pluginKeys    = keySet("name", "version", "alternatives")
	altKeys       = keySet("name", "version")

	ruleAppendable  = keySet("condition", "output", "desc", "tags", "exceptions")
	ruleReplaceable = keySet("condition", "output", "desc", "priority", "capture", "capture_duration", "tags",
		"exceptions", "enabled", "warn_evttypes", "skip-if-unknown-filter")
)

func keySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// Read parses one rules file into positioned items. Problems (YAML syntax,
// a document that is not a sequence of maps, wrong value types such as
// tags not being a list, bad priority) are diagnostics. Items with errors
// are still returned, marked Invalid.
func Read(file string, data []byte) ([]Item, Diagnostics) {
	r := &reader{file: file, data: data}
	if len(data) > yamlguard.Rules.Bytes {
		r.errorf(Position{File: file, Line: 1, Col: 1}, "file is %d bytes, more than the limit of %d", len(data), yamlguard.Rules.Bytes)
		return nil, r.diags
	}
	r.indexLines()
	for _, d := range splitDocuments(data) {
		r.readDocument(d)
	}
	return r.items, r.diags
}

type reader struct {
	file       string
	data       []byte
	lineStarts []int
	lineBase   int        // lines before the document being read
	posCache   lineCursor // the last place posAt found
	offCache   lineCursor // the last place offsetOf found
	anchors    map[string]yast.Node
	items      []Item
	diags      Diagnostics
}

func (r *reader) indexLines() {
	r.lineStarts = append(r.lineStarts[:0], 0)
	for i, c := range r.data {
		if c == '\n' {
			r.lineStarts = append(r.lineStarts, i+1)
		}
	}
}

// posAt returns the position of byte offset off of the file. Columns are
// counted from the place of the previous call when it is earlier on the
// same line, so that walking a long line forward (the source map of a
// condition) takes time linear in its length.
func (r *reader) posAt(off int) Position {
	if off < 0 {
		off = 0
	}
	if off > len(r.data) {
		off = len(r.data)
	}
	lo, hi := 0, len(r.lineStarts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if r.lineStarts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	from, col := r.lineStarts[lo], 1
	if c := r.posCache; c.line == lo && c.off >= from && c.off <= off {
		from, col = c.off, c.col
	}
	col += utf8.RuneCount(r.data[from:off])
	if off == len(r.data) || utf8.RuneStart(r.data[off]) {
		// A place inside a character is not one to count on from.
		r.posCache = lineCursor{line: lo, off: off, col: col}
	}
	return Position{File: r.file, Line: lo + 1, Col: col}
}

// lineCursor is a place in the file: 0-based line, byte offset and
// 1-based rune column.
type lineCursor struct {
	line, off, col int
}

// offsetOf returns the byte offset of a 1-based line and rune column, or
// -1 when the line does not exist. Like posAt it goes on from the previous
// call when that was earlier on the same line.
func (r *reader) offsetOf(line, col int) int {
	if line < 1 || line > len(r.lineStarts) {
		return -1
	}
	off, n := r.lineStarts[line-1], 1
	if c := r.offCache; c.line == line-1 && c.col <= col && c.off >= off {
		off, n = c.off, c.col
	}
	for ; n < col && off < len(r.data) && r.data[off] != '\n'; n++ {
		_, size := utf8.DecodeRune(r.data[off:])
		off += size
	}
	r.offCache = lineCursor{line: line - 1, off: off, col: n}
	return off
}

type document struct {
	start, end int // byte range in the file
	lineBase   int // lines before start
}

// splitDocuments cuts data at YAML document markers ("---" and "..." at
// the start of a line), so that each document is parsed on its own. The
// YAML library drops the content of a document that follows an empty one;
// parsing them separately avoids that, and lets a syntax error in one
// document leave the others readable.
func splitDocuments(data []byte) []document {
	var docs []document
	cur := document{}
	line := 0
	for off := 0; off < len(data); {
		next := bytes.IndexByte(data[off:], '\n')
		if next < 0 {
			next = len(data)
		} else {
			next += off + 1
		}
		switch {
		case isMarker(data[off:next], "---"):
			if off > cur.start {
				cur.end = off
				docs = append(docs, cur)
			}
			cur = document{start: off, lineBase: line}
		case isMarker(data[off:next], "..."):
			cur.end = off
			docs = append(docs, cur)
			cur = document{start: next, lineBase: line + 1}
		}
		off = next
		line++
	}
	if len(data) > cur.start || len(docs) == 0 {
		cur.end = len(data)
		docs = append(docs, cur)
	}
	return docs
}

func isMarker(line []byte, marker string) bool {
	if !bytes.HasPrefix(line, []byte(marker)) {
		return false
	}
	return len(line) == len(marker) || strings.IndexByte(" \t\r\n", line[len(marker)]) >= 0
}

func (r *reader) errorf(pos Position, format string, args ...any) {
	r.diags.add(pos, format, args...)
}

// tokPos converts a YAML token position to a file position.
func (r *reader) tokPos(tk *token.Token) Position {
	if tk == nil || tk.Position == nil {
		return r.posAt(0)
	}
	line := tk.Position.Line + r.lineBase
	col := tk.Position.Column
	if col < 1 {
		col = 1
	}
	if line < 1 {
		line = 1
	}
	return Position{File: r.file, Line: line, Col: col}
}

// pos returns where node n starts.
func (r *reader) pos(n yast.Node) Position {
	switch n := n.(type) {
	case nil:
		return r.posAt(0)
	case *yast.MappingNode:
		if len(n.Values) > 0 && n.Values[0] != nil && n.Values[0].Key != nil {
			return r.pos(n.Values[0].Key)
		}
		return r.tokPos(n.Start)
	case *yast.MappingValueNode:
		if n.Key != nil {
			return r.pos(n.Key)
		}
	case *yast.SequenceNode:
		return r.tokPos(n.Start)
	case *yast.LiteralNode:
		if off := r.blockStart(n); off >= 0 {
			return r.posAt(off)
		}
		return r.tokPos(n.Start)
	case *yast.AnchorNode:
		return r.tokPos(n.Start)
	case *yast.AliasNode:
		return r.tokPos(n.Start)
	case *yast.TagNode:
		return r.tokPos(n.Start)
	}
	return r.tokPos(n.GetToken())
}

// blockStart returns the byte offset of the first content character of a
// block scalar ("|" or ">"), or -1 when it has no content.
func (r *reader) blockStart(n *yast.LiteralNode) int {
	if n.Start == nil || n.Start.Position == nil {
		return -1
	}
	line := n.Start.Position.Line + r.lineBase
	if line < 1 || line >= len(r.lineStarts) {
		return -1
	}
	for off := r.lineStarts[line]; off < len(r.data); off++ {
		switch r.data[off] {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return off
	}
	return -1
}

// srcMap maps each byte of text, the decoded value of scalar node n, to
// its place in the file. It walks the decoded text and the raw source side
// by side, skipping what YAML removed (indentation, line breaks, quotes,
// escape characters).
func (r *reader) srcMap(n yast.Node, text string) []Position {
	start := -1
	switch n := n.(type) {
	case *yast.LiteralNode:
		start = r.blockStart(n)
	case *yast.StringNode:
		if tk := n.Token; tk != nil && tk.Position != nil {
			start = r.offsetOf(tk.Position.Line+r.lineBase, tk.Position.Column)
			if start >= 0 && (tk.Type == token.SingleQuoteType || tk.Type == token.DoubleQuoteType) {
				start++
			}
		}
	}
	m := make([]Position, len(text)+1)
	if start < 0 {
		p := r.pos(n)
		for i := range m {
			m[i] = p
		}
		return m
	}
	j := start
	last := r.posAt(start)
	for i := 0; i < len(text); i++ {
		c := text[i]
		for j < len(r.data) && r.data[j] != c && skippable(r.data[j]) {
			j++
		}
		if j >= len(r.data) {
			m[i] = last
			continue
		}
		last = r.posAt(j)
		m[i] = last
		if r.data[j] == c || !isSpace(c) {
			j++
		}
	}
	end := last
	if len(text) > 0 && text[len(text)-1] != '\n' {
		end.Col++
	}
	m[len(text)] = end
	return m
}

func skippable(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '\\', '"', '\'':
		return true
	}
	return false
}

func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

func (r *reader) readDocument(d document) {
	r.lineBase = d.lineBase
	f, err := parseYAML(r.data[d.start:d.end])
	if err != nil {
		r.yamlError(err, d)
		return
	}
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		r.anchors = map[string]yast.Node{}
		if !r.collectAnchors(doc.Body, 0) {
			continue
		}
		body := r.deref(doc.Body)
		switch body := body.(type) {
		case nil, *yast.NullNode:
			continue
		case *yast.SequenceNode:
			for _, v := range body.Values {
				r.readItem(v)
			}
		case *yast.MappingNode:
			r.errorf(r.pos(body), "rules content must be a list of items, not a map")
		default:
			r.errorf(r.pos(body), "rules content must be a list of items, not a scalar")
		}
	}
}

// parseYAML runs the YAML parser within the limits of a rules file.
func parseYAML(data []byte) (*yast.File, error) {
	return yamlguard.Parse(data, yamlguard.Rules, yparser.AllowDuplicateMapKey())
}

func (r *reader) yamlError(err error, d document) {
	type tokenError interface {
		GetToken() *token.Token
		GetMessage() string
	}
	pos := r.posAt(d.start)
	msg := err.Error()
	if le, ok := err.(*yamlguard.Error); ok {
		if le.Line > 0 {
			pos = Position{File: r.file, Line: le.Line + r.lineBase, Col: le.Col}
		}
		r.errorf(pos, "%s", le.Msg)
		return
	}
	if te, ok := err.(tokenError); ok {
		if tk := te.GetToken(); tk != nil && tk.Position != nil {
			pos = r.tokPos(tk)
		}
		msg = te.GetMessage()
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	r.errorf(pos, "invalid YAML: %s", msg)
}

// collectAnchors records the anchors of a document in document order. It
// reports aliases to anchors not defined before them and returns false if
// there were any.
func (r *reader) collectAnchors(n yast.Node, depth int) bool {
	if n == nil || depth > 256 {
		return true
	}
	ok := true
	switch n := n.(type) {
	case *yast.AnchorNode:
		ok = r.collectAnchors(n.Value, depth+1)
		if n.Name != nil {
			if tk := n.Name.GetToken(); tk != nil {
				r.anchors[tk.Value] = n.Value
			}
		}
	case *yast.AliasNode:
		name := aliasName(n)
		if _, known := r.anchors[name]; !known {
			r.errorf(r.pos(n), "unknown YAML alias '*%s'", name)
			return false
		}
	case *yast.TagNode:
		ok = r.collectAnchors(n.Value, depth+1)
	case *yast.SequenceNode:
		for _, v := range n.Values {
			ok = r.collectAnchors(v, depth+1) && ok
		}
	case *yast.MappingNode:
		for _, mv := range n.Values {
			ok = r.collectAnchors(mv, depth+1) && ok
		}
	case *yast.MappingValueNode:
		ok = r.collectAnchors(n.Key, depth+1)
		ok = r.collectAnchors(n.Value, depth+1) && ok
	case *yast.MappingKeyNode:
		ok = r.collectAnchors(n.Value, depth+1)
	}
	return ok
}

func aliasName(n *yast.AliasNode) string {
	if n.Value != nil {
		if tk := n.Value.GetToken(); tk != nil {
			return tk.Value
		}
	}
	return ""
}

// deref follows anchors, aliases and tags to the node that holds the
// value.
func (r *reader) deref(n yast.Node) yast.Node {
	for range 16 {
		switch x := n.(type) {
		case *yast.AnchorNode:
			n = x.Value
		case *yast.TagNode:
			n = x.Value
		case *yast.MappingKeyNode:
			n = x.Value
		case *yast.AliasNode:
			n = r.anchors[aliasName(x)]
		default:
			return n
		}
	}
	return n
}

// scalar returns the string form of a scalar node, as a YAML library that
// keeps scalars as text would: numbers and booleans as written.
func scalar(n yast.Node) (string, bool) {
	switch n := n.(type) {
	case *yast.StringNode:
		return n.Value, true
	case *yast.LiteralNode:
		if n.Value == nil {
			return "", true
		}
		return n.Value.Value, true
	case *yast.IntegerNode, *yast.FloatNode, *yast.BoolNode, *yast.InfinityNode, *yast.NanNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

func isNull(n yast.Node) bool {
	_, ok := n.(*yast.NullNode)
	return n == nil || ok
}

// itemReader decodes the map of one item.
type itemReader struct {
	r     *reader
	it    *Item
	vals  map[string]yast.Node
	order []string // keys in file order
}

func (c *itemReader) errorf(pos Position, format string, args ...any) {
	c.r.errorf(pos, format, args...)
	c.it.Invalid = true
}

func (c *itemReader) warnf(pos Position, format string, args ...any) {
	c.it.Warnings.add(pos, format, args...)
}

func (r *reader) readItem(n yast.Node) {
	n = r.deref(n)
	if isNull(n) {
		return
	}
	m, ok := n.(*yast.MappingNode)
	if !ok {
		r.errorf(r.pos(n), "rules file item must be a map")
		return
	}
	it := Item{Pos: r.pos(m), Keys: map[string]Position{}}
	c := &itemReader{r: r, it: &it, vals: map[string]yast.Node{}}
	for _, mv := range m.Values {
		if mv == nil {
			continue
		}
		kp := r.pos(mv.Key)
		key, ok := scalar(r.deref(mv.Key))
		if !ok {
			if _, merge := mv.Key.(*yast.MergeKeyNode); merge {
				key = "<<"
			} else {
				c.warnf(kp, "ignoring a key that is not a string")
				continue
			}
		}
		if _, dup := it.Keys[key]; dup {
			c.warnf(kp, "duplicate key '%s'; the first one is used", key)
			continue
		}
		it.Keys[key] = kp
		c.vals[key] = mv.Value
		c.order = append(c.order, key)
	}
	var known map[string]bool
	switch {
	case it.Has("required_engine_version"):
		it.Kind = ItemEngineVersion
		known = keySet("required_engine_version")
		c.engineVersion()
	case it.Has("required_plugin_versions"):
		it.Kind = ItemPluginVersions
		known = keySet("required_plugin_versions")
		c.pluginVersions()
	case it.Has("list"):
		it.Kind = ItemList
		known = listKeys
		c.list()
	case it.Has("macro"):
		it.Kind = ItemMacro
		known = macroKeys
		c.macro()
	case it.Has("rule"):
		it.Kind = ItemRule
		known = ruleKeys
		c.rule()
	default:
		c.warnf(it.Pos, "Unknown top level item")
	}
	if known != nil {
		for _, k := range c.order {
			if !known[k] {
				if it.Name != "" {
					c.warnf(it.Keys[k], "unknown key '%s' in %s '%s'", k, it.Kind, it.Name)
				} else {
					c.warnf(it.Keys[k], "unknown key '%s' in %s item", k, it.Kind)
				}
			}
		}
	}
	r.items = append(r.items, it)
}

// node returns the value node of key, or nil when the key is absent.
func (c *itemReader) node(key string) (yast.Node, bool) {
	n, ok := c.vals[key]
	if !ok {
		return nil, false
	}
	return c.r.deref(n), true
}

// valuePos returns the position of value n of key, or that of the key
// when the value is empty.
func (c *itemReader) valuePos(key string, n yast.Node) Position {
	if !isNull(n) {
		return c.r.pos(n)
	}
	if p, ok := c.it.Keys[key]; ok {
		return p
	}
	return c.it.Pos
}

// str decodes a non-empty string value. withSrc keeps the source map
// needed for conditions.
func (c *itemReader) str(key string, required, withSrc bool) (Value, bool) {
	n, ok := c.node(key)
	if !ok {
		if required {
			c.errorf(c.it.Pos, "%s '%s' has no '%s'", c.it.Kind, c.it.Name, key)
		}
		return Value{}, false
	}
	return c.strNode(key, n, withSrc)
}

func (c *itemReader) strNode(key string, n yast.Node, withSrc bool) (Value, bool) {
	if isNull(n) {
		c.errorf(c.it.Keys[key], "value of '%s' is empty", key)
		return Value{}, false
	}
	s, ok := scalar(n)
	if !ok {
		c.errorf(c.r.pos(n), "value of '%s' must be a string", key)
		return Value{}, false
	}
	if s == "" {
		c.errorf(c.r.pos(n), "value of '%s' must not be empty", key)
		return Value{}, false
	}
	if withSrc && len(s) > MaxConditionBytes {
		c.errorf(c.r.pos(n), "value of '%s' is %d bytes, more than the limit of %d", key, len(s), MaxConditionBytes)
		return Value{}, false
	}
	v := Value{Text: s, Pos: c.r.pos(n)}
	if withSrc {
		v.src = c.r.srcMap(n, s)
	}
	return v, true
}

// boolean decodes a boolean value, accepting the spellings a YAML 1.1
// library accepts.
func (c *itemReader) boolean(key string) (bool, bool) {
	n, ok := c.node(key)
	if !ok {
		return false, false
	}
	if b, ok := n.(*yast.BoolNode); ok {
		return b.Value, true
	}
	if s, ok := scalar(n); ok {
		switch s {
		case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y":
			return true, true
		case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N":
			return false, true
		}
	}
	c.errorf(c.valuePos(key, n), "value of '%s' must be a boolean", key)
	return false, false
}

// integer decodes a non-negative integer value.
func (c *itemReader) integer(key string) (int, bool) {
	n, ok := c.node(key)
	if !ok {
		return 0, false
	}
	if s, ok := scalar(n); ok {
		if v, err := strconv.ParseUint(s, 0, 31); err == nil {
			return int(v), true
		}
	}
	c.errorf(c.valuePos(key, n), "value of '%s' must be a non-negative integer", key)
	return 0, false
}

// strList decodes a sequence of scalars.
func (c *itemReader) strList(key string) ([]Value, bool) {
	n, ok := c.node(key)
	if !ok {
		return nil, false
	}
	seq, ok := n.(*yast.SequenceNode)
	if !ok {
		c.errorf(c.valuePos(key, n), "value of '%s' must be a list", key)
		return nil, false
	}
	out := make([]Value, 0, len(seq.Values))
	good := true
	for _, e := range seq.Values {
		e = c.r.deref(e)
		s, ok := scalar(e)
		if !ok {
			c.errorf(c.valuePos(key, e), "items of '%s' must be strings", key)
			good = false
			continue
		}
		out = append(out, Value{Text: s, Pos: c.r.pos(e)})
	}
	return out, good
}

// override decodes the "override" map. appendable and replaceable list
// the keys that allow each operation.
func (c *itemReader) override(appendable, replaceable map[string]bool) {
	n, ok := c.node("override")
	if !ok {
		return
	}
	m, ok := n.(*yast.MappingNode)
	if !ok {
		c.errorf(c.valuePos("override", n), "value of 'override' must be a map")
		return
	}
	c.it.Override = map[string]Override{}
	mentioned := map[string]bool{}
	var listed []string
	for _, mv := range m.Values {
		if mv == nil {
			continue
		}
		kp := c.r.pos(mv.Key)
		key, ok := scalar(c.r.deref(mv.Key))
		if !ok {
			c.errorf(kp, "override keys must be strings")
			continue
		}
		mentioned[key] = true
		vn := c.r.deref(mv.Value)
		op, _ := scalar(vn)
		switch op {
		case "append":
			if !appendable[key] {
				c.errorf(kp, "key '%s' cannot be appended to, use 'replace' instead", key)
				continue
			}
		case "replace":
			if !replaceable[key] {
				c.errorf(kp, "key '%s' cannot be replaced", key)
				continue
			}
		default:
			var allowed []string
			if appendable[key] {
				allowed = append(allowed, "append")
			}
			if replaceable[key] {
				allowed = append(allowed, "replace")
			}
			if len(allowed) == 0 {
				c.errorf(kp, "key '%s' cannot be overridden", key)
			} else {
				p := kp
				if !isNull(vn) {
					p = c.r.pos(vn)
				}
				c.errorf(p, "invalid override operation for key '%s': '%s' (allowed: %s)", key, op, strings.Join(allowed, ", "))
			}
			continue
		}
		if _, dup := c.it.Override[key]; dup {
			c.warnf(kp, "duplicate override for '%s'; the first one is used", key)
			continue
		}
		c.it.Override[key] = Override{Append: op == "append", Pos: kp}
		listed = append(listed, key)
	}
	if len(listed) == 0 {
		// An empty override map (or one with only bad entries, already
		// reported) overrides nothing.
		c.it.Override = nil
		return
	}
	// Every overridden key must be in the item, and every overridable key
	// of the item must be overridden.
	for _, key := range listed {
		if o := c.it.Override[key]; !c.it.Has(key) {
			c.errorf(o.Pos, "an %s override for '%s' was specified but '%s' is not defined", opName(o.Append), key, key)
		}
	}
	for _, key := range c.order {
		if (appendable[key] || replaceable[key]) && !mentioned[key] {
			c.errorf(c.it.Keys[key], "unexpected key '%s': no corresponding entry under 'override' is defined", key)
		}
	}
}

func opName(appendOp bool) string {
	if appendOp {
		return "append"
	}
	return "replace"
}

// legacyAppend decodes "append" and reports its deprecation and its
// conflict with "override".
func (c *itemReader) legacyAppend() {
	if !c.it.Has("append") {
		return
	}
	c.it.Append, _ = c.boolean("append")
	if c.it.Append {
		c.warnf(c.it.Keys["append"], "'append' is deprecated; use 'override' instead")
	}
}

func (c *itemReader) checkAppendOverride() {
	if c.it.Append && c.it.Override != nil {
		c.errorf(c.it.Pos, "'append' and 'override' cannot be used together")
	}
}

func (c *itemReader) name(key string, re *regexp.Regexp) {
	v, ok := c.str(key, true, false)
	if !ok {
		return
	}
	c.it.Name = v.Text
	if re != nil && !re.MatchString(v.Text) {
		c.warnf(v.Pos, "%s name '%s' does not match %s", key, v.Text, re.String())
	}
}

func (c *itemReader) engineVersion() {
	n, _ := c.node("required_engine_version")
	p := c.valuePos("required_engine_version", n)
	s, ok := scalar(n)
	if !ok || s == "" {
		c.errorf(p, "required_engine_version must be an integer or a \"x.y.z\" version")
		return
	}
	var v semver
	if u, err := strconv.ParseUint(s, 10, 32); err == nil {
		v = semver{0, u, 0}
	} else if v, ok = parseSemver(s); !ok {
		c.errorf(p, "cannot parse engine version '%s': expected an integer or a \"x.y.z\" version", s)
		return
	}
	c.it.EngineVersion = v.String()
	engine, _ := parseSemver(EngineVersion)
	if !engine.compatibleWith(v) {
		c.errorf(p, "rules require engine version %s, but engine version is %s", v, EngineVersion)
	}
}

func (c *itemReader) pluginVersions() {
	n, _ := c.node("required_plugin_versions")
	seq, ok := n.(*yast.SequenceNode)
	if !ok {
		c.errorf(c.valuePos("required_plugin_versions", n), "value of 'required_plugin_versions' must be a list")
		return
	}
	for _, e := range seq.Values {
		e = c.r.deref(e)
		req := PluginRequirement{Pos: c.r.pos(e)}
		first, ok := c.pluginVersion(e, pluginKeys)
		if !ok {
			continue
		}
		req.Alternatives = append(req.Alternatives, first)
		if alts, ok := c.mapValue(e, "alternatives"); ok {
			altSeq, ok := alts.(*yast.SequenceNode)
			if !ok {
				c.errorf(c.r.pos(alts), "plugin alternatives must be a list")
				continue
			}
			for _, a := range altSeq.Values {
				if pv, ok := c.pluginVersion(c.r.deref(a), altKeys); ok {
					req.Alternatives = append(req.Alternatives, pv)
				}
			}
		}
		seen := map[string]bool{}
		for _, a := range req.Alternatives {
			if seen[a.Name] {
				c.errorf(req.Pos, "plugin '%s' is listed more than once among alternatives", a.Name)
			}
			seen[a.Name] = true
		}
		c.it.Plugins = append(c.it.Plugins, req)
	}
}

// mapValue returns the value of key in map node n.
func (c *itemReader) mapValue(n yast.Node, key string) (yast.Node, bool) {
	m, ok := n.(*yast.MappingNode)
	if !ok {
		return nil, false
	}
	for _, mv := range m.Values {
		if mv == nil {
			continue
		}
		if k, ok := scalar(c.r.deref(mv.Key)); ok && k == key {
			return c.r.deref(mv.Value), true
		}
	}
	return nil, false
}

// mapKeys warns about keys of map n that are not in known.
func (c *itemReader) mapKeys(n *yast.MappingNode, known map[string]bool, what string) {
	seen := map[string]bool{}
	for _, mv := range n.Values {
		if mv == nil {
			continue
		}
		k, ok := scalar(c.r.deref(mv.Key))
		if !ok || !known[k] {
			c.warnf(c.r.pos(mv.Key), "unknown key '%s' in %s", k, what)
		} else if seen[k] {
			c.warnf(c.r.pos(mv.Key), "duplicate key '%s' in %s; the first one is used", k, what)
		}
		seen[k] = true
	}
}

func (c *itemReader) pluginVersion(n yast.Node, known map[string]bool) (PluginVersion, bool) {
	m, ok := n.(*yast.MappingNode)
	if !ok {
		c.errorf(c.r.pos(n), "plugin version requirement must be a map")
		return PluginVersion{}, false
	}
	c.mapKeys(m, known, "plugin version requirement")
	var pv PluginVersion
	for _, key := range []string{"name", "version"} {
		v, ok := c.mapValue(m, key)
		s, isStr := scalar(v)
		if !ok || !isStr || s == "" {
			c.errorf(c.r.pos(m), "plugin version requirement needs a non-empty '%s'", key)
			return PluginVersion{}, false
		}
		if key == "name" {
			pv.Name = s
		} else {
			pv.Version = s
		}
	}
	if _, ok := parseSemver(pv.Version); !ok {
		c.errorf(c.r.pos(m), "invalid required version '%s' for plugin '%s'", pv.Version, pv.Name)
		return PluginVersion{}, false
	}
	return pv, true
}

func (c *itemReader) list() {
	c.name("list", listNameRe)
	c.legacyAppend()
	c.override(keySet("items"), keySet("items"))
	c.checkAppendOverride()
	if o, ok := c.it.Override["items"]; ok && o.Append {
		c.it.Append = true
	}
	if !c.it.Has("items") {
		if _, ok := c.it.Override["items"]; !ok {
			c.errorf(c.it.Pos, "list '%s' has no 'items'", c.it.Name)
		}
		return
	}
	c.it.Items, _ = c.strList("items")
	if c.it.Items == nil {
		c.it.Items = []Value{}
	}
}

func (c *itemReader) macro() {
	c.name("macro", macroNameRe)
	c.legacyAppend()
	c.override(keySet("condition"), keySet("condition"))
	c.checkAppendOverride()
	if o, ok := c.it.Override["condition"]; ok && o.Append {
		c.it.Append = true
	}
	if !c.it.Has("condition") {
		if _, ok := c.it.Override["condition"]; !ok {
			c.errorf(c.it.Pos, "macro '%s' has no 'condition'", c.it.Name)
		}
		return
	}
	c.it.Condition, _ = c.str("condition", true, true)
}

func (c *itemReader) rule() {
	it := c.it
	c.name("rule", nil)
	it.Enabled = true
	it.WarnEvttypes = true
	it.Source = "syscall"
	c.legacyAppend()
	c.override(ruleAppendable, ruleReplaceable)
	c.checkAppendOverride()
	if it.Has("override") && it.Override == nil && it.Invalid {
		return
	}

	switch {
	case it.Override != nil:
		for _, key := range c.order {
			if o, ok := it.Override[key]; ok {
				c.ruleKey(key, o.Append)
			}
		}
	case it.Append:
		for _, key := range []string{"condition", "exceptions"} {
			if it.Has(key) {
				c.ruleKey(key, true)
			}
		}
		for _, key := range c.order {
			if ruleKeys[key] && key != "rule" && key != "append" && key != "condition" && key != "exceptions" {
				c.warnf(it.Keys[key], "key '%s' is ignored when appending to a rule", key)
			}
		}
	case !it.Has("condition") && !it.Has("output") && !it.Has("desc") && !it.Has("priority"):
		it.EnableOnly = true
		if !it.Has("enabled") {
			c.errorf(it.Pos, "rule '%s' has none of 'condition', 'output', 'desc', 'priority' or 'enabled'", it.Name)
			return
		}
		c.ruleKey("enabled", false)
		c.warnf(it.Pos, "an item with only 'rule' and 'enabled' is deprecated; use 'override: {enabled: replace}' instead")
		for _, key := range c.order {
			if ruleKeys[key] && key != "rule" && key != "enabled" && key != "append" {
				c.warnf(it.Keys[key], "key '%s' is ignored in an item that only sets 'enabled'", key)
			}
		}
	default:
		for _, key := range []string{"condition", "output", "desc", "priority"} {
			if !it.Has(key) {
				c.errorf(it.Pos, "rule '%s' has no '%s'", it.Name, key)
			}
		}
		for _, key := range []string{"condition", "output", "desc", "priority", "source", "enabled", "tags",
			"exceptions", "capture", "capture_duration", "warn_evttypes", "skip-if-unknown-filter"} {
			if it.Has(key) {
				c.ruleKey(key, false)
			}
		}
		it.Output.Text = strings.TrimSpace(it.Output.Text)
	}
}

// ruleKey decodes one key of a rule item.
func (c *itemReader) ruleKey(key string, appending bool) {
	it := c.it
	switch key {
	case "condition":
		it.Condition, _ = c.str(key, true, true)
	case "output":
		it.Output, _ = c.str(key, true, false)
	case "desc":
		it.Desc, _ = c.str(key, true, false)
	case "priority":
		v, ok := c.str(key, true, false)
		if !ok {
			return
		}
		it.PriorityPos = v.Pos
		p, err := ruleset.ParsePriority(v.Text)
		if err != nil {
			c.errorf(v.Pos, "invalid priority '%s'", v.Text)
			return
		}
		it.Priority = p
	case "source":
		if v, ok := c.str(key, true, false); ok {
			it.Source = v.Text
		}
	case "enabled":
		if b, ok := c.boolean(key); ok {
			it.Enabled = b
		}
	case "warn_evttypes":
		if b, ok := c.boolean(key); ok {
			it.WarnEvttypes = b
		}
	case "skip-if-unknown-filter":
		if b, ok := c.boolean(key); ok {
			it.SkipIfUnknownFilter = b
		}
	case "capture":
		if b, ok := c.boolean(key); ok {
			it.Capture = b
		}
	case "capture_duration":
		if d, ok := c.integer(key); ok {
			it.CaptureDuration = d
		}
	case "tags":
		vals, _ := c.strList(key)
		it.Tags = []string{}
		seen := map[string]bool{}
		for _, v := range vals {
			if !seen[v.Text] {
				seen[v.Text] = true
				it.Tags = append(it.Tags, v.Text)
			}
		}
	case "exceptions":
		c.exceptions(appending)
	}
}

func (c *itemReader) exceptions(appending bool) {
	n, _ := c.node("exceptions")
	if isNull(n) {
		return
	}
	seq, ok := n.(*yast.SequenceNode)
	if !ok {
		c.errorf(c.r.pos(n), "value of 'exceptions' must be a list")
		return
	}
	names := map[string]bool{}
	for _, e := range seq.Values {
		e = c.r.deref(e)
		m, ok := e.(*yast.MappingNode)
		if !ok {
			c.errorf(c.valuePos("exceptions", e), "rule exception must be a map")
			continue
		}
		ex := Exception{Pos: c.r.pos(m)}
		c.mapKeys(m, exceptionKeys, "exception")
		nameNode, _ := c.mapValue(m, "name")
		name, ok := scalar(nameNode)
		if !ok || name == "" {
			c.errorf(ex.Pos, "rule exception must have a non-empty 'name'")
			continue
		}
		ex.Name = name
		if names[name] {
			c.warnf(ex.Pos, "exception name '%s' is used more than once in rule '%s'", name, c.it.Name)
		}
		names[name] = true
		good := true
		if f, ok := c.mapValue(m, "fields"); ok {
			ex.Fields, ok = c.exceptionEntry(f, "fields", 1)
			ex.HasFields = true
			good = good && ok
		}
		if f, ok := c.mapValue(m, "comps"); ok {
			ex.Comps, ok = c.exceptionEntry(f, "comps", 1)
			ex.HasComps = true
			good = good && ok
		}
		if v, ok := c.mapValue(m, "values"); ok {
			ex.HasValues = true
			if vseq, ok := v.(*yast.SequenceNode); ok {
				for _, row := range vseq.Values {
					ev, ok := c.exceptionEntry(c.r.deref(row), "values", 2)
					good = good && ok
					ex.Values = append(ex.Values, ev)
				}
			} else if !isNull(v) {
				c.errorf(c.r.pos(v), "exception values must be a list")
				good = false
			}
		} else if appending {
			c.warnf(ex.Pos, "overriding/appending exception '%s' with no values", name)
		}
		if good {
			c.it.Exceptions = append(c.it.Exceptions, ex)
		}
	}
	if c.it.Exceptions == nil {
		c.it.Exceptions = []Exception{}
	}
}

// exceptionEntry decodes a scalar or a list, lists nested at most depth
// levels.
func (c *itemReader) exceptionEntry(n yast.Node, what string, depth int) (ExceptionValue, bool) {
	if s, ok := scalar(n); ok {
		if s == "" && what != "values" {
			c.errorf(c.r.pos(n), "exception %s must not be empty", what)
			return ExceptionValue{}, false
		}
		return ExceptionValue{Value: Value{Text: s, Pos: c.r.pos(n)}}, true
	}
	seq, ok := n.(*yast.SequenceNode)
	if !ok || depth == 0 {
		c.errorf(c.r.pos(n), "exception %s must be strings or lists of strings", what)
		return ExceptionValue{}, false
	}
	ev := ExceptionValue{Value: Value{Pos: c.r.pos(n)}, IsList: true, Items: []ExceptionValue{}}
	good := true
	for _, e := range seq.Values {
		item, ok := c.exceptionEntry(c.r.deref(e), what, depth-1)
		good = good && ok
		ev.Items = append(ev.Items, item)
	}
	return ev, good
}

// semver is a "x.y.z" version.
type semver [3]uint64

func parseSemver(s string) (semver, bool) {
	var v semver
	core := s
	if i := strings.IndexAny(core, "-+"); i >= 0 {
		core = core[:i]
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil || p == "" || p[0] == '+' {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

func (v semver) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

// compatibleWith reports whether an engine of version v can load rules
// that require version req: same major version, and not older.
func (v semver) compatibleWith(req semver) bool {
	if v[0] != req[0] {
		return false
	}
	if v[1] != req[1] {
		return v[1] > req[1]
	}
	return v[2] >= req[2]
}
