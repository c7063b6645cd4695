package match

import "testing"

func TestTransform(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		text     string
		n        int64
		ok       bool
	}{
		{TransformToLower, "BaSH", "bash", 0, true},
		{TransformToUpper, "BaSH", "BASH", 0, true},
		{TransformB64, "aGVsbG8=", "hello", 0, true},
		{TransformB64, "not base64!", "", 0, false},
		{TransformBasename, "/usr/bin/bash", "bash", 0, true},
		{TransformLen, "/etc/shadow", "", 11, true},
		{TransformLen, "", "", 0, true},
		{"join", "x", "", 0, false},
	} {
		text, n, ok := Transform(tt.name, tt.in)
		if text != tt.text || n != tt.n || ok != tt.ok {
			t.Errorf("Transform(%q, %q) = %q, %d, %v, want %q, %d, %v", tt.name, tt.in, text, n, ok, tt.text, tt.n, tt.ok)
		}
		if IsTransformer(tt.name) != (tt.name != "join") {
			t.Errorf("IsTransformer(%q) = %v", tt.name, IsTransformer(tt.name))
		}
	}
	if !TransformerTakesBytes(TransformB64) || !TransformerTakesBytes(TransformLen) || TransformerTakesBytes(TransformToLower) {
		t.Error("TransformerTakesBytes: only b64 and len take bytes")
	}
	if !TransformerYieldsLength(TransformLen) || TransformerYieldsLength(TransformBasename) {
		t.Error("TransformerYieldsLength: only len yields a number")
	}
}
