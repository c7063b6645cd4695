package match

import (
	"fmt"
	"testing"
)

func TestPathPrefixes(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		paths    map[string]bool
	}{
		{
			name:     "whole components",
			patterns: []string{"/var/run", "/etc", "/lib", "/usr/lib"},
			paths: map[string]bool{
				"/var/run/docker":   true,
				"/var/run":          true,
				"/var/run/":         true,
				"/var/runx":         false,
				"/var/ru":           false,
				"/var":              false, // the pattern /var/run is longer than the path
				"/var/lib/messages": false,
				"/boot":             false,
				"/etc":              true,
				"/etc/passwd":       true,
				"/etcx":             false,
				"/usr/lib/x.so":     true,
				"/usr":              false,
				"/usr/libexec":      false,
				"/lib64":            false,
				"":                  false,
				"/":                 false,
			},
		},
		{
			name:     "shorter pattern first",
			patterns: []string{"/var", "/var/run"},
			paths: map[string]bool{
				"/var":     true,
				"/var/run": true,
				"/var/lib": true,
				"/varx":    false,
			},
		},
		{
			name:     "shorter pattern last",
			patterns: []string{"/usr/lib", "/usr"},
			paths: map[string]bool{
				"/usr/bin/bash": true,
				"/usr":          true,
				"/us":           false,
			},
		},
		{
			name:     "glob component",
			patterns: []string{"/opt/*/subdir"},
			paths: map[string]bool{
				"/opt/x/subdir/file":    true,
				"/opt/x/subdir":         true,
				"/opt/longer/subdir/a":  true,
				"/opt/x/subdirx":        false,
				"/opt/x/other":          false,
				"/opt/x":                false,
				"/opt/subdir":           false,
				"/opt/x/y/subdir":       false, // '*' stays inside one component
				"/opt//x//subdir//file": true,
			},
		},
		{
			name:     "question mark component",
			patterns: []string{"/opt/di?/x"},
			paths: map[string]bool{
				"/opt/dir/x":   true,
				"/opt/dix/x/y": true,
				"/opt/dirs/x":  false,
				"/opt/di/x":    false,
				"/opt/dir/y":   false,
			},
		},
		{
			name:     "bracket component",
			patterns: []string{"/proc/[0-9]*/environ"},
			paths: map[string]bool{
				"/proc/1/environ":     true,
				"/proc/4242/environ":  true,
				"/proc/self/environ":  false,
				"/proc/1/task/1/envi": false,
			},
		},
		{
			name:     "literal and glob siblings",
			patterns: []string{"/opt/*/a", "/opt/b/c"},
			paths: map[string]bool{
				"/opt/b/a": true, // the literal b leads nowhere, the glob does
				"/opt/b/c": true,
				"/opt/z/a": true,
				"/opt/z/c": false,
			},
		},
		{
			name:     "several glob siblings",
			patterns: []string{"/x/a*/one", "/x/*b/two"},
			paths: map[string]bool{
				"/x/ab/one": true,
				"/x/ab/two": true,
				"/x/ac/two": false,
				"/x/cb/one": false,
			},
		},
		{
			name:     "glob then literal deeper",
			patterns: []string{"/home/*/.ssh"},
			paths: map[string]bool{
				"/home/alice/.ssh/authorized_keys": true,
				"/home/alice/.sshx":                false,
				"/home/.ssh":                       false,
			},
		},
		{
			name:     "root",
			patterns: []string{"/"},
			paths: map[string]bool{
				"/":         true,
				"/etc":      true,
				"/a/b/c":    true,
				"":          true,
				"relative":  true,
				"//double/": true,
			},
		},
		{
			name:     "slashes in patterns are not significant",
			patterns: []string{"var/run/", "//etc//ssh//"},
			paths: map[string]bool{
				"/var/run/docker.sock": true,
				"var/run":              true,
				"/etc/ssh/sshd_config": true,
				"/etc/sshd":            false,
			},
		},
		{
			name:     "backslash is literal in a component without glob bytes",
			patterns: []string{`/a\b`},
			paths: map[string]bool{
				`/a\b/c`: true,
				"/ab":    false,
			},
		},
		{
			name:     "empty pattern has no components",
			patterns: []string{""},
			paths: map[string]bool{
				"/anything": true,
				"":          true,
			},
		},
		{
			name:     "empty set",
			patterns: nil,
			paths: map[string]bool{
				"/":    false,
				"/etc": false,
				"":     false,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPathPrefixes(tt.patterns...)
			for path, want := range tt.paths {
				if got := p.Match(path); got != want {
					t.Errorf("%q pmatch %q = %v, want %v", path, tt.patterns, got, want)
				}
			}
		})
	}
}

func TestPathPrefixesNil(t *testing.T) {
	var p *PathPrefixes
	if p.Match("/etc") {
		t.Error("nil *PathPrefixes matched")
	}
}

func BenchmarkPathPrefixesMatch(b *testing.B) {
	patterns := []string{
		"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin",
		"/etc", "/var/run", "/var/lib/docker", "/proc/*/environ", "/home/*/.ssh",
		"/opt/*/bin", "/root/.ssh", "/boot", "/lib", "/lib64", "/usr/lib",
	}
	for i := range 50 {
		patterns = append(patterns, fmt.Sprintf("/srv/app%d/data", i))
	}
	p := NewPathPrefixes(patterns...)
	for _, path := range []string{
		"/usr/local/bin/python3",
		"/home/alice/.ssh/authorized_keys",
		"/var/lib/kubelet/pods/1234/volumes/kubernetes.io~secret/token",
		"/srv/app42/data/db.sqlite",
	} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Match(path)
			}
		})
	}
}
