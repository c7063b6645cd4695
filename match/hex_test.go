package match

import (
	"bytes"
	"testing"
)

func TestParseHex(t *testing.T) {
	tests := []struct {
		in      string
		want    []byte
		wantErr bool
	}{
		{"", []byte{}, false},
		{"cafebabe", []byte{0xca, 0xfe, 0xba, 0xbe}, false},
		{"CAFEBABE", []byte{0xca, 0xfe, 0xba, 0xbe}, false},
		{"7f454C46", []byte{0x7f, 'E', 'L', 'F'}, false},
		{"00ff", []byte{0x00, 0xff}, false},
		{"abc", nil, true},
		{"a", nil, true},
		{"zz", nil, true},
		{"0g", nil, true},
		{"0x00", nil, true},
		{" 00", nil, true},
		{"00 ", nil, true},
		{"de:ad", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseHex(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseHex(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && !bytes.Equal(got, tt.want) {
			t.Errorf("ParseHex(%q) = %x, want %x", tt.in, got, tt.want)
		}
	}
}
