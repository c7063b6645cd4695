package state

import (
	"testing"

	"github.com/lannersec/lanner/containers"
)

func FuzzParseStat(f *testing.F) {
	for _, s := range []string{
		"17898 (cat) R 17896 17896 15512 0 -1 4194304 96 0 1 0 0 0 0 0 20 0 1 0 634546 3133440 355 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0",
		"1 ((sd-pam)) S 0 1 1 34816 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0",
		"Name:\tgrep\nTgid:\t17899\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nNSpid:\t17899\t1\nNSpgid:\t17896\nNSsid:\t15512\nCapEff:\t000001fffeffffff\n",
		"btime 1795759297\n",
		"root:x:0:0:root:/root:/bin/bash\n",
		"0::/docker/3f4e1c2b9d8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e\n",
		"",
		")(",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if st, ok := parseStat(b); ok && (st.pid <= 0 || st.startTicks > 1<<39) {
			t.Errorf("parseStat accepted %+v", st)
		}
		parseStatus(b)
		parseBootTime(b)
		splitNul(b)
		s := string(b)
		parseIDLine(s)
		if id, _, ok := containers.ContainerIDFromCgroup(s); ok && id == "" {
			t.Error("empty container id")
		}
	})
}
