package parser

import (
	"strings"

	"github.com/lannersec/lanner/lang/ast"
)

// transformers maps each transformer name to whether it takes exactly one
// field or transformer (true) or a general argument list (false).
var transformers = map[string]bool{
	"tolower":  true,
	"toupper":  true,
	"b64":      true,
	"basename": true,
	"len":      true,
	"join":     false,
	"concat":   false,
	"getopt":   false,
}

var (
	numOps    = []string{"<=", "<", ">=", ">"}
	symbolOps = []string{"==", "=", "!="}
	wordOps   = []string{"contains", "icontains", "bcontains", "startswith", "bstartswith", "endswith", "glob", "iglob", "regex"}
	listOps   = []string{"intersects", "in", "pmatch"}
	modifiers = []string{"oneof", "anyof", "allof"}
	keywords  = map[string]bool{"and": true, "or": true, "not": true}
)

type parser struct {
	*scanner
}

// Parse parses a condition into an expression tree. Identifiers without a dot
// are macro references (*ast.Ident). On failure it returns *Error.
func Parse(cond string) (expr ast.Expr, err error) {
	p := &parser{newScanner(cond)}
	defer catch(&err)
	if strings.TrimLeft(cond, " \t\b\r\n") == "" {
		return nil, p.errorf(len(cond), "empty condition")
	}
	e := p.parseOr()
	p.skipBlank()
	if !p.eof() {
		p.andAfterOrGroup()
		panic(p.errorf(p.off, "unexpected %s, expected 'and', 'or' or the end of the condition", p.found(p.off)))
	}
	return e, nil
}

// andAfterOrGroup reports the one way an "and" can be left over: after a
// group written as "or(...)", which is a complete operand of the "or".
func (p *parser) andAfterOrGroup() {
	if p.has("and") {
		panic(p.errorf(p.off, "unexpected 'and' after an operand written as 'or(...)'; put a blank after 'or' or group the 'and' in parentheses"))
	}
}

func (p *parser) parseOr() ast.Expr {
	p.skipBlank()
	start := p.off
	children := []ast.Expr{p.parseAnd()}
	for {
		p.skipBlank()
		if !p.has("or") {
			break
		}
		children = append(children, p.operandAfter("or", p.parseAnd))
	}
	if len(children) == 1 {
		return children[0]
	}
	return &ast.Or{Children: children, Pos: p.pos(start)}
}

func (p *parser) parseAnd() ast.Expr {
	p.skipBlank()
	start := p.off
	children := []ast.Expr{p.parseNot()}
	for {
		p.skipBlank()
		if !p.has("and") {
			break
		}
		children = append(children, p.operandAfter("and", p.parseNot))
	}
	if len(children) == 1 {
		return children[0]
	}
	return &ast.And{Children: children, Pos: p.pos(start)}
}

// operandAfter reads the operand following the keyword at the read offset:
// a blank and then next, or a parenthesised group written right after the
// keyword.
func (p *parser) operandAfter(keyword string, next func() ast.Expr) ast.Expr {
	kw := p.off
	p.off += len(keyword)
	if p.skipBlank() {
		return next()
	}
	if !p.eof() && p.peek() == '(' {
		p.off++
		return p.group(p.off - 1)
	}
	panic(p.errorf(kw, "expected a blank or '(' after '%s', found %s", keyword, p.found(kw)))
}

// group reads the rest of a parenthesised expression whose '(' is at open
// and has been consumed.
func (p *parser) group(open int) ast.Expr {
	p.enter(open)
	e := p.parseOr()
	p.skipBlank()
	if p.eof() || p.peek() != ')' {
		p.andAfterOrGroup()
		panic(p.errorf(p.off, "expected ')' to close the '(' at %s, found %s", p.lineCol(open), p.found(p.off)))
	}
	p.off++
	p.leave()
	return e
}

func (p *parser) parseNot() ast.Expr {
	p.skipBlank()
	var nots []int
	for p.has("not") && isSpace(p.at(p.off+3)) {
		p.enter(p.off)
		nots = append(nots, p.off)
		p.off += 3
		for !p.eof() && isSpace(p.peek()) {
			p.off++
		}
	}
	var e ast.Expr
	if p.has("not(") {
		start := p.off
		p.enter(start)
		p.off += 4
		e = &ast.Not{Child: p.group(start + 3), Pos: p.pos(start)}
		p.leave()
	} else {
		e = p.parseCheck()
	}
	for i := len(nots) - 1; i >= 0; i-- {
		e = &ast.Not{Child: e, Pos: p.pos(nots[i])}
		p.leave()
	}
	return e
}

func (p *parser) parseCheck() ast.Expr {
	p.skipBlank()
	start := p.off
	if !p.eof() && p.peek() == '(' {
		p.off++
		return p.group(start)
	}
	end, dotted := p.nameEnd(start)
	if end == start {
		panic(p.errorf(start, "expected a condition: '(', 'not', a field check or a macro name, found %s", p.found(start)))
	}
	name := p.src[start:end]
	var left ast.Operand
	switch _, isTransformer := transformers[name]; {
	case dotted:
		p.off = end
		left = p.field(start)
	case isTransformer && p.at(end) == '(':
		left = p.transformer(start, end)
	case keywords[name]:
		panic(p.errorf(start, "expected a condition, found the keyword '%s'", name))
	default:
		p.off = end
		return &ast.Ident{Name: name, Pos: p.pos(start)}
	}
	return p.condition(start, left)
}

// field reads a field whose name starts at start and ends at the read
// offset, with its optional bracket argument.
func (p *parser) field(start int) *ast.FieldExpr {
	f := &ast.FieldExpr{Name: p.src[start:p.off], Pos: p.pos(start)}
	if !p.eof() && p.peek() == '[' {
		p.off++
		f.Arg = p.fieldArg(p.off - 1)
		f.HasArg = true
	}
	return f
}

// condition reads the operator and right side of a check whose operand
// left starts at start.
func (p *parser) condition(start int, left ast.Operand) ast.Expr {
	pos := p.pos(start)
	leftEnd := p.off
	p.skipBlank()
	if p.has("exists") {
		p.off += len("exists")
		return &ast.UnaryCheck{Left: left, Op: "exists", Pos: pos}
	}
	for _, op := range numOps {
		if p.has(op) {
			p.off += len(op)
			return &ast.BinaryCheck{Left: left, Op: op, Right: p.numValue(op), Pos: pos}
		}
	}
	for _, op := range symbolOps {
		if p.has(op) {
			p.off += len(op)
			return p.stringCheck(pos, left, op)
		}
	}
	for _, op := range wordOps {
		if p.has(op) && isBlank(p.at(p.off+len(op))) {
			p.off += len(op)
			return p.stringCheck(pos, left, op)
		}
	}
	for _, op := range listOps {
		if c := p.at(p.off + len(op)); p.has(op) && (isBlank(c) || c == '(') {
			p.off += len(op)
			return &ast.BinaryCheck{Left: left, Op: op, Right: p.listValue(op), Pos: pos}
		}
	}
	for _, op := range wordOps {
		if p.has(op) && p.off+len(op) == len(p.src) {
			panic(p.errorf(len(p.src), "expected a value after '%s'", op))
		}
	}
	panic(p.errorf(p.off, "expected an operator after '%s', found %s", p.src[start:leftEnd], p.found(p.off)))
}

// stringCheck reads the right side of a string operator: an optional
// modifier and list, or a single value.
func (p *parser) stringCheck(pos ast.Pos, left ast.Operand, op string) ast.Expr {
	c := &ast.BinaryCheck{Left: left, Op: op, Pos: pos}
	if p.skipBlank() {
		if mod, list := p.modifier(); list != nil {
			c.Modifier, c.Right = mod, list
			return c
		}
	}
	start := p.off
	if v := p.transformerOrVal(); v != nil {
		c.Right = v
	} else if v := p.stringValue(); v != nil {
		c.Right = v
	} else {
		panic(p.errorf(start, "expected a value after '%s', found %s", op, p.found(start)))
	}
	return c
}

// modifier reads "oneof", "anyof" or "allof" and the list after it. When the
// word is not followed by a blank and a list, nothing is read and the word
// is left to be read as a value.
func (p *parser) modifier() (string, *ast.ListExpr) {
	for _, m := range modifiers {
		if !p.has(m) || !isBlank(p.at(p.off+len(m))) {
			continue
		}
		after := p.off + len(m)
		for after < len(p.src) && isBlank(p.src[after]) {
			after++
		}
		if after < len(p.src) && p.src[after] == '(' {
			p.off = after
			return m, p.list()
		}
		if end := p.identEnd(after); end > after && !keywords[p.src[after:end]] {
			p.off = end
			return m, &ast.ListExpr{Ident: p.src[after:end], Pos: p.pos(after)}
		}
		return "", nil
	}
	return "", nil
}

// numValue reads the right side of a numeric comparison.
func (p *parser) numValue(op string) ast.Value {
	p.skipBlank()
	start := p.off
	if v := p.transformerOrVal(); v != nil {
		return v
	}
	if end := p.numberEnd(start); end > start {
		p.off = end
		return &ast.ValueExpr{Value: p.src[start:end], Pos: p.pos(start)}
	}
	panic(p.errorf(start, "expected a number, a transformer or val() after '%s', found %s", op, p.found(start)))
}

// listValue reads the right side of a list operator.
func (p *parser) listValue(op string) ast.Value {
	p.skipBlank()
	start := p.off
	if !p.eof() && p.peek() == '(' {
		return p.list()
	}
	if v := p.transformerOrVal(); v != nil {
		return v
	}
	if end := p.identEnd(start); end > start {
		name := p.src[start:end]
		if keywords[name] {
			panic(p.errorf(start, "expected a list after '%s', found the keyword '%s'", op, name))
		}
		p.off = end
		return &ast.ListExpr{Ident: name, Pos: p.pos(start)}
	}
	panic(p.errorf(start, "expected a list, a list name, a transformer or val() after '%s', found %s", op, p.found(start)))
}

// list reads a parenthesised list of values starting at the read offset.
func (p *parser) list() *ast.ListExpr {
	open := p.off
	p.off++
	l := &ast.ListExpr{Pos: p.pos(open)}
	p.skipBlank()
	if v := p.stringValue(); v != nil {
		l.Values = append(l.Values, v)
		for {
			p.skipBlank()
			if p.eof() || p.peek() != ',' {
				break
			}
			p.off++
			p.skipBlank()
			v := p.stringValue()
			if v == nil {
				panic(p.errorf(p.off, "expected a value after ',' in the list, found %s", p.found(p.off)))
			}
			l.Values = append(l.Values, v)
		}
	}
	if p.eof() || p.peek() != ')' {
		what := "',' or ')'"
		if len(l.Values) == 0 {
			what = "a value or ')'"
		}
		panic(p.errorf(p.off, "expected %s in the list opened at %s, found %s", what, p.lineCol(open), p.found(p.off)))
	}
	p.off++
	return l
}

// stringValue reads a quoted or bare string, or returns nil if there is
// none at the read offset.
func (p *parser) stringValue() *ast.ValueExpr {
	if p.eof() {
		return nil
	}
	start := p.off
	switch c := p.peek(); {
	case c == '"' || c == '\'':
		return &ast.ValueExpr{Value: p.quoted(), Quoted: true, Pos: p.pos(start)}
	case isBareValueByte(c):
		for !p.eof() && isBareValueByte(p.peek()) {
			p.off++
		}
		return &ast.ValueExpr{Value: p.src[start:p.off], Pos: p.pos(start)}
	}
	return nil
}

// transformerOrVal reads a transformer call or val(field) on the right side
// of a check, or returns nil if there is none at the read offset.
func (p *parser) transformerOrVal() ast.Value {
	start := p.off
	if p.has("val(") {
		p.enter(start)
		p.off += len("val(")
		p.skipBlank()
		fstart := p.off
		end, dotted := p.nameEnd(fstart)
		if !dotted {
			panic(p.errorf(fstart, "expected a field name inside val(), found %s", p.found(fstart)))
		}
		p.off = end
		f := p.field(fstart)
		p.skipBlank()
		if p.eof() || p.peek() != ')' {
			panic(p.errorf(p.off, "expected ')' to close the val( at %s, found %s", p.lineCol(start), p.found(p.off)))
		}
		p.off++
		p.leave()
		return &ast.FieldRef{Field: f, Pos: p.pos(start)}
	}
	end := p.identEnd(start)
	if _, ok := transformers[p.src[start:end]]; ok && p.at(end) == '(' {
		return p.transformer(start, end)
	}
	return nil
}

// operand reads a field or a transformer call, or returns nil if there is
// none at the read offset.
func (p *parser) operand() ast.Operand {
	start := p.off
	end, dotted := p.nameEnd(start)
	if dotted {
		p.off = end
		return p.field(start)
	}
	if _, ok := transformers[p.src[start:end]]; ok && p.at(end) == '(' {
		return p.transformer(start, end)
	}
	return nil
}

// transformer reads a transformer call whose name spans start to open,
// where open holds its '('.
func (p *parser) transformer(start, open int) *ast.TransformerExpr {
	name := p.src[start:open]
	p.enter(start)
	p.off = open + 1
	t := &ast.TransformerExpr{Name: name, Pos: p.pos(start)}
	if transformers[name] {
		p.skipBlank()
		arg := p.operand()
		if arg == nil {
			panic(p.errorf(p.off, "expected a field or a transformer inside %s(), found %s", name, p.found(p.off)))
		}
		t.Args = []ast.Node{arg}
	} else {
		for {
			p.skipBlank()
			t.Args = append(t.Args, p.transformerArg(name, true))
			p.skipBlank()
			if p.eof() || p.peek() != ',' {
				break
			}
			p.off++
		}
	}
	p.skipBlank()
	if p.eof() || p.peek() != ')' {
		panic(p.errorf(p.off, "expected ')' to close the %s( at %s, found %s", name, p.lineCol(start), p.found(p.off)))
	}
	p.off++
	if !p.eof() && p.peek() == '[' {
		p.off++
		t.Arg = p.fieldArg(p.off - 1)
		t.HasArg = true
	}
	p.leave()
	return t
}

// transformerArg reads one argument of a join, concat or getopt call. A
// parenthesised list is allowed when allowList is set, and becomes a
// TransformerExpr with an empty name.
func (p *parser) transformerArg(name string, allowList bool) ast.Node {
	start := p.off
	if op := p.operand(); op != nil {
		return op
	}
	if !p.eof() {
		switch p.peek() {
		case '"', '\'':
			return &ast.ValueExpr{Value: p.quoted(), Quoted: true, Pos: p.pos(start)}
		case '(':
			if !allowList {
				panic(p.errorf(start, "argument lists of %s() cannot be nested", name))
			}
			return p.argList(name)
		}
	}
	if end := p.numberEnd(start); end > start {
		p.off = end
		return &ast.ValueExpr{Value: p.src[start:end], Pos: p.pos(start)}
	}
	panic(p.errorf(start, "expected a field, a transformer, a quoted string or a number as an argument of %s(), found %s", name, p.found(start)))
}

// argList reads a parenthesised argument list inside a join, concat or
// getopt call.
func (p *parser) argList(name string) *ast.TransformerExpr {
	open := p.off
	p.enter(open)
	p.off++
	l := &ast.TransformerExpr{Pos: p.pos(open)}
	p.skipBlank()
	if p.eof() || p.peek() != ')' {
		for {
			p.skipBlank()
			l.Args = append(l.Args, p.transformerArg(name, false))
			p.skipBlank()
			if p.eof() || p.peek() != ',' {
				break
			}
			p.off++
		}
	}
	if p.eof() || p.peek() != ')' {
		panic(p.errorf(p.off, "expected ',' or ')' in the argument list opened at %s, found %s", p.lineCol(open), p.found(p.off)))
	}
	p.off++
	p.leave()
	return l
}
