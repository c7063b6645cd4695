package config

import "testing"

func TestParseByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"", 0, true}, {"4096", 4096, true}, {"16MiB", 16 << 20, true}, {"16M", 16 << 20, true},
		{"64 KiB", 64 << 10, true}, {"1GiB", 1 << 30, true}, {"1g", 1 << 30, true}, {"100b", 100, true},
		{"2GiB", 0, false}, {"0", 0, false}, {"-1", 0, false}, {"MiB", 0, false}, {"16TiB", 0, false},
		{"16 MB", 0, false}, {"1e6", 0, false}, {"99999999999999999999", 0, false}, {"18446744073709551615k", 0, false},
	} {
		got, err := ParseByteSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
