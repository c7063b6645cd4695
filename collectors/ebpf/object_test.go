//go:build linux && (amd64 || arm64)

package ebpf

import (
	"runtime"
	"testing"
)

// TestObjectSpec: the BPF object of this architecture parses, names every
// program and map the collector uses, and reads its registers through the
// architecture's pt_regs (CO-RE relocations against that type).
func TestObjectSpec(t *testing.T) {
	spec, err := loadLanner()
	if err != nil {
		t.Fatal(err)
	}
	var specs lannerSpecs
	if err := spec.Assign(&specs); err != nil {
		t.Fatalf("assign: %v", err)
	}
	if specs.LannerTpExit == nil || specs.LannerExit == nil || specs.LannerExec == nil {
		t.Fatal("programs missing")
	}
	if got := spec.Types; got == nil {
		t.Fatal("object has no BTF")
	}
	regs := "pt_regs"
	if runtime.GOARCH == "arm64" {
		regs = "user_pt_regs___lanner"
	}
	if _, err := spec.Types.AnyTypeByName(regs); err != nil {
		t.Errorf("object of %s: %v", runtime.GOARCH, err)
	}
}
