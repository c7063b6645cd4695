// Package config holds what `lanner run` is told: its flags (RunFlags),
// Lanner's configuration file and Falco's falco.yaml translated into them
// (Check), Falco's command line turned into Lanner's (FalcoArgs), and the
// validation both `run` and `lanner config check` apply: every problem
// reported, each naming its flag and, when it comes from the file, its
// line.
package config
