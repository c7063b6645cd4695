package parser

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/lannersec/lanner/lang/ast"
)

const conformancePath = "../../../shared/conformance/parser_cases.tsv"

type conformanceCase struct {
	line   int
	accept bool
	cond   string
}

func readConformance(tb testing.TB) []conformanceCase {
	tb.Helper()
	f, err := os.Open(conformancePath)
	if err != nil {
		tb.Fatalf("conformance data: %v", err)
	}
	defer f.Close()
	var cases []conformanceCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if n == 1 && strings.HasPrefix(line, "#") {
			continue
		}
		verdict, escaped, ok := strings.Cut(line, "\t")
		if !ok || (verdict != "accept" && verdict != "reject") {
			tb.Fatalf("%s:%d: malformed row %q", conformancePath, n, line)
		}
		var cond string
		if err := json.Unmarshal([]byte(`"`+escaped+`"`), &cond); err != nil {
			tb.Fatalf("%s:%d: cannot unescape %q: %v", conformancePath, n, escaped, err)
		}
		cases = append(cases, conformanceCase{line: n, accept: verdict == "accept", cond: cond})
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("conformance data: %v", err)
	}
	return cases
}

func TestParserConformance(t *testing.T) {
	cases := readConformance(t)
	if len(cases) != 524 {
		t.Errorf("read %d conformance rows, want 524", len(cases))
	}
	passed := 0
	for _, c := range cases {
		_, err := Parse(c.cond)
		switch {
		case c.accept && err != nil:
			t.Errorf("line %d: Parse(%q) = %v, want accept", c.line, c.cond, err)
		case !c.accept && err == nil:
			t.Errorf("line %d: Parse(%q) accepted, want reject", c.line, c.cond)
		default:
			passed++
		}
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Errorf("line %d: error %T is not *Error", c.line, err)
			}
		}
	}
	t.Logf("%d/%d conformance rows pass", passed, len(cases))
}

// TestRoundTrip checks that every accepted conformance row prints back as
// text that parses to an equal tree.
func TestRoundTrip(t *testing.T) {
	for _, c := range readConformance(t) {
		if !c.accept {
			continue
		}
		e, err := Parse(c.cond)
		if err != nil {
			t.Fatalf("line %d: %v", c.line, err)
		}
		checkRoundTrip(t, c.cond, e)
	}
}

// checkRoundTrip checks that e, parsed from cond, prints as text that
// parses to an equal tree.
func checkRoundTrip(t *testing.T, cond string, e ast.Expr) {
	t.Helper()
	text := e.String()
	e2, err := Parse(text)
	if err != nil {
		t.Errorf("Parse(%q).String() = %q, which does not parse: %v", cond, text, err)
		return
	}
	if !ast.Equal(e, e2) {
		t.Errorf("Parse(%q).String() = %q, which parses to a different tree %q", cond, text, e2)
	}
}

func fixedQuote(s string, quoted bool) string {
	q := ast.Quote(s)
	if !quoted && !strings.Contains(s, "\v") && !strings.HasPrefix(q, `"`) {
		return s
	}
	if !strings.HasPrefix(q, `"`) {
		q = `"` + q + `"`
	}
	q = strings.ReplaceAll(q, "\v", `\x0b`)
	if strings.HasSuffix(s, `\`) {
		q = strings.TrimSuffix(q, `\\"`) + `\x5c"`
	}
	return q
}

// Tree builders for the structure tests.
func and(c ...ast.Expr) ast.Expr { return &ast.And{Children: c} }
func or(c ...ast.Expr) ast.Expr  { return &ast.Or{Children: c} }
func not(c ast.Expr) ast.Expr    { return &ast.Not{Child: c} }
func id(name string) ast.Expr    { return &ast.Ident{Name: name} }
func fld(name string) *ast.FieldExpr {
	return &ast.FieldExpr{Name: name}
}
func fldArg(name, arg string) *ast.FieldExpr {
	return &ast.FieldExpr{Name: name, Arg: arg, HasArg: true}
}
func val(v string) *ast.ValueExpr { return &ast.ValueExpr{Value: v} }
func list(vs ...string) *ast.ListExpr {
	l := &ast.ListExpr{}
	for _, v := range vs {
		l.Values = append(l.Values, val(v))
	}
	return l
}
func tr(name string, args ...ast.Node) *ast.TransformerExpr {
	return &ast.TransformerExpr{Name: name, Args: args}
}
func bin(l ast.Operand, op string, r ast.Value) ast.Expr {
	return &ast.BinaryCheck{Left: l, Op: op, Right: r}
}
func mod(l ast.Operand, op, m string, r ast.Value) ast.Expr {
	return &ast.BinaryCheck{Left: l, Op: op, Modifier: m, Right: r}
}

func TestParseStructure(t *testing.T) {
	tests := []struct {
		cond string
		want ast.Expr
	}{
		// Boolean structure and precedence.
		{"a", id("a")},
		{"((a))", id("a")},
		{"a or b and c", or(id("a"), and(id("b"), id("c")))},
		{"a and b or c", or(and(id("a"), id("b")), id("c"))},
		{"a and b and c", and(id("a"), id("b"), id("c"))},
		{"a or b or c or d", or(id("a"), id("b"), id("c"), id("d"))},
		{"(a and b) and c", and(and(id("a"), id("b")), id("c"))},
		{"a and (b and c)", and(id("a"), and(id("b"), id("c")))},
		{"(a) or (b) and (c) and (d)", or(id("a"), and(id("b"), id("c"), id("d")))},
		{"a and(b)and(c)", and(id("a"), id("b"), id("c"))},
		{"not a and b", and(not(id("a")), id("b"))},
		{"not (a and b)", not(and(id("a"), id("b")))},
		{"not not a", not(not(id("a")))},
		{"not(not(a))", not(not(id("a")))},
		{"not not(a)", not(not(id("a")))},
		{"notz and not_macro", and(id("notz"), id("not_macro"))},
		{"a \n and \n not \n b", and(id("a"), not(id("b")))},
		{"x.y exists and m", and(&ast.UnaryCheck{Left: fld("x.y"), Op: "exists"}, id("m"))},
		{"x.y existsand m", and(&ast.UnaryCheck{Left: fld("x.y"), Op: "exists"}, id("m"))},

		// Operators and values.
		{"proc.name=bash", bin(fld("proc.name"), "=", val("bash"))},
		{"proc.name == bash", bin(fld("proc.name"), "==", val("bash"))},
		{"proc.name != bash", bin(fld("proc.name"), "!=", val("bash"))},
		{"fd.num>=0", bin(fld("fd.num"), ">=", val("0"))},
		{"evt.rawres < -1", bin(fld("evt.rawres"), "<", val("-1"))},
		{"x.y <= 0x1F", bin(fld("x.y"), "<=", val("0x1F"))},
		{"x.y > -0.5e+10", bin(fld("x.y"), ">", val("-0.5e+10"))},
		{"proc.name contains sh", bin(fld("proc.name"), "contains", val("sh"))},
		{"proc.name\ticontains\tSH", bin(fld("proc.name"), "icontains", val("SH"))},
		{"fd.name glob /tmp/*", bin(fld("fd.name"), "glob", val("/tmp/*"))},
		{"fd.name regex '[a-z]+'", bin(fld("fd.name"), "regex", val("[a-z]+"))},
		{"evt.buffer bcontains cafe", bin(fld("evt.buffer"), "bcontains", val("cafe"))},
		{"proc.name = runc:[0:PARENT]", bin(fld("proc.name"), "=", val("runc:[0:PARENT]"))},
		{"fd.net = 127.0.0.0/8", bin(fld("fd.net"), "=", val("127.0.0.0/8"))},
		{"evt.res = -1", bin(fld("evt.res"), "=", val("-1"))},
		{"proc.pname = <NA>", bin(fld("proc.pname"), "=", val("<NA>"))},
		{"a.b = not", bin(fld("a.b"), "=", val("not"))},
		{"k8s.pod.label.app = x", bin(fld("k8s.pod.label.app"), "=", val("x"))},
		{`proc.args endswith "\ "`, bin(fld("proc.args"), "endswith", val(`\`))},
		{`x.y = "v\x0bt"`, bin(fld("x.y"), "=", val("v\vt"))},
		{`x.y["\ "] exists`, &ast.UnaryCheck{Left: fldArg("x.y", `\`), Op: "exists"}},

		// Field arguments.
		{"proc.aname[2] = bash", bin(fldArg("proc.aname", "2"), "=", val("bash"))},
		{"container.mount.dest[/proc*] != x", bin(fldArg("container.mount.dest", "/proc*"), "!=", val("x"))},
		{`proc.env['HOME'] = /root`, bin(fldArg("proc.env", "HOME"), "=", val("/root"))},
		{`x.y["a b"] exists`, &ast.UnaryCheck{Left: fldArg("x.y", "a b"), Op: "exists"}},
		{`x.y[""] exists`, &ast.UnaryCheck{Left: fldArg("x.y", ""), Op: "exists"}},

		// Lists.
		{"proc.name in (a, 'b c', \"d\")", bin(fld("proc.name"), "in", list("a", "b c", "d"))},
		{"proc.name in()", bin(fld("proc.name"), "in", list())},
		{"proc.name in ( )", bin(fld("proc.name"), "in", list())},
		{"proc.name in (a)", bin(fld("proc.name"), "in", list("a"))},
		{"proc.name in shell_binaries", bin(fld("proc.name"), "in", &ast.ListExpr{Ident: "shell_binaries"})},
		{"fd.name pmatch (/etc, /var/run)", bin(fld("fd.name"), "pmatch", list("/etc", "/var/run"))},
		{"x.y intersects (1,2)", bin(fld("x.y"), "intersects", list("1", "2"))},

		// Modifiers.
		{"proc.name == oneof (cat, nginx)", mod(fld("proc.name"), "==", "oneof", list("cat", "nginx"))},
		{"proc.name contains anyof (a)", mod(fld("proc.name"), "contains", "anyof", list("a"))},
		{"proc.name != allof my_list", mod(fld("proc.name"), "!=", "allof", &ast.ListExpr{Ident: "my_list"})},
		{"proc.name == oneof oneof", mod(fld("proc.name"), "==", "oneof", &ast.ListExpr{Ident: "oneof"})},
		{"proc.name == oneof ()", mod(fld("proc.name"), "==", "oneof", list())},
		{"proc.name == oneof", bin(fld("proc.name"), "==", val("oneof"))},
		{"proc.name == oneof and x.y exists", and(bin(fld("proc.name"), "==", val("oneof")), &ast.UnaryCheck{Left: fld("x.y"), Op: "exists"})},
		{"proc.name == oneof_x", bin(fld("proc.name"), "==", val("oneof_x"))},

		// Transformers and val().
		{"tolower(proc.name) = bash", bin(tr("tolower", fld("proc.name")), "=", val("bash"))},
		{"b64( toupper(x.y) ) exists", &ast.UnaryCheck{Left: tr("b64", tr("toupper", fld("x.y"))), Op: "exists"}},
		{"len(proc.args[1]) > 3", bin(tr("len", fldArg("proc.args", "1")), ">", val("3"))},
		{"basename(proc.exepath)[1] = x", bin(&ast.TransformerExpr{Name: "basename", Args: []ast.Node{fld("proc.exepath")}, Arg: "1", HasArg: true}, "=", val("x"))},
		{"some.field = b64(test.field)", bin(fld("some.field"), "=", tr("b64", fld("test.field")))},
		{"some.field = b64 and(m)", and(bin(fld("some.field"), "=", val("b64")), id("m"))},
		{"proc.name = val(proc.pname)", bin(fld("proc.name"), "=", &ast.FieldRef{Field: fld("proc.pname")})},
		{"proc.pid > val( proc.ppid )", bin(fld("proc.pid"), ">", &ast.FieldRef{Field: fld("proc.ppid")})},
		{"x.y in val(a.b[1])", bin(fld("x.y"), "in", &ast.FieldRef{Field: fldArg("a.b", "1")})},
		{"tolower(proc.name) == oneof (cat)", mod(tr("tolower", fld("proc.name")), "==", "oneof", list("cat"))},
		{`join("-", (fd.name, fd.directory)) = x`, bin(tr("join", val("-"), tr("", fld("fd.name"), fld("fd.directory"))), "=", val("x"))},
		{`join("-", ()) = x`, bin(tr("join", val("-"), tr("")), "=", val("x"))},
		{`join(",", (proc.pid, 123, 'lit', b64(fd.name))) exists`, &ast.UnaryCheck{
			Left: tr("join", val(","), tr("", fld("proc.pid"), val("123"), val("lit"), tr("b64", fld("fd.name")))), Op: "exists"}},
		{`concat(proc.name, ":", proc.pid) = a:1`, bin(tr("concat", fld("proc.name"), val(":"), fld("proc.pid")), "=", val("a:1"))},
	}
	for _, tt := range tests {
		got, err := Parse(tt.cond)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.cond, err)
			continue
		}
		if !ast.Equal(got, tt.want) {
			t.Errorf("Parse(%q) = %s, want %s", tt.cond, got, tt.want)
		}
		checkRoundTrip(t, tt.cond, got)
	}
}

func TestParseQuoting(t *testing.T) {
	tests := []struct {
		cond   string
		want   string
		quoted bool
	}{
		{`x.y = abc`, "abc", false},
		{`x.y = 0a!@#456:/\.;!$%^&*[]{}|`, `0a!@#456:/\.;!$%^&*[]{}|`, false},
		{`x.y = ""`, "", true},
		{`x.y = ''`, "", true},
		{`x.y = "a b"`, "a b", true},
		{`x.y = 'a "b"'`, `a "b"`, true},
		{`x.y = "a 'b'"`, `a 'b'`, true},
		{`x.y = "esc \" q"`, `esc " q`, true},
		{`x.y = 'esc \' q'`, `esc ' q`, true},
		{`x.y = "\b\f\n\r\t\\\/"`, "\b\f\n\r\t\\/", true},
		{`x.y = "\x41\x7a\x00"`, "Az\x00", true},
		{`x.y = "bad escape \ "`, `bad escape \`, true},
		{`x.y = "a\ b"`, `a\b`, true},
		// A delimiter preceded by a backslash never ends the string, even
		// when that backslash is itself escaped.
		{`x.y = 'multiple \' \\''`, `multiple ' \'`, true},
		{"x.y = \"multi\nline\"", "multi\nline", true},
	}
	for _, tt := range tests {
		e, err := Parse(tt.cond)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.cond, err)
			continue
		}
		v, ok := e.(*ast.BinaryCheck).Right.(*ast.ValueExpr)
		if !ok {
			t.Errorf("Parse(%q): right side is %T", tt.cond, e.(*ast.BinaryCheck).Right)
			continue
		}
		if v.Value != tt.want || v.Quoted != tt.quoted {
			t.Errorf("Parse(%q) value = %q (quoted %v), want %q (quoted %v)", tt.cond, v.Value, v.Quoted, tt.want, tt.quoted)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		cond string
		pos  string // line:col
		msg  string // substring of the message
	}{
		{"", "1:1", "empty"},
		{"   ", "1:4", "empty"},
		{"a andb", "1:3", "after 'and'"},
		{"a.b contains", "1:13", "expected a value after 'contains'"},
		{"a.b containsx", "1:5", "expected an operator after 'a.b'"},
		{"(a", "1:3", "expected ')'"},
		{"a.b = b = 1", "1:9", `unexpected "="`},
		{"a.b = \"unterminated", "1:7", "unterminated"},
		{`a.b = "bad \q"`, "1:12", "unsupported escape"},
		{`a.b = "mixed \'"`, "1:14", "not allowed"},
		{`a.b = "\x4"`, "1:8", "two hex digits"},
		{"a.b in (x,)", "1:11", "after ','"},
		{"a.b < abc", "1:7", "expected a number"},
		{"a.b[] = 1", "1:5", "field argument"},
		{"a and\n  b.c", "2:6", "operator"},
		{"a and not", "1:7", "keyword 'not'"},
		{"a or(b) and c", "1:9", "'or(...)'"},
		{"(a or(b) and c)", "1:10", "'or(...)'"},
		{"b64(x) exists", "1:5", "field or a transformer"},
		{`join("-", ((x.y))) = 1`, "1:12", "nested"},
		{strings.Repeat("(", 2000) + "a" + strings.Repeat(")", 2000), "1:1001", "nested"},
		{strings.Repeat("not ", 1500) + "a", "", "nested"},
		{strings.Repeat("b64(", 1500) + "a.b" + strings.Repeat(")", 1500) + " exists", "", "nested"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.cond)
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("Parse(%.40q) error = %v, want *Error", tt.cond, err)
			continue
		}
		if tt.pos != "" && !strings.HasPrefix(perr.Error(), tt.pos+": ") {
			t.Errorf("Parse(%.40q) error = %q, want position %s", tt.cond, perr, tt.pos)
		}
		if !strings.Contains(perr.Msg, tt.msg) {
			t.Errorf("Parse(%.40q) error = %q, want it to mention %q", tt.cond, perr, tt.msg)
		}
	}
}

func TestParsePositions(t *testing.T) {
	cond := "a and\n  (proc.name in (x, 'y')\n   or not b64(fd.name) = val(x.y))"
	e, err := Parse(cond)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ast.Pos{
		"*ast.And a and":                    {Offset: 0, Line: 1, Col: 1},
		"*ast.Ident a":                      {Offset: 0, Line: 1, Col: 1},
		"*ast.Or proc.name":                 {Offset: 9, Line: 2, Col: 4},
		"*ast.BinaryCheck proc.name in":     {Offset: 9, Line: 2, Col: 4},
		"*ast.FieldExpr proc.name":          {Offset: 9, Line: 2, Col: 4},
		"*ast.ListExpr (x":                  {Offset: 22, Line: 2, Col: 17},
		"*ast.ValueExpr x":                  {Offset: 23, Line: 2, Col: 18},
		"*ast.ValueExpr 'y'":                {Offset: 26, Line: 2, Col: 21},
		"*ast.Not not":                      {Offset: 37, Line: 3, Col: 7},
		"*ast.BinaryCheck b64(fd.name) =":   {Offset: 41, Line: 3, Col: 11},
		"*ast.TransformerExpr b64(fd.name)": {Offset: 41, Line: 3, Col: 11},
		"*ast.FieldExpr fd.name":            {Offset: 45, Line: 3, Col: 15},
		"*ast.FieldRef val":                 {Offset: 56, Line: 3, Col: 26},
		"*ast.FieldExpr x.y":                {Offset: 60, Line: 3, Col: 30},
	}
	seen := 0
	ast.Walk(e, func(n ast.Node) bool {
		p := n.Position()
		if p.Line == 0 || p.Col == 0 || p.Origin != nil {
			t.Errorf("%T %s has position %+v", n, n, p)
		}
		for key, wp := range want {
			typ, prefix, _ := strings.Cut(key, " ")
			if typ == typeName(n) && strings.HasPrefix(cond[p.Offset:], prefix) && p == wp {
				seen++
			}
		}
		return true
	})
	if seen != len(want) {
		t.Errorf("matched %d of %d expected positions", seen, len(want))
		ast.Walk(e, func(n ast.Node) bool {
			t.Logf("%s at %+v: %.20q", typeName(n), n.Position(), cond[n.Position().Offset:])
			return true
		})
	}
}

func typeName(n ast.Node) string {
	switch n.(type) {
	case *ast.And:
		return "*ast.And"
	case *ast.Or:
		return "*ast.Or"
	case *ast.Not:
		return "*ast.Not"
	case *ast.Ident:
		return "*ast.Ident"
	case *ast.UnaryCheck:
		return "*ast.UnaryCheck"
	case *ast.BinaryCheck:
		return "*ast.BinaryCheck"
	case *ast.FieldExpr:
		return "*ast.FieldExpr"
	case *ast.TransformerExpr:
		return "*ast.TransformerExpr"
	case *ast.ValueExpr:
		return "*ast.ValueExpr"
	case *ast.ListExpr:
		return "*ast.ListExpr"
	case *ast.FieldRef:
		return "*ast.FieldRef"
	}
	return "?"
}

func FuzzParse(f *testing.F) {
	for _, c := range readConformance(f) {
		f.Add(c.cond)
	}
	for _, s := range []string{
		"a or b and not c",
		"proc.name in (a, 'b', \"c\") and fd.name pmatch (/etc)",
		`x.y = "\x41\ \t"`,
		"proc.name == oneof my_list or proc.name contains allof (a, b)",
		`join("-", (fd.name, tolower(proc.name), 1)) = val(x.y[2])`,
		"not(not a.b exists)and(c)",
		`x.y = "\x0b" or x.y[" \ "] exists`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cond string) {
		e, err := Parse(cond)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse(%q) error %T is not *Error", cond, err)
			}
			if perr.Pos.Offset < 0 || perr.Pos.Offset > len(cond) || perr.Pos.Line < 1 || perr.Pos.Col < 1 {
				t.Fatalf("Parse(%q) error position %+v out of range", cond, perr.Pos)
			}
			return
		}
		if e == nil {
			t.Fatalf("Parse(%q) returned neither a tree nor an error", cond)
		}
		checkRoundTrip(t, cond, e)
	})
}
