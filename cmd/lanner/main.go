// Command lanner is a runtime security monitor for Linux. It watches the
// machine at the syscall level and raises alerts with rules written in the
// Falco rule language, compiled into this binary.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/alecthomas/kong"

	"github.com/lannersec/lanner/selfcheck"
)

// version, commit and buildDate are set at build time with -ldflags
// "-X main.version=... -X main.commit=... -X main.buildDate=..." (make build
// and make dist do it).
var (
	version   = "dev"
	commit    = ""
	buildDate = ""
)

type cli struct {
	Run        runCmd        `cmd:"" help:"Watch this machine and raise alerts."`
	Record     recordCmd     `cmd:"" help:"Record the enriched event stream to a file."`
	Collectors collectorsCmd `cmd:"" help:"Probe which collectors work here and what each can see."`
	Replay     replayCmd     `cmd:"" help:"Run recorded events through the rules."`
	Config     configCmd     `cmd:"" help:"Check a configuration file."`
	Version    versionCmd    `cmd:"" help:"Print the version."`
	Rules      rulesCmd      `cmd:"" help:"List, check and test rules."`
	Fields     fieldsCmd     `cmd:"" help:"List the fields rules can use."`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == selfcheck.ProbeArg {
		os.Exit(selfcheck.RunProbe(os.Args[2:]))
	}
	var c cli
	opts := []kong.Option{
		kong.Name("lanner"),
		kong.Description("Runtime security monitor for Linux, with Falco rules compiled to Go."),
		kong.UsageOnError(),
	}
	fc, err := falcoArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "lanner:", err)
		os.Exit(1)
	}
	for _, n := range fc.notes {
		fmt.Fprintln(os.Stderr, "lanner:", n)
	}
	if p := configPath(fc.args); p != "" || len(fc.overrides) > 0 {
		lc, err := loadConfig(p, fc.overrides)
		if err != nil {
			fmt.Fprintln(os.Stderr, "lanner:", err)
			os.Exit(1)
		}
		for _, w := range lc.warnings {
			fmt.Fprintln(os.Stderr, "lanner:", w)
		}
		opts = append(opts, kong.Resolvers(lc.resolver))
	}
	parser := kong.Must(&c, opts...)
	ctx, err := parser.Parse(fc.args)
	parser.FatalIfErrorf(err)
	if err := ctx.Run(); err != nil {
		var code exitCode
		if errors.As(err, &code) {
			os.Exit(int(code))
		}
		fmt.Fprintln(os.Stderr, "lanner:", err)
		os.Exit(1)
	}
}

// exitCode is an error that only carries an exit status; its message has
// already been printed.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

type versionCmd struct{}

func (versionCmd) Run() error {
	fmt.Println(versionLine())
	return nil
}

// versionLine is "lanner VERSION", then the commit and the build date when
// the build recorded them.
func versionLine() string {
	s := "lanner " + version
	if commit != "" {
		s += " commit " + commit
	}
	if buildDate != "" {
		s += " built " + buildDate
	}
	return s
}
