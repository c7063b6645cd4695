// Package compiled holds the rules compiled to Go by gen. The generated
// rules_gen.go exports Rules; regenerate it with `go generate ./compiled`
// (or `make generate`) after changing the rules files.
package compiled

//go:generate go run ../gen -q -base .. -out . ../rules/lanner_rules.yaml
