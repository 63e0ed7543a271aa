package interop

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// picoDir returns the zenoh-pico examples folder, or skips the test.
func picoDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ZPICO_EXAMPLES")
	if dir == "" {
		t.Skip("ZPICO_EXAMPLES is not set: build zenoh-pico 1.9.0 with ../shared/tools/setup-pico.sh and export it to run interop tests")
	}
	if _, err := os.Stat(filepath.Join(dir, "z_sub")); err != nil {
		t.Fatalf("ZPICO_EXAMPLES=%s has no z_sub: %v", dir, err)
	}
	return dir
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// proc is a running pico example whose output lines arrive on Lines.
type proc struct {
	cmd   *exec.Cmd
	lines chan string
	mu    sync.Mutex
	all   []string
	done  chan struct{}
}

// start runs a pico example with line-buffered output. It is killed when
// the test ends.
func start(t *testing.T, dir, name string, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	argv := append([]string{"-oL", filepath.Join(dir, name)}, args...)
	cmd := exec.CommandContext(ctx, "stdbuf", argv...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{cmd: cmd, lines: make(chan string, 1024), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64*1024), 4<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.all = append(p.all, sc.Text())
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
		_ = cmd.Wait()
		if t.Failed() {
			p.mu.Lock()
			t.Logf("%s output:\n%s", name, strings.Join(p.all, "\n"))
			p.mu.Unlock()
		}
	})
	return p
}

// waitLines waits until n output lines containing substr have appeared.
func (p *proc) waitLines(t *testing.T, substr string, n int, timeout time.Duration) []string {
	t.Helper()
	deadline := time.After(timeout)
	var got []string
	for len(got) < n {
		select {
		case l := <-p.lines:
			if strings.Contains(l, substr) {
				got = append(got, l)
			}
		case <-deadline:
			t.Fatalf("after %v: %d of %d lines with %q", timeout, len(got), n, substr)
		}
	}
	return got
}

// waitListening waits until something accepts TCP connections on addr.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
		// Polling a port has no event to wait on; retry on a short tick.
		<-time.After(20 * time.Millisecond)
	}
}
