package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/actors"
	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/actortest"
)

// nodeBin is the node binary the tests run, built once by TestMain
// without -race: the children measure nothing, but under the race
// detector they would be too slow to keep the tests short.
var nodeBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "node-bench-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	nodeBin = filepath.Join(dir, "node")
	if out, err := exec.Command("go", "build", "-o", nodeBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the node binary: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running node binary whose output lines are collected.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once the process exited and its output was read

	mu             sync.Mutex
	stdout, stderr []string
	more           chan struct{} // signalled (not closed) when a line arrives
}

// start runs the node binary with args; it is killed when the test ends.
func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, cmd: exec.Command(nodeBin, args...),
		done: make(chan struct{}), more: make(chan struct{}, 1)}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errOut, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	var readers sync.WaitGroup
	readers.Add(2)
	go p.collect(out, &p.stdout, &readers)
	go p.collect(errOut, &p.stderr, &readers)
	go func() {
		// Wait only once both pipes are drained, as os/exec requires.
		readers.Wait()
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s: still running 10 s after SIGKILL", name)
		}
		if t.Failed() {
			t.Logf("%s %s\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "),
				strings.Join(p.lines(&p.stdout), "\n"), strings.Join(p.lines(&p.stderr), "\n"))
		}
	})
	return p
}

func (p *proc) collect(r io.Reader, dst *[]string, wg *sync.WaitGroup) {
	defer wg.Done()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		p.mu.Lock()
		*dst = append(*dst, sc.Text())
		p.mu.Unlock()
		select {
		case p.more <- struct{}{}:
		default:
		}
	}
}

func (p *proc) lines(src *[]string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), *src...)
}

// waitStderr waits until a line of stderr contains sub.
func (p *proc) waitStderr(sub string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		for _, l := range p.lines(&p.stderr) {
			if strings.Contains(l, sub) {
				return
			}
		}
		select {
		case <-p.more:
		case <-p.done:
			p.t.Fatalf("%s exited before printing %q", p.name, sub)
		case <-deadline.C:
			p.t.Fatalf("%s: no %q on stderr within %v", p.name, sub, timeout)
		}
	}
}

// wait waits for the process to exit and returns its exit status.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		p.t.Fatalf("%s still running after %v", p.name, timeout)
		return -1
	}
}

// startRouter starts `node` as a router on a free loopback port and
// returns its endpoint once it listens.
func startRouter(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ep := "tcp/" + l.Addr().String()
	l.Close()
	r := start(t, "router", "-l", ep, "--no-multicast-scouting")
	// Printed once every listener is bound.
	r.waitStderr("gozenoh node started", 10*time.Second)
	return ep
}

var reportLine = regexp.MustCompile(`^([0-9]+\.[0-9]) msg/s$`)

func TestBenchThroughput(t *testing.T) {
	ep := startRouter(t)
	sub := start(t, "sub-thr", "bench", "sub-thr", "-e", ep, "-n", "3")
	start(t, "pub-thr", "bench", "pub-thr", "-e", ep)
	if code := sub.wait(30 * time.Second); code != 0 {
		t.Fatalf("sub-thr exited with status %d", code)
	}
	var reports int
	var median bool
	for _, l := range sub.lines(&sub.stdout) {
		if m := reportLine.FindStringSubmatch(l); m != nil {
			reports++
			if v, _ := strconv.ParseFloat(m[1], 64); v <= 0 {
				t.Errorf("report %q: want a positive rate", l)
			}
			continue
		}
		if strings.HasPrefix(l, "median ") && strings.HasSuffix(l, " msg/s over 3 reports") {
			median = true
			continue
		}
		t.Errorf("unexpected line %q", l)
	}
	if reports != 3 || !median {
		t.Errorf("got %d reports (median line: %v), want 3 and a median", reports, median)
	}
}

var rttLine = regexp.MustCompile(`^rtt min/median/p90/p99/max = ([0-9.]+)/([0-9.]+)/([0-9.]+)/([0-9.]+)/([0-9.]+) us over ([0-9]+) rounds of 8 B, ([0-9]+) lost$`)

func TestBenchPingPong(t *testing.T) {
	ep := startRouter(t)
	start(t, "pong", "bench", "pong", "-e", ep)
	ping := start(t, "ping", "bench", "ping", "-e", ep, "-n", "200")
	if code := ping.wait(30 * time.Second); code != 0 {
		t.Fatalf("ping exited with status %d", code)
	}
	out := ping.lines(&ping.stdout)
	if len(out) != 1 {
		t.Fatalf("ping printed %q, want one line", out)
	}
	m := rttLine.FindStringSubmatch(out[0])
	if m == nil {
		t.Fatalf("ping printed %q, want the rtt line", out[0])
	}
	var v [5]float64
	for i := range v {
		v[i], _ = strconv.ParseFloat(m[i+1], 64)
	}
	if v[0] <= 0 || v[0] > v[1] || v[1] > v[2] || v[2] > v[3] || v[3] > v[4] {
		t.Errorf("rtt figures %v: want 0 < min <= median <= p90 <= p99 <= max", v)
	}
	if mustAtoi(t, m[6])+mustAtoi(t, m[7]) != 200 {
		t.Errorf("%s rounds measured and %s lost, want 200 in all", m[6], m[7])
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBenchBadCommandLines: each costs one line on stderr and status 2,
// without starting a node.
func TestBenchBadCommandLines(t *testing.T) {
	for _, args := range [][]string{
		{"pub-thr", "-e", "nonsense"},
		{"sub-thr", "-l", "tcp/127.0.0.1"},
		{"pub-thr", "-x"},
		{"pub-thr", "-p", "-1"},
		{"ping", "-n", "0"},
		{"ping", "-p", "1000000000"},
		{"sub-thr", "-k", "a//b"},
		{"pong", "--pong-key", ""},
		{"pong", "-m", "server"},
		{"sub-thr", "extra"},
		{"nope"},
		{},
	} {
		t.Run(strings.Join(append([]string{"bench"}, args...), "_"), func(t *testing.T) {
			p := start(t, "bench", append([]string{"bench"}, args...)...)
			if code := p.wait(10 * time.Second); code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if errs := p.lines(&p.stderr); len(errs) != 1 || errs[0] == "" {
				t.Errorf("stderr %q, want one error line", errs)
			}
			if out := p.lines(&p.stdout); len(out) != 0 {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}

// TestBenchHelp: -h lists every flag of a tool with its default.
func TestBenchHelp(t *testing.T) {
	for tool, flags := range map[string][]string{
		"pub-thr": {"-m", "-e", "-l", "-k", "-p", "-d", "--no-multicast-scouting"},
		"sub-thr": {"-m", "-e", "-l", "-k", "-n", "--no-multicast-scouting"},
		"ping":    {"-m", "-e", "-l", "-k", "--pong-key", "-p", "-n", "--no-multicast-scouting"},
		"pong":    {"-m", "-e", "-l", "-k", "--pong-key", "--no-multicast-scouting"},
	} {
		checkHelp(t, tool, flags, "bench", tool, "-h")
	}
}

// TestNodeStopsOnSIGTERM: a plain node shuts down cleanly on SIGTERM.
func TestNodeStopsOnSIGTERM(t *testing.T) {
	p := start(t, "node", "-l", "tcp/127.0.0.1:0", "--no-multicast-scouting")
	p.waitStderr("gozenoh node started", 10*time.Second)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM, want 0", code)
	}
}

// syncBuffer is an io.Writer safe for the tools' goroutines.
type syncBuffer = actortest.Buffer

// TestBenchToolsInProcess runs the four tools in this process, against a
// router started with actors.StartNode, so that the race detector sees
// their code (the other tests run it in children built without -race).
func TestBenchToolsInProcess(t *testing.T) {
	sys := actortest.NewSystem(t)
	cfg := actors.DefaultNodeConfig(codec.Router)
	cfg.Logger = actortest.Logger()
	ep, err := link.ParseEndpoint("tcp/127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = []link.Endpoint{ep}
	r, err := actors.StartNode(sys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Stop(0) })
	opts := func(key string, count int) *benchOpts {
		return &benchOpts{mode: codec.Client, connect: r.Listening(), key: key, pongKey: "test/pong",
			payload: 8, count: count}
	}

	// run starts a tool that runs until its context is cancelled.
	run := func(name string, f func(context.Context, *benchOpts, io.Writer, io.Writer) error, o *benchOpts) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		var stderr syncBuffer
		go func() { done <- f(ctx, o, io.Discard, &stderr) }()
		t.Cleanup(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("%s: %v (stderr %q)", name, err, stderr.String())
				}
			case <-time.After(10 * time.Second):
				t.Errorf("%s still running 10 s after its context ended", name)
			}
		})
	}
	run("pong", runPong, opts("test/ping", 0))
	run("pub-thr", runPubThr, opts("test/thr", 0))

	var out, stderr syncBuffer
	if err := runPing(context.Background(), opts("test/ping", 20), &out, &stderr); err != nil {
		t.Fatalf("ping: %v (stderr %q)", err, stderr.String())
	}
	if !strings.HasPrefix(out.String(), "rtt ") {
		t.Errorf("ping printed %q", out.String())
	}
	out = syncBuffer{}
	if err := runSubThr(context.Background(), opts("test/thr", 2), &out, &stderr); err != nil {
		t.Fatalf("sub-thr: %v (stderr %q)", err, stderr.String())
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 3 || !reportLine.MatchString(lines[0]) {
		t.Errorf("sub-thr printed %q, want 2 reports and a median", lines)
	}
}

// checkHelp runs the binary with args (a -h request) and checks that it
// exits 0 and lists each flag of flags followed by its default.
func checkHelp(t *testing.T, name string, flags []string, args ...string) {
	t.Helper()
	p := start(t, name, args...)
	if code := p.wait(10 * time.Second); code != 0 {
		t.Errorf("%s -h: exit status %d, want 0", name, code)
	}
	out := p.lines(&p.stdout)
	for _, f := range flags {
		found := false
		for i, l := range out {
			if strings.HasPrefix(strings.TrimSpace(l)+" ", f+" ") {
				found = i+1 < len(out) && strings.Contains(out[i+1], "(default ")
			}
		}
		if !found {
			t.Errorf("%s -h: no %s with its default in\n%s", name, f, strings.Join(out, "\n"))
		}
	}
}
