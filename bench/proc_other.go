//go:build !linux

package main

import "syscall"

// childAttr puts a child in a process group of its own, away from the
// terminal's Ctrl-C (the harness kills it).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
