package rie

import (
	"os/exec"
	"syscall"
)

// ownGroup puts the emulator and the bootstrap it starts in a process
// group of their own, stopped together by Close, and has the kernel stop
// the emulator if the process that started it dies without calling Close.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
