package parser

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/lannersec/lanner/lang/ast"
)

var testFields = map[string]bool{
	"proc.name":    true,
	"proc.aname":   true,
	"proc.pid":     true,
	"proc.cmdline": true,
	"fd.name":      true,
	"evt.time":     true,
	"evt.arg":      true,
	"evt.arg.res":  true,
	"user.name":    true,
}

func isTestField(name string) bool { return testFields[name] }

// tokenString renders a format token compactly for comparisons.
func tokenString(tok FormatToken) string {
	var s string
	switch {
	case tok.Transformer != nil:
		s = "T:" + tok.Transformer.String()
	case tok.Field != nil:
		s = "F:" + tok.Field.Name
		if tok.Field.HasArg {
			s += "[" + tok.Field.Arg + "]"
		}
	default:
		return "L:" + tok.Literal
	}
	if tok.Width != 0 {
		s += "/" + strconv.Itoa(tok.Width)
	}
	return s
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		format string
		na     bool
		want   []string
	}{
		{"", false, nil},
		{"*", true, nil},
		{"plain text", false, []string{"L:plain text"}},
		{"*proc=%proc.name", true, []string{"L:proc=", "F:proc.name"}},
		{"(%proc.name)", false, []string{"L:(", "F:proc.name", "L:)"}},
		{"%fd.name, %proc.pid", false, []string{"F:fd.name", "L:, ", "F:proc.pid"}},
		{"file %fd.name.", false, []string{"L:file ", "F:fd.name", "L:."}},
		{"%proc.namex", false, []string{"F:proc.name", "L:x"}},
		{"%proc.name_", false, []string{"F:proc.name", "L:_"}},
		{"%proc.aname[2] %proc.aname", false, []string{"F:proc.aname[2]", "L: ", "F:proc.aname"}},
		{"%evt.arg['a b']", false, []string{"F:evt.arg[a b]"}},
		{"%evt.arg.res", false, []string{"F:evt.arg.res"}},
		{"%evt.arg.flags", false, []string{"F:evt.arg", "L:.flags"}},
		{"%12proc.name|", false, []string{"F:proc.name/12", "L:|"}},
		{"%tolower(proc.name)!", false, []string{"T:tolower(proc.name)", "L:!"}},
		{"%5toupper(user.name)", false, []string{"T:toupper(user.name)/5"}},
		{"%proc.name[x", false, []string{"F:proc.name", "L:[x"}},
		{"%proc.name[]", false, []string{"F:proc.name", "L:[]"}},
		{"%evt.time: Warning %user.name", false, []string{"F:evt.time", "L:: Warning ", "F:user.name"}},
		{"a*b", false, []string{"L:a*b"}},
		{"line1\nline2 %proc.pid", false, []string{"L:line1\nline2 ", "F:proc.pid"}},
	}
	for _, tt := range tests {
		f, err := ParseFormat(tt.format, isTestField)
		if err != nil {
			t.Errorf("ParseFormat(%q): %v", tt.format, err)
			continue
		}
		var got []string
		for _, tok := range f.Tokens {
			got = append(got, tokenString(tok))
		}
		if f.NAForMissing != tt.na || strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("ParseFormat(%q) = %v %q, want %v %q", tt.format, f.NAForMissing, got, tt.na, tt.want)
		}
	}
}

func TestParseFormatPositions(t *testing.T) {
	f, err := ParseFormat("*a\nb %proc.aname[2] c", isTestField)
	if err != nil {
		t.Fatal(err)
	}
	want := []ast.Pos{{Offset: 1, Line: 1, Col: 2}, {Offset: 5, Line: 2, Col: 3}, {Offset: 19, Line: 2, Col: 17}}
	if len(f.Tokens) != len(want) {
		t.Fatalf("got %d tokens, want %d", len(f.Tokens), len(want))
	}
	for i, tok := range f.Tokens {
		if tok.Pos != want[i] {
			t.Errorf("token %d at %+v, want %+v", i, tok.Pos, want[i])
		}
	}
	if p := f.Tokens[1].Field.Pos; p.Offset != 6 || p.Col != 4 {
		t.Errorf("field at %+v, want offset 6", p)
	}
}

func TestParseFormatErrors(t *testing.T) {
	tests := []struct {
		format string
		pos    string
		msg    string
	}{
		{"100%", "1:4", "end with '%'"},
		{"*%", "1:2", "end with '%'"},
		{"%", "1:1", "end with '%'"},
		{"% x", "1:1", "expected a field name"},
		{"%12", "1:1", "expected a field name"},
		{"%!", "1:1", "expected a field name"},
		{"%nosuch.field", "1:2", `unknown field "nosuch.field"`},
		{"x %fd.nam", "1:4", "unknown field"},
		{"%tolower(proc.name", "1:19", "expected ')'"},
		{"%99999999999999999999999proc.name", "1:2", "too large"},
	}
	for _, tt := range tests {
		_, err := ParseFormat(tt.format, isTestField)
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("ParseFormat(%q) error = %v, want *Error", tt.format, err)
			continue
		}
		if !strings.HasPrefix(perr.Error(), tt.pos+": ") || !strings.Contains(perr.Msg, tt.msg) {
			t.Errorf("ParseFormat(%q) error = %q, want %s: ...%s...", tt.format, perr, tt.pos, tt.msg)
		}
	}
}

func TestParseFormatNilIsField(t *testing.T) {
	f, err := ParseFormat("%any.thing_at.all)", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tokens) != 2 || f.Tokens[0].Field.Name != "any.thing_at.all" || f.Tokens[1].Literal != ")" {
		t.Errorf("got %+v", f.Tokens)
	}
}

func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{
		"*%evt.time: Warning Shell spawned (user=%user.name %proc.name parent=%proc.aname[2] cmd=%proc.cmdline)",
		"%proc.name)%fd.name,%12proc.pid",
		"%tolower(proc.name) %b64(fd.name)[1]",
		"%evt.arg['x'] %evt.arg[\"y\\\"\"]",
		"100%",
		"%proc.namex%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, format string) {
		fm, err := ParseFormat(format, isTestField)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("ParseFormat(%q) error %T is not *Error", format, err)
			}
			return
		}
		// The tokens cover the text: literals and token positions are in
		// order and inside it.
		var lits strings.Builder
		last := -1
		for _, tok := range fm.Tokens {
			if tok.Pos.Offset <= last || tok.Pos.Offset >= len(format) {
				t.Fatalf("ParseFormat(%q): token %+v out of order", format, tok)
			}
			last = tok.Pos.Offset
			switch {
			case tok.Field != nil:
				if !testFields[tok.Field.Name] {
					t.Fatalf("ParseFormat(%q): unknown field %q accepted", format, tok.Field.Name)
				}
			case tok.Transformer != nil:
			default:
				if tok.Literal == "" || format[tok.Pos.Offset:tok.Pos.Offset+len(tok.Literal)] != tok.Literal {
					t.Fatalf("ParseFormat(%q): literal %q does not match the text", format, tok.Literal)
				}
				lits.WriteString(tok.Literal)
			}
		}
		if strings.Contains(lits.String(), "%") {
			t.Fatalf("ParseFormat(%q): literal text holds a '%%'", format)
		}
	})
}
