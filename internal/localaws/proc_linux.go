package localaws

import (
	"os/exec"
	"syscall"
)

// stopWithParent has the kernel stop the emulator if the process that
// started it dies without calling Close (a test binary that times out).
func stopWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
