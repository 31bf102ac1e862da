package localaws

import (
	"os/exec"
	"strings"
	"testing"
)

// TestMakeFuzzFailsOnBuildFailure: a fuzz package that does not compile
// fails make fuzz instead of being skipped as having no fuzz targets.
func TestMakeFuzzFailsOnBuildFailure(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("make", "-s", "fuzz", "FUZZ_PKGS=./internal/localaws/testdata/brokenfuzz", "FUZZTIME=1s")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("make fuzz on a package that does not compile exited 0:\n%s", out)
	}
	if !strings.Contains(string(out), "undefinedFunction") {
		t.Errorf("make fuzz failed without the compiler's error:\n%s", out)
	}
}
