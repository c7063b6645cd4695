package match

// A transformer is a function of the rule language applied to a field's
// value before it is compared or printed, as in tolower(proc.name). The
// transformers Lanner evaluates are all here, by their rule-language names:
//
//	tolower   ASCII letters to lower case ([ToLower])
//	toupper   ASCII letters to upper case ([ToUpper])
//	b64       base64 decoding ([B64]); absent when the text is not base64
//	basename  the text after the last '/' ([Basename])
//	len       the length in bytes, a number
//
// All take text; b64 and len take bytes too. The compiler checks names and
// argument kinds with [IsTransformer], [TransformerTakesBytes] and
// [TransformerYieldsLength]; generated code and the interpreter apply them
// with [Transform]. (val(field), which compares with another field's value,
// is an operand of the language, not a transformer.)

// Transformer names.
const (
	TransformToLower  = "tolower"
	TransformToUpper  = "toupper"
	TransformB64      = "b64"
	TransformBasename = "basename"
	TransformLen      = "len"
)

// IsTransformer reports whether name is a transformer Lanner evaluates.
func IsTransformer(name string) bool {
	switch name {
	case TransformToLower, TransformToUpper, TransformB64, TransformBasename, TransformLen:
		return true
	}
	return false
}

// TransformerTakesBytes reports whether transformer name applies to a
// bytes value (b64 and len) as well as to text.
func TransformerTakesBytes(name string) bool {
	return name == TransformB64 || name == TransformLen
}

// TransformerYieldsLength reports whether transformer name yields a number,
// the length of its argument (len), rather than text.
func TransformerYieldsLength(name string) bool {
	return name == TransformLen
}

// Transform applies transformer name to s. A transformer that yields text
// returns it in text; len returns the length of s in bytes in n. ok is
// false when the transformer cannot apply (b64 of text that is not base64)
// or when name is no transformer. The transformers may allocate.
func Transform(name, s string) (text string, n int64, ok bool) {
	switch name {
	case TransformToLower:
		return ToLower(s), 0, true
	case TransformToUpper:
		return ToUpper(s), 0, true
	case TransformB64:
		t, ok := B64(s)
		return t, 0, ok
	case TransformBasename:
		return Basename(s), 0, true
	case TransformLen:
		return "", int64(len(s)), true
	}
	return "", 0, false
}
