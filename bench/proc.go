package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// tailLines is how many of a child's last output lines an error quotes.
const tailLines = 8

// line is one line a child printed, with the time the harness read it.
type line struct {
	t time.Time
	s string
}

// proc is a child process whose stdout and stderr (merged) are read line
// by line into lines. The reader never blocks the child: it appends to a
// slice, so a child whose output nobody waits for can still write all it
// wants.
type proc struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser // kept open: zenoh-pico's z_pong spins on EOF

	mu    sync.Mutex
	lines []line

	exited  chan struct{} // closed once the output is read and Wait returned
	waitErr error         // set before exited is closed
}

// procSet owns every child the harness started: killAll ends them all and
// waits for them, whatever state the run is in.
type procSet struct {
	mu    sync.Mutex
	procs []*proc
}

// start runs argv[0] with argv[1:] in a process group of its own (a
// Ctrl-C at the terminal reaches the harness only, which kills its
// children), killed with the harness if it dies (Linux). name labels it in
// errors.
func (ps *procSet) start(name string, argv []string) (*proc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = childAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cmd.Stderr = cmd.Stdout
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, stdin: stdin, exited: make(chan struct{})}
	// Register before Start, under the lock killAll takes: a child is
	// never running without being in the set.
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s (%s): %w", name, argv[0], err)
	}
	ps.procs = append(ps.procs, p)
	go p.read(out)
	return p, nil
}

// read collects the child's output until EOF, then reaps it.
func (p *proc) read(out io.Reader) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := line{t: time.Now(), s: sc.Text()}
		p.mu.Lock()
		p.lines = append(p.lines, l)
		p.mu.Unlock()
	}
	// The pipe is closed (the child exited or was killed), or a line was
	// too long: drain what is left so the child never blocks on a write.
	_, _ = io.Copy(io.Discard, out)
	err := p.cmd.Wait()
	p.mu.Lock()
	p.waitErr = err
	p.mu.Unlock()
	close(p.exited)
}

// snapshot returns the lines read so far; the caller must not modify them.
func (p *proc) snapshot() []line {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lines[:len(p.lines):len(p.lines)]
}

// tail returns the last lines of output, for error messages.
func (p *proc) tail() string {
	ls := p.snapshot()
	ls = ls[max(0, len(ls)-tailLines):]
	var b strings.Builder
	for _, l := range ls {
		b.WriteString("\n    | ")
		b.WriteString(l.s)
	}
	if b.Len() == 0 {
		return " (no output)"
	}
	return b.String()
}

// hasExited reports whether the child is gone, and how it ended.
func (p *proc) hasExited() (bool, error) {
	select {
	case <-p.exited:
		p.mu.Lock()
		defer p.mu.Unlock()
		return true, p.waitErr
	default:
		return false, nil
	}
}

// pollEvery is how often await looks at the children. Lines carry the
// time they were read, not the time await saw them, so polling costs no
// precision.
const pollEvery = 5 * time.Millisecond

// await polls until cond holds (nil), one of watch exits (an error quoting
// its output), timeout passes (an error naming what) or ctx is done.
func await(ctx context.Context, timeout time.Duration, what string, watch []*proc, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		if cond() {
			return nil
		}
		for _, p := range watch {
			if gone, err := p.hasExited(); gone {
				if err == nil {
					err = errors.New("exit status 0")
				}
				return fmt.Errorf("%s ended (%v) while waiting for %s; its last output:%s", p.name, err, what, p.tail())
			}
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, p := range watch {
				fmt.Fprintf(&b, "; last output of %s:%s", p.name, p.tail())
			}
			return fmt.Errorf("no %s within %v%s", what, timeout, b.String())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// hasLine reports whether the child printed a line containing substr.
func (p *proc) hasLine(substr string) bool {
	for _, l := range p.snapshot() {
		if strings.Contains(l.s, substr) {
			return true
		}
	}
	return false
}

// waitExit waits for the child to end by itself, successfully.
func (p *proc) waitExit(ctx context.Context, timeout time.Duration) error {
	select {
	case <-p.exited:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(timeout):
		return fmt.Errorf("%s still running after %v; its last output:%s", p.name, timeout, p.tail())
	}
	if _, err := p.hasExited(); err != nil {
		return fmt.Errorf("%s failed (%v); its last output:%s", p.name, err, p.tail())
	}
	return nil
}

// kill ends the child. os.Process.Kill is safe after the child was
// reaped (it never signals a reused pid). None of the children starts
// processes of its own: stdbuf execs the pico example in its place.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	_ = p.stdin.Close()
}

// killAll kills every child still in the set and waits (boundedly) until
// each one is reaped and its output read, so no goroutine outlives it.
func (ps *procSet) killAll() {
	ps.mu.Lock()
	procs := ps.procs
	ps.procs = nil
	ps.mu.Unlock()
	for _, p := range procs {
		p.kill()
	}
	for _, p := range procs {
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			// The child was killed; its reader ends with the pipe.
		}
	}
}
