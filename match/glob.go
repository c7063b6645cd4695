package match

import "strings"

// Glob reports whether s matches pattern under the rules of POSIX
// fnmatch(pattern, s, 0), as glibc implements them in the C locale. That is
// the glob operator of the rule language.
//
//   - '*' matches any run of bytes, including the empty run and runs that
//     contain '/' (there is no FNM_PATHNAME) or start with '.' (there is no
//     FNM_PERIOD).
//   - '?' matches any single byte.
//   - '[...]' matches one byte from a set. '!' or '^' right after '['
//     negates the set. A ']' right after '[', '[!' or '[^' is a member, not
//     the end. Members are single bytes, ranges such as 'a-z' (by byte value;
//     a reversed range is empty), the character classes [:alnum:],
//     [:alpha:], [:blank:], [:cntrl:], [:digit:], [:graph:], [:lower:],
//     [:print:], [:punct:], [:space:], [:upper:] and [:xdigit:] (ASCII only),
//     and the C-locale forms [=c=] and [.c.], which stand for the byte c.
//     A '-' first or last in the set is a member.
//   - '\' makes the next byte literal, inside or outside a set.
//   - Everything else matches itself.
//
// Matching is byte-oriented: multi-byte UTF-8 sequences are runs of bytes,
// and a NUL byte is an ordinary byte.
//
// Malformed patterns behave as glibc's fnmatch does:
//
//   - A '[' without a closing ']' matches a literal '['; the bytes after it
//     are matched as the rest of the pattern, so "[ab" matches "[ab".
//   - A trailing unescaped '\' never matches, so such a pattern matches
//     nothing.
//   - Inside a set, an unknown class name such as [:foo:], a range with no
//     upper bound ("[a-" at the end of the pattern), a collating symbol
//     longer than one byte and a trailing '\' make the set fail. glibc
//     reports these only if it reaches them while scanning the set for the
//     byte being tested, so "[a[:foo:]]" matches "a" but not "b".
//   - [:upper:] and the other classes, [=c=] and [.c.] test the byte as it
//     is, even under IGlob, so IGlob("[[:upper:]]", "a") is false.
//
// Glob does not allocate. It uses the usual single-star backtracking, so its
// running time is bounded by len(pattern)*len(s) even for patterns such as
// "*a*a*a*a*b". Like glibc, once the part of the pattern between two stars
// has matched, Glob does not move that part again.
func Glob(pattern, s string) bool {
	return glob(pattern, s, false)
}

// IGlob is [Glob] with FNM_CASEFOLD: ASCII letters match regardless of case.
// It is the iglob operator of the rule language.
func IGlob(pattern, s string) bool {
	return glob(pattern, s, true)
}

// classNameMax is glibc's CHARCLASS_NAME_MAX, the longest class name that
// fnmatch scans before it gives up on a [:name:] expression.
const classNameMax = 2048

// glob matches s against p. Every pattern element other than '*' consumes
// exactly one byte of s. When an element fails, matching restarts from the
// most recent star, at the next byte of s where the element after that star
// can match.
func glob(p, s string, fold bool) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for {
		if pi < len(p) && p[pi] == '*' {
			for pi < len(p) && p[pi] == '*' {
				pi++
			}
			if pi == len(p) {
				return true
			}
			starP, starS = pi, nextStart(p, pi, s, si, fold)
			if starS < 0 {
				return false
			}
			si = starS
			continue
		}
		if pi == len(p) {
			if si == len(s) {
				return true
			}
		} else if si < len(s) {
			if next, ok := element(p, pi, s[si], fold); ok {
				pi = next
				si++
				continue
			}
		}
		if starP < 0 || starS >= len(s) {
			return false
		}
		starS = nextStart(p, starP, s, starS+1, fold)
		if starS < 0 {
			return false
		}
		pi, si = starP, starS
	}
}

// nextStart returns the first index from si on at which the element at p[pi]
// might match, or -1 if there is none. Only an ordinary or escaped byte
// narrows the search; for other elements it returns si.
func nextStart(p string, pi int, s string, si int, fold bool) int {
	c := p[pi]
	switch c {
	case '?', '[':
		return si
	case '\\':
		if pi+1 == len(p) {
			return si
		}
		c = p[pi+1]
	}
	if si > len(s) {
		return -1
	}
	lc := foldIf(c, fold)
	if lc == c && (!fold || c < 'a' || c > 'z') {
		if i := strings.IndexByte(s[si:], c); i >= 0 {
			return si + i
		}
		return -1
	}
	for i := si; i < len(s); i++ {
		if foldIf(s[i], true) == lc {
			return i
		}
	}
	return -1
}

// element matches byte b against the pattern element at p[i], which is not
// '*'. It returns the index of the next element and whether b matched.
func element(p string, i int, b byte, fold bool) (int, bool) {
	switch c := p[i]; c {
	case '?':
		return i + 1, true
	case '\\':
		if i+1 == len(p) {
			return i + 1, false
		}
		return i + 2, foldIf(p[i+1], fold) == foldIf(b, fold)
	case '[':
		return bracket(p, i, b, fold)
	default:
		return i + 1, foldIf(c, fold) == foldIf(b, fold)
	}
}

// at returns p[j], or -1 past the end of p. The -1 plays the part of the
// terminating NUL that glibc's scanner looks for, while a NUL byte inside p
// stays an ordinary byte.
func at(p string, j int) int {
	if j < len(p) {
		return int(p[j])
	}
	return -1
}

// bracket matches byte b against the bracket expression whose '[' is at
// p[i]. It returns the index just past the expression and whether b is in
// the set. The members are examined in pattern order and the first one that
// contains b ends the scan; that order matters only for malformed sets,
// which fail when the scan reaches the malformed part (see Glob).
func bracket(p string, i int, b byte, fold bool) (int, bool) {
	fb := foldIf(b, fold)
	j := i + 1
	neg := false
	if c := at(p, j); c == '!' || c == '^' {
		neg = true
		j++
	}
	for first := true; ; first = false {
		c := at(p, j)
		if c < 0 {
			// No closing ']': the '[' stands for itself.
			return i + 1, b == '['
		}
		if c == ']' && !first {
			return j + 1, neg
		}

		// Classes and equivalence classes are whole members; they are never
		// the end points of a range. A '[' that starts neither is an
		// ordinary member, handled below.
		if c == '[' {
			switch at(p, j+1) {
			case ':':
				end, class, st := parseClass(p, j)
				switch st {
				case classBad:
					return i + 1, false
				case classOK:
					if classTable[b]&class != 0 {
						return skipRest(p, i, end, b, neg)
					}
					j = end
					continue
				}
			case '=':
				if ch := at(p, j+2); ch >= 0 && at(p, j+3) == '=' && at(p, j+4) == ']' {
					if int(b) == ch {
						return skipRest(p, i, j+5, b, neg)
					}
					j += 5
					continue
				}
			}
		}

		// A single byte, an escaped byte or a collating symbol, which may
		// begin a range.
		var lo byte
		if c == '[' && at(p, j+1) == '.' {
			sym, end, ok := parseCollating(p, j)
			if !ok {
				return i + 1, false
			}
			j = end
			lo = sym
			// glibc does not exclude "-]" here, so a collating symbol
			// followed by "-]" is neither matched directly nor a range.
			isRange := at(p, j) == '-' && at(p, j+1) >= 0
			if !isRange && b == sym {
				return skipRest(p, i, j, b, neg)
			}
		} else {
			if c == '\\' {
				if j+1 >= len(p) {
					return i + 1, false
				}
				lo = foldIf(p[j+1], fold)
				j += 2
			} else {
				lo = foldIf(byte(c), fold)
				j++
			}
			isRange := at(p, j) == '-' && at(p, j+1) >= 0 && at(p, j+1) != ']'
			if !isRange && lo == fb {
				return skipRest(p, i, j, b, neg)
			}
		}

		if at(p, j) != '-' || at(p, j+1) == ']' {
			continue
		}
		j++ // the '-'
		var hi byte
		if at(p, j) == '[' && at(p, j+1) == '.' {
			sym, end, ok := parseCollating(p, j)
			if !ok {
				return i + 1, false
			}
			hi = sym
			j = end
		} else {
			e := at(p, j)
			j++
			if e == '\\' {
				e = at(p, j)
				j++
			}
			if e < 0 {
				return i + 1, false
			}
			hi = foldIf(byte(e), fold)
		}
		if lo <= fb && fb <= hi {
			return skipRest(p, i, j, b, neg)
		}
	}
}

// skipRest finishes a bracket expression after a member at p[:j] matched:
// it finds the closing ']' and returns the index past it. Its scan is
// glibc's, which is laxer about class names and stricter about [=c=] than
// the member scan in bracket.
func skipRest(p string, i, j int, b byte, neg bool) (int, bool) {
	for {
		c := at(p, j)
		j++
		switch {
		case c == ']':
			return j, !neg
		case c < 0:
			return i + 1, b == '['
		case c == '\\':
			if j >= len(p) {
				return i + 1, false
			}
			j++
		case c == '[' && at(p, j) == ':':
			// j is at the ':'; look for ":]" after a run of lower-case
			// letters. Anything else makes the '[' an ordinary byte.
			k := j + 1
			for n := 1; ; n++ {
				if n == classNameMax {
					return i + 1, false
				}
				if at(p, k) == ':' && at(p, k+1) == ']' {
					j = k + 2
					break
				}
				if ch := at(p, k); ch < 'a' || ch >= 'z' {
					break
				}
				k++
			}
		case c == '[' && at(p, j) == '=':
			if at(p, j+1) < 0 || at(p, j+2) != '=' || at(p, j+3) != ']' {
				return i + 1, false
			}
			j += 4
		case c == '[' && at(p, j) == '.':
			k := j + 1
			for {
				ch := at(p, k)
				if ch < 0 {
					return i + 1, false
				}
				if ch == '.' && at(p, k+1) == ']' {
					break
				}
				k++
			}
			j = k + 2
		}
	}
}

type classStatus int

const (
	classOK       classStatus = iota
	classBad                  // "[:name:]" with an unknown name: the set fails
	classFallback             // not a class at all: '[' is an ordinary byte
)

// parseClass parses "[:name:]" at p[j]. It returns the index past it and the
// class bit.
func parseClass(p string, j int) (int, uint16, classStatus) {
	start := j + 2
	k := start
	for {
		if k-start == classNameMax {
			return 0, 0, classBad
		}
		ch := at(p, k)
		if ch == ':' && at(p, k+1) == ']' {
			break
		}
		if ch < 'a' || ch >= 'z' {
			return 0, 0, classFallback
		}
		k++
	}
	class := classByName(p[start:k])
	if class == 0 {
		return 0, 0, classBad
	}
	return k + 2, class, classOK
}

// parseCollating parses "[.c.]" at p[j] and returns c and the index past it.
// In the C locale the only collating symbols are single bytes; anything
// else, and a missing ".]", makes the set fail.
func parseCollating(p string, j int) (byte, int, bool) {
	start := j + 2
	k := start
	for {
		ch := at(p, k)
		if ch == '.' && at(p, k+1) == ']' {
			break
		}
		if ch < 0 {
			return 0, 0, false
		}
		k++
	}
	if k-start != 1 {
		return 0, 0, false
	}
	return p[start], k + 2, true
}

func foldIf(b byte, fold bool) byte {
	if fold && 'A' <= b && b <= 'Z' {
		return b + ('a' - 'A')
	}
	return b
}

const (
	classAlnum uint16 = 1 << iota
	classAlpha
	classBlank
	classCntrl
	classDigit
	classGraph
	classLower
	classPrint
	classPunct
	classSpace
	classUpper
	classXdigit
)

func classByName(name string) uint16 {
	switch name {
	case "alnum":
		return classAlnum
	case "alpha":
		return classAlpha
	case "blank":
		return classBlank
	case "cntrl":
		return classCntrl
	case "digit":
		return classDigit
	case "graph":
		return classGraph
	case "lower":
		return classLower
	case "print":
		return classPrint
	case "punct":
		return classPunct
	case "space":
		return classSpace
	case "upper":
		return classUpper
	case "xdigit":
		return classXdigit
	}
	return 0
}

// classTable holds the C-locale classes of every byte. Bytes 0x80 and above
// belong to no class.
var classTable = func() (t [256]uint16) {
	for c := 0; c < 128; c++ {
		var m uint16
		upper := 'A' <= c && c <= 'Z'
		lower := 'a' <= c && c <= 'z'
		digit := '0' <= c && c <= '9'
		graph := 0x21 <= c && c <= 0x7e
		if upper {
			m |= classUpper
		}
		if lower {
			m |= classLower
		}
		if upper || lower {
			m |= classAlpha
		}
		if digit {
			m |= classDigit
		}
		if upper || lower || digit {
			m |= classAlnum
		}
		if digit || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' {
			m |= classXdigit
		}
		if c == ' ' || c == '\t' {
			m |= classBlank
		}
		if c == ' ' || '\t' <= c && c <= '\r' {
			m |= classSpace
		}
		if c < 0x20 || c == 0x7f {
			m |= classCntrl
		}
		if graph {
			m |= classGraph
		}
		if graph || c == ' ' {
			m |= classPrint
		}
		if graph && !(upper || lower || digit) {
			m |= classPunct
		}
		t[c] = m
	}
	return t
}()
