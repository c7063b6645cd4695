package parser

import (
	"strconv"
	"strings"

	"github.com/lannersec/lanner/lang/ast"
)

// Format is a parsed rule output format.
type Format struct {
	NAForMissing bool // format started with '*'
	Tokens       []FormatToken
}

// FormatToken is one piece of a format: literal text, a field or a
// transformer.
type FormatToken struct {
	Literal     string               // set for literal text (then Field == nil)
	Field       *ast.FieldExpr       // a field token: name, optional [arg]
	Transformer *ast.TransformerExpr // a transformer token such as %tolower(proc.name) (then Field == nil)
	Width       int                  // fixed column width from %NNfield, 0 if none
	Pos         ast.Pos              // start of the literal text, or the '%' of the token
}

// ParseFormat parses a rule output format (LANGUAGE.md section 8). isField
// reports whether a name (without bracket argument) is a known field; it is used
// for the greedy lookup that retries with one character fewer. A nil isField
// accepts every name.
func ParseFormat(format string, isField func(name string) bool) (f *Format, err error) {
	p := &parser{newScanner(format)}
	defer catch(&err)
	f = &Format{}
	if strings.HasPrefix(format, "*") {
		f.NAForMissing = true
		p.off = 1
	}
	for !p.eof() {
		i := strings.IndexByte(p.src[p.off:], '%')
		if i != 0 {
			end := len(p.src)
			if i > 0 {
				end = p.off + i
			}
			f.addLiteral(p.src[p.off:end], p.pos(p.off))
			p.off = end
			continue
		}
		f.Tokens = append(f.Tokens, p.formatToken(isField))
	}
	return f, nil
}

// addLiteral appends literal text, merging it into a preceding literal.
func (f *Format) addLiteral(text string, pos ast.Pos) {
	if n := len(f.Tokens); n > 0 && f.Tokens[n-1].Field == nil && f.Tokens[n-1].Transformer == nil {
		f.Tokens[n-1].Literal += text
		return
	}
	f.Tokens = append(f.Tokens, FormatToken{Literal: text, Pos: pos})
}

// formatToken reads a %-token at the read offset.
func (p *parser) formatToken(isField func(string) bool) FormatToken {
	pct := p.off
	tok := FormatToken{Pos: p.pos(pct)}
	p.off++
	if p.eof() {
		panic(p.errorf(pct, "a format cannot end with '%%'"))
	}
	if digits := p.off; isDigit(p.peek()) {
		for !p.eof() && isDigit(p.peek()) {
			p.off++
		}
		w, err := strconv.Atoi(p.src[digits:p.off])
		if err != nil || w > 1<<16 {
			panic(p.errorf(digits, "column width %s is too large", p.src[digits:p.off]))
		}
		tok.Width = w
	}
	start := p.off
	if end := p.identEnd(start); end > start {
		if _, ok := transformers[p.src[start:end]]; ok && p.at(end) == '(' {
			tok.Transformer = p.transformer(start, end)
			return tok
		}
	}
	end := start
	for end < len(p.src) && (isWordByte(p.src[end]) || p.src[end] == '.') {
		end++
	}
	if end == start {
		panic(p.errorf(pct, "expected a field name after '%s', found %s", p.src[pct:start], p.found(start)))
	}
	full := end
	for end > start && isField != nil && !isField(p.src[start:end]) {
		end--
	}
	if end == start {
		panic(p.errorf(start, "unknown field %q in format", p.src[start:full]))
	}
	p.off = end
	field := &ast.FieldExpr{Name: p.src[start:end], Pos: p.pos(start)}
	if end == full && p.at(end) == '[' && end < len(p.src) {
		if arg, next, ok := p.tryFieldArg(end); ok {
			field.Arg, field.HasArg = arg, true
			p.off = next
		}
	}
	tok.Field = field
	return tok
}

// tryFieldArg reads a bracket argument whose '[' is at open, returning the
// argument and the offset after ']'. It reports false, without moving the
// read offset, when the bracket does not hold a well-formed argument.
func (p *parser) tryFieldArg(open int) (arg string, next int, ok bool) {
	saved := p.off
	defer func() {
		if r := recover(); r != nil {
			if _, isErr := r.(*Error); !isErr {
				panic(r)
			}
			ok = false
		}
		p.off = saved
	}()
	p.off = open + 1
	arg = p.fieldArg(open)
	return arg, p.off, true
}
