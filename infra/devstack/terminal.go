package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
)

// ctrlC is the byte a terminal sends for Ctrl-C once it no longer turns
// it into SIGINT.
const ctrlC = 0x03

// catchCtrlC makes Ctrl-C on a terminal stdin a byte this process reads,
// not SIGINT for the whole foreground process group: make (which dies of
// the signal and reports an error) and the emulators then see nothing, and
// the stack stops them itself and exits 0. It returns a context cancelled
// on Ctrl-C and a function that restores the terminal; without a terminal
// it changes nothing.
func catchCtrlC(ctx context.Context) (context.Context, func()) {
	if fi, err := os.Stdin.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return ctx, func() {}
	}
	saved, err := stty("-g")
	if err != nil {
		return ctx, func() {}
	}
	if _, err := stty("-isig", "-icanon", "-echo", "min", "1", "time", "0"); err != nil {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		b := make([]byte, 1)
		for {
			n, err := os.Stdin.Read(b)
			if err != nil || (n == 1 && b[0] == ctrlC) {
				cancel()
				return
			}
		}
	}()
	return ctx, func() {
		_, _ = stty(strings.TrimSpace(saved))
		cancel()
	}
}

func stty(args ...string) (string, error) {
	cmd := exec.Command("stty", args...)
	cmd.Stdin = os.Stdin
	out, err := cmd.Output()
	return string(out), err
}
