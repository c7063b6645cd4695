package fanotify

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lannersec/lanner/collectors"
)

func FuzzParseEvent(f *testing.F) {
	h := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	f.Add(metadata(fanOpen, 3, 1))
	f.Add(metadata(fanCreate|fanOnDir, fanNoFD, 2,
		fidInfo(infoTypeDFIDName, 1, 1, h, "d"), fidInfo(infoTypeFID, 1, 1, h, "")))
	f.Add(metadata(fanRename, fanNoFD, 3,
		fidInfo(infoTypeOldDFIDName, 1, 1, h, "a"), fidInfo(infoTypeNewDFIDName, 1, 1, h, "b")))
	f.Add(append(metadata(fanQOverflow, fanNoFD, 0), metadata(fanModify, 5, 5)...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		seen := 0
		lost := parseEvents(b, func(ev *rawEvent) {
			seen++
			for _, fid := range []*fileID{&ev.Obj, &ev.Dir, &ev.OldDir, &ev.NewDir} {
				if !fid.Valid {
					continue
				}
				if len(fid.Handle) == 0 || len(fid.Handle) > len(b) {
					t.Fatalf("handle of %d bytes from %d", len(fid.Handle), len(b))
				}
				if strings.ContainsAny(fid.Name, "/\x00") {
					t.Fatalf("name %q", fid.Name)
				}
			}
		})
		if lost < 0 || lost > len(b) || seen > len(b)/metadataLen {
			t.Fatalf("lost %d, %d events from %d bytes", lost, seen, len(b))
		}
		if !bytes.Equal(b, orig) {
			t.Fatal("parseEvents wrote into its input")
		}
		parseConnector(b, func(*procEvent) {})
		parseMountinfo(bytes.NewReader(b))
		parseStatus(b, new(collectors.Exec))
		parseStat(b)
		pickCgroup(b)
		splitNUL(b)
		unescapeMount(string(b))
	})
}
