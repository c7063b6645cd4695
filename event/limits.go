package event

import (
	"strings"
	"unsafe"
)

// Limits of what an event keeps of a path and of a command line, and the
// markers that say something was left out.
//
// A path longer than PathMax bytes is kept as its first PathMax bytes
// followed by PathCutMark: the head, because prefix tests ("below /dev")
// look at the head. Such a path is longer than any path an event holds
// uncut, so it equals no path a rule names, while startswith, glob and
// pmatch decide on the head as they would on the whole path. fd.directory
// of a cut path is the cut path itself and fd.filename is absent, since
// neither is known.
//
// An argument list longer than ArgvHead+ArgvTail bytes (counting one NUL
// after each argument, as the kernel does) keeps its first ArgvHead and
// its last ArgvTail bytes with ArgvCutMark between them, inside the
// argument the cut falls in: padding at either end cannot push the
// command out of sight.
const (
	PathMax     = 4096
	PathCutMark = "..."
	ArgvHead    = 4096
	ArgvTail    = 4096
	ArgvCutMark = "[...]"
)

// PathIsCut reports whether path was cut by CutPath.
func PathIsCut(path string) bool {
	return len(path) == PathMax+len(PathCutMark) && strings.HasSuffix(path, PathCutMark)
}

// CutPath returns path, or its first PathMax bytes followed by PathCutMark
// when it is longer. It allocates only when it cuts.
func CutPath(path string) string {
	if len(path) <= PathMax {
		return path
	}
	return path[:PathMax] + PathCutMark
}

// CutArgv returns the NUL-separated argument list raw (each argument
// followed by a NUL; a missing final NUL is tolerated) as a list of
// arguments, keeping at most ArgvHead+ArgvTail bytes as described above.
// dst is reused. The strings are copies, independent of raw.
func CutArgv(dst []string, raw []byte) []string {
	dst = dst[:0]
	if len(raw) == 0 {
		return dst
	}
	if raw[len(raw)-1] != 0 {
		raw = append(raw[:len(raw):len(raw)], 0)
	}
	if len(raw) <= ArgvHead+ArgvTail {
		return splitArgs(dst, string(raw))
	}
	b := make([]byte, 0, ArgvHead+len(ArgvCutMark)+ArgvTail)
	b = append(b, raw[:ArgvHead]...)
	b = append(b, ArgvCutMark...)
	b = append(b, raw[len(raw)-ArgvTail:]...)
	return splitArgs(dst, unsafe.String(&b[0], len(b)))
}

// CutArgs is CutArgv for arguments already split.
func CutArgs(args []string) []string {
	n := 0
	for _, a := range args {
		n += len(a) + 1
	}
	if n <= ArgvHead+ArgvTail {
		return args
	}
	raw := make([]byte, 0, n)
	for _, a := range args {
		raw = append(raw, a...)
		raw = append(raw, 0)
	}
	return CutArgv(nil, raw)
}

// splitArgs splits s, each argument ended by a NUL.
func splitArgs(dst []string, s string) []string {
	for len(s) > 0 {
		i := strings.IndexByte(s, 0)
		if i < 0 {
			dst = append(dst, s)
			break
		}
		dst = append(dst, s[:i])
		s = s[i+1:]
	}
	return dst
}
