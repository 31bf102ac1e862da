//go:build !linux

package localaws

import "os/exec"

// stopWithParent does nothing where there is no parent-death signal;
// Close must stop the emulators.
func stopWithParent(*exec.Cmd) {}
