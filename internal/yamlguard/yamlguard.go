// Package yamlguard parses YAML from untrusted files within limits: the
// size of the input, the number of tokens, the nesting depth and the
// number of nodes once every alias is expanded. A hostile file (an alias
// bomb, thousands of nested brackets, megabytes of tokens) is refused with
// one error naming its line and column before it can take the time or
// memory the YAML library would otherwise spend on it: the library's
// parser needs memory quadratic in the nesting depth, and decoding copies
// an anchor's value at every alias.
package yamlguard

import (
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Limits bound what Parse accepts. A zero field is no limit.
type Limits struct {
	// Bytes is the largest input, checked before anything else: the
	// lexer needs about 300 bytes of memory per token.
	Bytes int
	// Tokens is the most tokens the input may hold; the parser needs
	// about as much memory again per token as the lexer.
	Tokens int
	// Depth is the deepest nesting of sequences and maps.
	Depth int
	// Nodes is the most nodes a document may have with every alias
	// replaced by the value of its anchor: what a decoder, or a reader
	// following aliases, walks through.
	Nodes int
}

// Rules are the limits of a rules or rule test file: several times the
// size of all of Falco's own rules files together.
var Rules = Limits{Bytes: 2 << 20, Tokens: 250_000, Depth: 64, Nodes: 250_000}

// Config are the limits of a configuration file.
var Config = Limits{Bytes: 256 << 10, Tokens: 20_000, Depth: 16, Nodes: 20_000}

// Error is a limit that the input goes over, at the place where it does
// (line and column 1-based; 0 when there is no place, as for the size).
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
}

func errorAt(tk *token.Token, format string, args ...any) *Error {
	e := &Error{Msg: fmt.Sprintf(format, args...)}
	if tk != nil && tk.Position != nil {
		e.Line, e.Col = tk.Position.Line, tk.Position.Column
	}
	return e
}

// Parse parses data as YAML after checking its size, token count and
// depth against lim, and then checks the expanded size of each document.
// Limit violations are *Error; syntax errors are the YAML library's
// errors (with their token). A panic of the YAML library is returned as
// an error.
func Parse(data []byte, lim Limits, opts ...parser.Option) (f *ast.File, err error) {
	if lim.Bytes > 0 && len(data) > lim.Bytes {
		return nil, &Error{Msg: fmt.Sprintf("file is %d bytes, more than the limit of %d", len(data), lim.Bytes)}
	}
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("%v", p)
		}
	}()
	if lim.Tokens > 0 {
		if err := estimateTokens(data, 2*lim.Tokens); err != nil {
			return nil, err
		}
	}
	tokens := lexer.Tokenize(string(data))
	if err := CheckTokens(tokens, lim); err != nil {
		return nil, err
	}
	f, err = parser.Parse(tokens, 0, opts...)
	if err != nil {
		return nil, err
	}
	for _, doc := range f.Docs {
		if doc == nil {
			continue
		}
		if err := CheckExpansion(doc.Body, lim.Nodes); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// estimateTokens refuses data that has more than max tokens by an
// estimate made without the lexer, which needs a few hundred bytes of
// memory per token: each run of characters between blanks, and each flow
// indicator or quote within one, is counted as two tokens at most.
func estimateTokens(data []byte, max int) error {
	n, line, col := 0, 1, 0
	blank := true
	for _, c := range data {
		if utf8.RuneStart(c) {
			col++
		}
		switch c {
		case ' ', '\t', '\r':
			blank = true
			continue
		case '\n':
			blank = true
			line, col = line+1, 0
			continue
		case ',', '[', ']', '{', '}', ':', '"', '\'':
			n += 2
		default:
			if blank {
				n++
			}
		}
		blank = false
		if n > max {
			return &Error{Line: line, Col: col, Msg: fmt.Sprintf("more than %d YAML tokens", max/2)}
		}
	}
	return nil
}

// CheckTokens checks the number of tokens and the nesting depth they
// describe. The depth of block collections is counted from indentation:
// each block sequence entry or mapping key to the right of the one that
// holds it opens a level, so "- - - x" is three levels deep; flow
// collections add their brackets.
func CheckTokens(tokens token.Tokens, lim Limits) error {
	if lim.Tokens > 0 && len(tokens) > lim.Tokens {
		return errorAt(tokens[lim.Tokens], "more than %d YAML tokens", lim.Tokens)
	}
	if lim.Depth <= 0 {
		return nil
	}
	var block []int // columns of the open block collections
	flow := 0
	for i, tk := range tokens {
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			flow++
		case token.SequenceEndType, token.MappingEndType:
			if flow > 0 {
				flow--
			}
		case token.DocumentHeaderType, token.DocumentEndType:
			block = block[:0]
			flow = 0
		}
		if flow == 0 && tk.Position != nil && opensBlock(tokens, i) {
			col := tk.Position.Column
			for len(block) > 0 && block[len(block)-1] > col {
				block = block[:len(block)-1]
			}
			if len(block) == 0 || block[len(block)-1] < col {
				block = append(block, col)
			}
		}
		if len(block)+flow > lim.Depth {
			return errorAt(tk, "YAML nested more than %d levels deep", lim.Depth)
		}
	}
	return nil
}

// opensBlock reports whether tokens[i] starts an entry of a block
// collection: a "-" sequence entry, or a key followed by ":".
func opensBlock(tokens token.Tokens, i int) bool {
	tk := tokens[i]
	if tk.Type == token.SequenceEntryType || tk.Type == token.MappingKeyType {
		return true
	}
	return i+1 < len(tokens) && tokens[i+1].Type == token.MappingValueType && tk.Type != token.MappingValueType
}

// CheckExpansion checks that the tree under n has at most max nodes when
// every alias counts the nodes of its anchor's value (0: no limit).
// Anchors are taken in document order, as a decoder takes them; an alias
// to an anchor not yet seen counts one node.
func CheckExpansion(n ast.Node, max int) error {
	if max <= 0 || n == nil {
		return nil
	}
	c := &counter{anchors: map[string]int{}, max: max}
	c.count(n)
	if c.over != nil {
		return errorAt(c.over, "YAML aliases expand to more than %d nodes", max)
	}
	return nil
}

type counter struct {
	anchors map[string]int // anchor name -> expanded size of its value
	total   int
	max     int
	over    *token.Token // where the total first went over max
}

// count adds the expanded size of n to the total and returns that size.
func (c *counter) count(n ast.Node) int {
	if n == nil || c.over != nil {
		return 0
	}
	c.add(1, n)
	size := 1
	switch n := n.(type) {
	case *ast.AnchorNode:
		size += c.count(n.Value)
		if n.Name != nil {
			if tk := n.Name.GetToken(); tk != nil {
				c.anchors[tk.Value] = size
			}
		}
	case *ast.AliasNode:
		if n.Value != nil {
			if tk := n.Value.GetToken(); tk != nil {
				s := c.anchors[tk.Value]
				c.add(s, n)
				size += s
			}
		}
	case *ast.TagNode:
		size += c.count(n.Value)
	case *ast.SequenceNode:
		for _, v := range n.Values {
			size += c.count(v)
		}
	case *ast.MappingNode:
		for _, mv := range n.Values {
			size += c.count(mv)
		}
	case *ast.MappingValueNode:
		size += c.count(n.Key)
		size += c.count(n.Value)
	case *ast.MappingKeyNode:
		size += c.count(n.Value)
	case *ast.DocumentNode:
		size += c.count(n.Body)
	}
	if size > c.max {
		// Sizes are only compared with max; keep them from overflowing.
		size = c.max + 1
	}
	return size
}

func (c *counter) add(k int, n ast.Node) {
	c.total += k
	if c.total > c.max && c.over == nil {
		c.over = n.GetToken()
	}
}

// ReadFile reads a file of at most max bytes; a larger one (or an endless
// one such as /dev/zero) is an error once max+1 bytes were read.
func ReadFile(path string, max int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadLimited(f, path, max)
}

// ReadLimited reads f, the file at path, to its end if it holds at most
// max bytes; a larger one (or an endless one) is an error once max+1
// bytes were read.
func ReadLimited(f io.Reader, path string, max int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > max {
		return nil, fmt.Errorf("%s: file is more than %d bytes, the limit", path, max)
	}
	return data, nil
}
