// Package testutil holds helpers shared by Lanner's tests: locating the
// repository and the shared test material, kernel-feature gating, and
// compiling rules files into an overlay package.
package testutil

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

// Root returns the repository root.
func Root(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the repository")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Shared returns the path of a file in ../shared, failing the test when it
// is missing: tests never skip for lack of their input.
func Shared(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Root(t), "..", "shared", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared test material missing: %v", err)
	}
	return p
}

// UpstreamRules returns the upstream rules files in their load order.
func UpstreamRules(t testing.TB) []string {
	return []string{
		Shared(t, "falco-rules/falco_rules.yaml"),
		Shared(t, "falco-rules/falco-incubating_rules.yaml"),
		Shared(t, "falco-rules/falco-sandbox_rules.yaml"),
	}
}

// RequireKernel skips a test that needs root or a kernel feature, unless
// LANNER_REQUIRE_KERNEL=1 is set, when it fails instead.
func RequireKernel(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("LANNER_REQUIRE_KERNEL") == "1" {
		t.Fatalf("required kernel feature unavailable: %s", why)
	}
	t.Skip(why)
}

// CompileOverlay generates Go code for rules files into a temporary
// directory as package pkg, and writes a go build overlay that places it at
// dir/rules_gen.go (dir relative to the repository root). It returns the
// overlay file's path, for `go build -overlay` or `go test -overlay`.
func CompileOverlay(t testing.TB, pkg, dir string, rules ...string) string {
	t.Helper()
	root := Root(t)
	tmp := t.TempDir()
	args := append([]string{"run", "./gen", "-q", "-pkg", pkg, "-out", tmp}, rules...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen: %v\n%s", err, out)
	}
	ov := map[string]map[string]string{"Replace": {
		filepath.Join(root, dir, "rules_gen.go"): filepath.Join(tmp, "rules_gen.go"),
	}}
	data, _ := json.Marshal(ov)
	p := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// BuildLanner builds the lanner binary into a temporary directory, with the
// given overlay ("" for none), and returns its path.
func BuildLanner(t testing.TB, overlay string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lanner")
	args := []string{"build", "-o", bin}
	if overlay != "" {
		args = append(args, "-overlay", overlay)
	}
	args = append(args, "./cmd/lanner")
	cmd := exec.Command("go", args...)
	cmd.Dir = Root(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// kernelLock is a machine-wide lock file: tests that attach to the kernel
// (collectors, live runs of the binary) take it so that two of them never
// run at once, even from different test binaries.
const kernelLock = "/tmp/lanner-kernel-tests.lock"

// LockKernel takes the machine-wide kernel test lock until the test ends.
// It also requires root (see RequireKernel).
func LockKernel(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		RequireKernel(t, "needs root")
	}
	f, err := os.OpenFile(kernelLock, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("kernel test lock: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("kernel test lock: %v", err)
	}
	t.Cleanup(func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}
