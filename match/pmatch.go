package match

import "strings"

// PathPrefixes is a set of path prefixes for the pmatch operator. Build it
// once with [NewPathPrefixes]; after that it is read-only and safe for
// concurrent use.
//
// Paths are compared component by component. Like libsinsp, both patterns
// and paths are split on '/' and empty components are dropped, so leading,
// trailing and repeated slashes make no difference: "/var/run/", "var/run"
// and "/var//run" are all the same pattern, and the path "var/run/x" is
// matched like "/var/run/x". One consequence is that the patterns "/" and ""
// have no components and match every path, including "" and relative ones.
type PathPrefixes struct {
	root pathNode
}

// pathNode is a trie node. Each edge is one pattern component: literal
// components are looked up in lit, glob components are tried in order.
type pathNode struct {
	end   bool // some pattern ends here, so every path that gets here matches
	lit   map[string]*pathNode
	globs []pathGlob
}

type pathGlob struct {
	pattern string
	node    *pathNode
}

// NewPathPrefixes builds the set of the given patterns. Each pattern is split
// into '/'-separated components. A component that contains '*', '?' or '['
// is a glob, matched against one path component with [Glob] semantics;
// any other component, even one with a backslash, must equal the path
// component byte for byte.
func NewPathPrefixes(patterns ...string) *PathPrefixes {
	p := &PathPrefixes{}
	for _, pat := range patterns {
		p.root.add(pat)
	}
	return p
}

func (n *pathNode) add(pattern string) {
	for {
		if n.end {
			return // a shorter pattern already covers this one
		}
		comp, rest := nextComponent(pattern)
		if comp == "" {
			n.end = true
			n.lit, n.globs = nil, nil
			return
		}
		n = n.child(comp)
		pattern = rest
	}
}

func (n *pathNode) child(comp string) *pathNode {
	if !strings.ContainsAny(comp, "*?[") {
		if c := n.lit[comp]; c != nil {
			return c
		}
		if n.lit == nil {
			n.lit = make(map[string]*pathNode)
		}
		c := &pathNode{}
		n.lit[comp] = c
		return c
	}
	for _, g := range n.globs {
		if g.pattern == comp {
			return g.node
		}
	}
	c := &pathNode{}
	n.globs = append(n.globs, pathGlob{pattern: comp, node: c})
	return c
}

// Match reports whether some pattern in p is a prefix of path by whole
// components. The pattern /var/run matches /var/run and /var/run/docker but
// neither /var/runx nor /var; /opt/*/subdir matches /opt/x/subdir/file.
// A nil *PathPrefixes matches nothing. Match does not allocate, and it
// visits each trie node at most once, so its cost is bounded by the size of
// the set.
func (p *PathPrefixes) Match(path string) bool {
	if p == nil {
		return false
	}
	return p.root.match(path)
}

func (n *pathNode) match(path string) bool {
	if n.end {
		return true
	}
	comp, rest := nextComponent(path)
	if comp == "" {
		return false
	}
	if c := n.lit[comp]; c != nil && c.match(rest) {
		return true
	}
	for i := range n.globs {
		g := &n.globs[i]
		if Glob(g.pattern, comp) && g.node.match(rest) {
			return true
		}
	}
	return false
}

// nextComponent returns the first non-empty component of path and what
// follows it. comp is "" when path has no more components.
func nextComponent(path string) (comp, rest string) {
	i := 0
	for i < len(path) && path[i] == '/' {
		i++
	}
	path = path[i:]
	if j := strings.IndexByte(path, '/'); j >= 0 {
		return path[:j], path[j:]
	}
	return path, ""
}
