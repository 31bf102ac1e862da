//go:build !linux

package rie

import (
	"os/exec"
	"syscall"
)

// ownGroup puts the emulator and its bootstrap in a process group of
// their own; without a parent-death signal, Close must stop them.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
