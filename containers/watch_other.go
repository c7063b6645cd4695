//go:build !linux

package containers

// watcher reads containers as their runtime writes them; it needs inotify,
// so elsewhere than Linux there is none and Config.Watch does nothing.
type watcher struct{}

// newWatcher returns nil: inotify is Linux's.
func newWatcher(*Lookup) *watcher { return nil }

func (w *watcher) get(string) (Info, bool) { return Info{}, false }

func (w *watcher) close() {}
