package rie

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
)

// makeTarget is a Makefile line `build-<LogicalId>: ; ... ./functions/<dir>`,
// the recipe sam build runs for each function.
var makeTarget = regexp.MustCompile(`(?m)^build-([A-Za-z0-9]+):.*\s(\./functions/[a-z0-9_]+)\s*$`)

// Packages maps each function's logical id to its main package, as the
// Makefile's build-<LogicalId> targets build them.
func Packages(root string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		return nil, fmt.Errorf("read Makefile: %w", err)
	}
	out := map[string]string{}
	for _, m := range makeTarget.FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = m[2]
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("makefile has no build-<LogicalId> targets")
	}
	return out, nil
}

// Build builds each package of pkgs (logical id → ./functions/<dir>) as
// the Makefile does for Lambda, for this machine's architecture (Lambda
// runs linux/arm64; the emulator runs what this machine can), into
// dir/<dir>/bootstrap. It returns the bootstrap of each logical id.
func Build(ctx context.Context, root, dir string, pkgs map[string]string) (map[string]string, error) {
	unique := map[string]bool{}
	for _, p := range pkgs {
		unique[p] = true
	}
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, "bin") + "/"}
	for p := range unique {
		args = append(args, p)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build bootstraps: %w\n%s", err, out)
	}
	boots := map[string]string{}
	for p := range unique {
		name := strings.TrimPrefix(p, "./functions/")
		dst := filepath.Join(dir, name, "bootstrap")
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := os.Rename(filepath.Join(dir, "bin", name), dst); err != nil {
			return nil, fmt.Errorf("bootstrap of %s: %w", p, err)
		}
	}
	for id, p := range pkgs {
		boots[id] = filepath.Join(dir, strings.TrimPrefix(p, "./functions/"), "bootstrap")
	}
	return boots, nil
}
