package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileMemory is the most memory a check of a hostile file may take.
const hostileMemory = 512 << 20

// hostileFiles are files made to exhaust a YAML loader, by name: the
// lanner subcommand that reads them, their content, and what the error
// must say.
func hostileFiles() []struct{ name, cmd, content, want string } {
	// Rules: an anchor of 40,000 list items, aliased by list after list
	// up to 1 MB: 6,000 copies of it as the reader follows the aliases.
	var bomb strings.Builder
	bomb.WriteString("- list: base\n  items: &a [")
	for i := range 40000 {
		if i > 0 {
			bomb.WriteString(",")
		}
		fmt.Fprintf(&bomb, "item_%015d", i)
	}
	bomb.WriteString("]\n")
	for i := 0; bomb.Len() < 1_000_000; i++ {
		fmt.Fprintf(&bomb, "- list: l%d\n  items: *a\n", i)
	}
	// Rules: the billion laughs, ten aliases of the level below on each
	// of nine levels.
	var billion strings.Builder
	billion.WriteString("- list: l0\n  items: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&billion, "- list: l%d\n  items: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	// Config: nine levels of nine aliases each, 9^8 strings, in 300 bytes.
	laughs := `http-header: [&a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`
	for i, c := range "bcdefgh" {
		prev := string("abcdefgh"[i])
		laughs += fmt.Sprintf(", &%c [%s]", c, strings.TrimSuffix(strings.Repeat("*"+prev+",", 9), ","))
	}
	laughs += "]\n"
	nested := strings.Repeat("[", 40000) + strings.Repeat("]", 40000)
	terms := make([]string, 20000)
	for i := range terms {
		terms[i] = fmt.Sprintf("proc.name = abcdefgh%d", i)
	}
	return []struct{ name, cmd, content, want string }{
		{"alias-bomb.yaml", "rules", bomb.String(), "YAML aliases expand to more than"},
		{"billion-laughs.yaml", "rules", billion.String(), "YAML aliases expand to more than"},
		// As many tokens as pass the estimate made before lexing.
		{"many-tokens.yaml", "rules", "- list: x\n  items: [" + strings.Repeat("a, ", 166000) + "a]\n", "more than 250000 YAML tokens"},
		{"nested.yaml", "rules", "- rule: r\n  condition: " + nested + "\n", "YAML nested more than"},
		{"long-condition.yaml", "rules", "- rule: big\n  desc: d\n  output: o\n  priority: INFO\n  condition: " +
			strings.Join(terms, " or ") + "\n", "value of 'condition' is"},
		{"alias-bomb-config.yaml", "config", laughs, "YAML aliases expand to more than"},
		{"nested-config.yaml", "config", "out-file: " + nested + "\n", "YAML"},
		{"huge-config.yaml", "config", strings.Repeat("# padding\n", 100_000), "more than"},
	}
}

// TestHostileFiles runs `lanner rules check` and `lanner config check` on
// each hostile file: each gets one error line naming the file (with line
// and column where the problem has a place), exit status 1, and takes
// less than hostileMemory at its peak.
func TestHostileFiles(t *testing.T) {
	bin := lanner(t)
	dir := t.TempDir()
	for _, h := range hostileFiles() {
		t.Run(h.name, func(t *testing.T) {
			path := filepath.Join(dir, h.name)
			if err := os.WriteFile(path, []byte(h.content), 0o600); err != nil {
				t.Fatal(err)
			}
			// A hang guard only: the check takes well under a second.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, h.cmd, "check", path)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("%s check did not finish in 2 minutes", h.cmd)
			}
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("exit status %d (%v), want 1", code, err)
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], path) || !strings.Contains(lines[0], h.want) {
				t.Errorf("stderr %q, want one line naming %s and saying %q", stderr.String(), path, h.want)
			}
			if !strings.HasPrefix(h.name, "huge") && !regexp.MustCompile(regexp.QuoteMeta(path)+`:\d+:\d+: `).MatchString(lines[0]) {
				t.Errorf("error %q has no file:line:col", lines[0])
			}
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // kB on Linux
			t.Logf("%s: peak RSS %d MiB", h.name, rss>>20)
			if rss >= hostileMemory {
				t.Errorf("peak RSS %d MiB, want less than %d MiB", rss>>20, hostileMemory>>20)
			}
		})
	}
}
