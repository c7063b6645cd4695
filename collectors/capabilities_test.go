package collectors

import (
	"testing"

	"github.com/lannersec/lanner/event"
)

// TestLimit: a limit names the fields of its key, indexed ones by their
// name; limits on an event type hold on that type only.
func TestLimit(t *testing.T) {
	c := Capabilities{
		Limits:   map[string]string{"proc.aname,proc.cwd": "everywhere"},
		LimitsOn: map[event.Type]map[string]string{event.TypeConnect: {"fd.name,evt.args": "on connect"}},
	}
	for _, tc := range []struct {
		t     event.Type
		field string
		want  string
	}{
		{event.TypeOpenat, "proc.cwd", "everywhere"},
		{event.TypeOpenat, "proc.aname[2]", "everywhere"},
		{event.TypeOpenat, "proc.aname", "everywhere"},
		{event.TypeOpenat, "proc.anam", ""},
		{event.TypeOpenat, "proc.cwd2", ""},
		{event.TypeConnect, "evt.args", "on connect"},
		{event.TypeConnect, "fd.name", "on connect"},
		{event.TypeSendto, "fd.name", ""},
		{event.TypeConnect, "fd.nam", ""},
		{event.TypeConnect, "evt.args,fd.name", ""},
	} {
		why, ok := c.Limit(tc.t, tc.field)
		if why != tc.want || ok != (tc.want != "") {
			t.Errorf("Limit(%s, %q) = %q %v, want %q", tc.t, tc.field, why, ok, tc.want)
		}
	}
}
