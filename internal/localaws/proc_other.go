//go:build !linux

package localaws

import (
	"errors"
	"os/exec"
)

// stopWithParent does nothing where there is no parent-death signal;
// Close must stop the emulators.
func stopWithParent(*exec.Cmd) {}

// ListeningPorts needs Linux's /proc.
func ListeningPorts(int) ([]int, error) {
	return nil, errors.ErrUnsupported
}
