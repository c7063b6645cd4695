package parser

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lannersec/lanner/lang/ast"
)

// Error is a syntax error at a position of the condition text.
type Error struct {
	Pos ast.Pos
	Msg string
}

// Error returns "line:col: message".
func (e *Error) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
}

// maxDepth bounds the nesting of groups, "not" and transformer calls.
const maxDepth = 1000

// scanner holds the text being read and the read offset. Syntax errors
// unwind the parse as a panic carrying *Error, which the entry points turn
// back into a returned error.
type scanner struct {
	src   string
	off   int
	lines []int // offsets at which lines start
	depth int
}

func newScanner(src string) *scanner {
	s := &scanner{src: src, lines: []int{0}}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	return s
}

// pos returns the position of byte offset off.
func (s *scanner) pos(off int) ast.Pos {
	n := sort.Search(len(s.lines), func(i int) bool { return s.lines[i] > off })
	return ast.Pos{Offset: off, Line: n, Col: off - s.lines[n-1] + 1}
}

// errorf returns a syntax error at offset off. The parse functions raise it
// with panic; the entry points recover it with catch.
func (s *scanner) errorf(off int, format string, args ...any) *Error {
	return &Error{Pos: s.pos(off), Msg: fmt.Sprintf(format, args...)}
}

// catch turns a syntax error raised by the parse functions into *errp.
func catch(errp *error) {
	if r := recover(); r != nil {
		e, ok := r.(*Error)
		if !ok {
			panic(r)
		}
		*errp = e
	}
}

// lineCol returns "line:col" of offset off.
func (s *scanner) lineCol(off int) string {
	p := s.pos(off)
	return fmt.Sprintf("%d:%d", p.Line, p.Col)
}

func (s *scanner) enter(off int) {
	s.depth++
	if s.depth > maxDepth {
		panic(s.errorf(off, "expression nested more than %d levels deep", maxDepth))
	}
}

func (s *scanner) leave() { s.depth-- }

func (s *scanner) eof() bool { return s.off >= len(s.src) }

// peek returns the byte at the read offset, or 0 at the end.
func (s *scanner) peek() byte {
	if s.off < len(s.src) {
		return s.src[s.off]
	}
	return 0
}

func (s *scanner) at(off int) byte {
	if off < len(s.src) {
		return s.src[off]
	}
	return 0
}

func (s *scanner) has(prefix string) bool { return strings.HasPrefix(s.src[s.off:], prefix) }

// skipBlank skips blanks and reports whether there were any.
func (s *scanner) skipBlank() bool {
	start := s.off
	for s.off < len(s.src) && isBlank(s.src[s.off]) {
		s.off++
	}
	return s.off > start
}

// found describes what is at off, for error messages.
func (s *scanner) found(off int) string {
	if off >= len(s.src) {
		return "the end of the text"
	}
	end := off
	for end < len(s.src) && end-off < 20 && !isSpace(s.src[end]) {
		end++
	}
	if end == off {
		end = off + 1
	}
	return fmt.Sprintf("%q", s.src[off:end])
}

// isBlank reports whether c separates tokens.
func isBlank(c byte) bool {
	switch c {
	case ' ', '\t', '\b', '\r', '\n':
		return true
	}
	return false
}

// isSpace reports whether c is in the POSIX space class, which ends bare
// strings and may follow "not".
func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

func isBareValueByte(c byte) bool {
	switch c {
	case '(', ')', '"', '\'', '=', ',':
		return false
	}
	return !isSpace(c)
}

func isBareArgByte(c byte) bool {
	switch c {
	case '[', ']', '"', '\'':
		return false
	}
	return !isSpace(c)
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isWordByte(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' }

// identEnd returns the end of the identifier starting at off, or off if
// there is none.
func (s *scanner) identEnd(off int) int {
	if !isLetter(s.at(off)) {
		return off
	}
	off++
	for off < len(s.src) && isWordByte(s.src[off]) {
		off++
	}
	return off
}

// nameEnd returns the end of the longest run of dot-separated identifiers
// starting at off, and whether it contains a dot.
func (s *scanner) nameEnd(off int) (end int, dotted bool) {
	end = s.identEnd(off)
	if end == off {
		return off, false
	}
	for s.at(end) == '.' && isLetter(s.at(end+1)) {
		end = s.identEnd(end + 1)
		dotted = true
	}
	return end, dotted
}

// numberEnd returns the end of the NUMBER token starting at off, or off if
// there is none.
func (s *scanner) numberEnd(off int) int {
	if s.at(off) == '0' && (s.at(off+1) == 'x' || s.at(off+1) == 'X') && isHexDigit(s.at(off+2)) {
		end := off + 2
		for isHexDigit(s.at(end)) {
			end++
		}
		return end
	}
	i := off
	if c := s.at(i); c == '+' || c == '-' {
		i++
	}
	if !isDigit(s.at(i)) {
		return off
	}
	for isDigit(s.at(i)) {
		i++
	}
	if s.at(i) == '.' {
		i++
	}
	for isDigit(s.at(i)) {
		i++
	}
	if c := s.at(i); c == 'e' || c == 'E' {
		if c := s.at(i + 1); (c == '+' || c == '-') && isDigit(s.at(i+2)) {
			i += 2
			for isDigit(s.at(i)) {
				i++
			}
		}
	}
	return i
}

// quotedEnd returns the offset just past the quoted string starting at off,
// or -1 if it is not terminated. The string ends at the first delimiter not
// directly preceded by a backslash.
func (s *scanner) quotedEnd(off int) int {
	delim := s.src[off]
	for i := off + 1; i < len(s.src); i++ {
		if s.src[i] == delim && s.src[i-1] != '\\' {
			return i + 1
		}
	}
	return -1
}

// quoted reads the quoted string at the read offset and returns its
// unescaped text.
func (s *scanner) quoted() string {
	start := s.off
	end := s.quotedEnd(start)
	if end < 0 {
		panic(s.errorf(start, "unterminated quoted string"))
	}
	text, bad, msg := unescape(s.src[start+1:end-1], s.src[start])
	if msg != "" {
		panic(s.errorf(start+1+bad, "%s", msg))
	}
	s.off = end
	return text
}

// unescape decodes the body of a string quoted with delim. On failure it
// returns the offset of the bad escape and a message.
func unescape(body string, delim byte) (string, int, string) {
	if strings.IndexByte(body, '\\') < 0 {
		return body, 0, ""
	}
	var b strings.Builder
	b.Grow(len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 == len(body) {
			return "", i, "unfinished escape sequence"
		}
		switch e := body[i+1]; e {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '\\', ' ':
			b.WriteByte('\\')
		case '/':
			b.WriteByte('/')
		case '"', '\'':
			if e != delim {
				return "", i, fmt.Sprintf("escape \\%c is not allowed in a %c-quoted string", e, delim)
			}
			b.WriteByte(e)
		case 'x':
			if i+3 >= len(body) || !isHexDigit(body[i+2]) || !isHexDigit(body[i+3]) {
				return "", i, "escape \\x needs two hex digits"
			}
			b.WriteByte(hexVal(body[i+2])<<4 | hexVal(body[i+3]))
			i += 2
		default:
			return "", i, fmt.Sprintf("unsupported escape sequence %q", body[i:i+2])
		}
		i++
	}
	return b.String(), 0, ""
}

func hexVal(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// fieldArg reads a bracket argument after its '[' has been consumed,
// including the closing ']'.
func (s *scanner) fieldArg(open int) string {
	var arg string
	switch c := s.peek(); {
	case c == '"' || c == '\'':
		arg = s.quoted()
	case !s.eof() && isBareArgByte(c):
		start := s.off
		for !s.eof() && isBareArgByte(s.peek()) {
			s.off++
		}
		arg = s.src[start:s.off]
	default:
		panic(s.errorf(s.off, "expected a field argument after '[', found %s", s.found(s.off)))
	}
	if s.eof() || s.peek() != ']' {
		panic(s.errorf(s.off, "expected ']' to close the '[' at %s, found %s", s.lineCol(open), s.found(s.off)))
	}
	s.off++
	return arg
}
