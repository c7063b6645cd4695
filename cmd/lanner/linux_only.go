//go:build !linux

package main

// Lanner watches a Linux kernel (eBPF, kernel audit, fanotify, /proc): the
// command builds for Linux only, while the packages it is made of (rules,
// engine, outputs, replay) build everywhere. Building it elsewhere stops on
// the name below.
var _ = lanner_builds_for_linux_only
