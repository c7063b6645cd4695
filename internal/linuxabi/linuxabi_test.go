package linuxabi

import (
	"net/netip"
	"testing"
)

func TestParseInetSockaddr(t *testing.T) {
	v6 := make([]byte, 28)
	v6[0], v6[2], v6[3] = AFInet6, 0x01, 0xbb
	copy(v6[8:], netip.MustParseAddr("2001:db8::1").AsSlice())
	tests := []struct {
		name string
		in   []byte
		want string
		ok   bool
	}{
		{"inet", []byte{AFInet, 0, 0x00, 0x50, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, "127.0.0.1:80", true},
		{"inet bare", []byte{AFInet, 0, 0x1f, 0x90, 10, 1, 2, 3}, "10.1.2.3:8080", true},
		{"inet6", v6, "[2001:db8::1]:443", true},
		{"inet short", []byte{AFInet, 0, 0, 80, 127, 0, 0}, "", false},
		{"inet6 short", v6[:23], "", false},
		{"unix", []byte{AFUnix, 0, '/', 't', 'm', 'p'}, "", false},
		{"netlink", []byte{AFNetlink, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "", false},
		{"empty", nil, "", false},
		{"family only", []byte{AFInet, 0}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ap, ok := ParseInetSockaddr(tt.in)
			if ok != tt.ok || ok && ap.String() != tt.want {
				t.Errorf("ParseInetSockaddr(%x) = %v, %v; want %s, %v", tt.in, ap, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzParseInetSockaddr(f *testing.F) {
	f.Add([]byte{AFInet, 0, 0x00, 0x50, 127, 0, 0, 1})
	f.Add(make([]byte, 28))
	f.Fuzz(func(t *testing.T, b []byte) {
		ap, ok := ParseInetSockaddr(b)
		if ok != ap.IsValid() {
			t.Errorf("ParseInetSockaddr(%x) = %v, %v", b, ap, ok)
		}
	})
}
