// Command lanner is a runtime security monitor for Linux. It watches the
// machine at the syscall level and raises alerts with rules written in the
// Falco rule language, compiled into this binary.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/lannersec/lanner/config"
	"github.com/lannersec/lanner/metrics"
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

// Exit statuses: 1 for a failure (bad configuration, no collector, ...),
// 2 for a mistake on the command line.
const exitUsage = 2

func main() {
	os.Exit(lannerMain(os.Args[1:]))
}

func lannerMain(args []string) int {
	if len(args) > 0 && args[0] == selfcheck.ProbeArg {
		return selfcheck.RunProbe(args[1:])
	}
	metrics.SetBuildInfo(version, commit, buildDate)
	var c cli
	var cf *config.File
	opts := []kong.Option{
		kong.Name("lanner"),
		kong.Description("Runtime security monitor for Linux, with Falco rules compiled to Go."),
	}
	fc, err := config.FalcoArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lanner:", err)
		return 1
	}
	for _, n := range fc.Notes {
		fmt.Fprintln(os.Stderr, "lanner:", n)
	}
	p := config.Path(fc.Args)
	if p == "" {
		p = fc.Config
	}
	if p != "" || len(fc.Overrides) > 0 {
		var errs []error
		cf, errs = config.Check(p, fc.Overrides)
		if len(errs) > 0 {
			// Report the rest too, as config check does.
			errs = append(errs, cf.CheckRun()...)
			config.PrintErrors(os.Stderr, errs)
			return 1
		}
		for _, w := range cf.Warnings {
			fmt.Fprintln(os.Stderr, "lanner:", w)
		}
		cf.OnCommandLine = config.CommandLineFlags(fc.Args)
		r, err := cf.Resolver(nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, "lanner:", err)
			return 1
		}
		opts = append(opts, kong.Resolvers(r))
	}
	opts = append(opts, kong.Bind(cf))
	k, err := kong.New(&c, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lanner:", err)
		return 1
	}
	ctx, err := k.Parse(fc.Args)
	if err != nil {
		fmt.Fprintln(os.Stderr, usageError(err))
		return exitUsage
	}
	if err := ctx.Run(); err != nil {
		var code exitCode
		if errors.As(err, &code) {
			return int(code)
		}
		fmt.Fprintln(os.Stderr, "lanner:", err)
		return 1
	}
	return 0
}

// usageError renders a command-line mistake as one line, with where to
// look for the right usage.
func usageError(err error) string {
	help := "lanner --help"
	var pe *kong.ParseError
	if errors.As(err, &pe) && pe.Context != nil {
		var names []string
		for _, p := range pe.Context.Path {
			if p.Command != nil {
				names = append(names, p.Command.Name)
			}
		}
		if len(names) > 0 {
			help = "lanner " + strings.Join(names, " ") + " --help"
		}
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	return fmt.Sprintf("lanner: error: %s (see %s)", msg, help)
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
