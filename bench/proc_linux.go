package main

import "syscall"

// childAttr puts a child in a process group of its own, away from the
// terminal's Ctrl-C (the harness kills it), and has the kernel kill it if
// the harness dies first, even by SIGKILL.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
