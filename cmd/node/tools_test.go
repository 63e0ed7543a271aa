package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitStdout waits until a line of stdout contains sub and returns it.
func (p *proc) waitStdout(sub string, timeout time.Duration) string {
	p.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		for _, l := range p.lines(&p.stdout) {
			if strings.Contains(l, sub) {
				return l
			}
		}
		select {
		case <-p.more:
		case <-p.done:
			for _, l := range p.lines(&p.stdout) {
				if strings.Contains(l, sub) {
					return l
				}
			}
			p.t.Fatalf("%s exited before printing %q", p.name, sub)
		case <-deadline.C:
			p.t.Fatalf("%s: no %q on stdout within %v", p.name, sub, timeout)
		}
	}
}

// freeEndpoint returns a loopback TCP endpoint whose port was free.
func freeEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "tcp/" + l.Addr().String()
}

// startToolRouter starts `node` as a router with ZenohId id on a free
// loopback port and returns its endpoint once it listens.
func startToolRouter(t *testing.T, id string) string {
	t.Helper()
	ep := freeEndpoint(t)
	r := start(t, "router", "-l", ep, "--no-multicast-scouting", "-i", id)
	r.waitStderr("gozenoh node started", 10*time.Second)
	return ep
}

func TestToolsPutDeleteSub(t *testing.T) {
	ep := startToolRouter(t, "a1")
	sub := start(t, "sub", "sub", "-e", ep, "--no-multicast-scouting", "-n", "2")
	sub.waitStderr("Declared Subscriber on 'demo/example/**'", 10*time.Second)

	put := start(t, "put", "put", "-e", ep, "--no-multicast-scouting", "-k", "demo/example/a", "-v", "hello")
	if code := put.wait(15 * time.Second); code != 0 {
		t.Fatalf("put exited with status %d", code)
	}
	sub.waitStdout("Received PUT", 10*time.Second)
	del := start(t, "delete", "delete", "-e", ep, "--no-multicast-scouting", "-k", "demo/example/a")
	if code := del.wait(15 * time.Second); code != 0 {
		t.Fatalf("delete exited with status %d", code)
	}
	if code := sub.wait(10 * time.Second); code != 0 {
		t.Fatalf("sub exited with status %d", code)
	}
	want := []string{
		">> [Subscriber] Received PUT ('demo/example/a': 'hello')",
		">> [Subscriber] Received DELETE ('demo/example/a': '')",
	}
	if got := sub.lines(&sub.stdout); !slices.Equal(got, want) {
		t.Errorf("sub printed %q, want %q", got, want)
	}
}

func TestToolsPub(t *testing.T) {
	ep := startToolRouter(t, "a2")
	sub := start(t, "sub", "sub", "-e", ep, "--no-multicast-scouting", "-k", "demo/example/zenoh-go-pub", "-n", "2")
	sub.waitStderr("Declared Subscriber", 10*time.Second)
	pub := start(t, "pub", "pub", "-e", ep, "--no-multicast-scouting", "-v", "x", "-n", "2")
	if code := pub.wait(15 * time.Second); code != 0 {
		t.Fatalf("pub exited with status %d", code)
	}
	if code := sub.wait(10 * time.Second); code != 0 {
		t.Fatalf("sub exited with status %d", code)
	}
	want := []string{
		">> [Subscriber] Received PUT ('demo/example/zenoh-go-pub': '[   0] x')",
		">> [Subscriber] Received PUT ('demo/example/zenoh-go-pub': '[   1] x')",
	}
	if got := sub.lines(&sub.stdout); !slices.Equal(got, want) {
		t.Errorf("sub printed %q, want %q", got, want)
	}
}

func TestToolsQueryableGet(t *testing.T) {
	ep := startToolRouter(t, "a3")
	q := start(t, "queryable", "queryable", "-e", ep, "--no-multicast-scouting")
	q.waitStderr("Declared Queryable on 'demo/example/zenoh-go-queryable'", 10*time.Second)
	get := start(t, "get", "get", "-e", ep, "--no-multicast-scouting", "-s", "demo/example/**?x=1")
	if code := get.wait(15 * time.Second); code != 0 {
		t.Fatalf("get exited with status %d", code)
	}
	var replies []string
	for _, l := range get.lines(&get.stdout) {
		if strings.HasPrefix(l, ">> Received") {
			replies = append(replies, l)
		}
	}
	want := []string{">> Received ('demo/example/zenoh-go-queryable': 'Queryable from Go!')"}
	if !slices.Equal(replies, want) {
		t.Errorf("get printed replies %q, want %q", replies, want)
	}
	q.waitStdout(">> [Queryable] Received Query 'demo/example/**?x=1'", 10*time.Second)
}

// TestToolsGetNoQueryable: a query reaching nobody ends at once.
func TestToolsGetNoQueryable(t *testing.T) {
	ep := startToolRouter(t, "a4")
	get := start(t, "get", "get", "-e", ep, "--no-multicast-scouting", "-s", "nobody/here")
	if code := get.wait(15 * time.Second); code != 0 {
		t.Fatalf("get exited with status %d", code)
	}
	for _, l := range get.lines(&get.stdout) {
		if strings.HasPrefix(l, ">> Received") {
			t.Errorf("unexpected reply %q", l)
		}
	}
}

func TestToolsInfo(t *testing.T) {
	ep := startToolRouter(t, "abcdef12")
	info := start(t, "info", "info", "-e", ep, "--no-multicast-scouting")
	if code := info.wait(15 * time.Second); code != 0 {
		t.Fatalf("info exited with status %d", code)
	}
	out := info.lines(&info.stdout)
	if len(out) != 4 || !strings.HasPrefix(out[0], "own id: ") || len(out[0]) <= len("own id: ") ||
		out[1] != "routers ids:" || strings.TrimSpace(out[2]) != "abcdef12" || out[3] != "peers ids:" {
		t.Errorf("info printed %q, want own id, the router's id and no peer", out)
	}
}

// TestNodeConfigFile: the node reads mode and listen endpoints from -c,
// and a flag overrides the file.
func TestNodeConfigFile(t *testing.T) {
	ep, ep2 := freeEndpoint(t), freeEndpoint(t)
	path := filepath.Join(t.TempDir(), "zenoh.json5")
	cfg := fmt.Sprintf("{\n  // a peer, overridden by -m\n  mode: 'peer',\n  id: 'c0ffee',\n"+
		"  listen: { endpoints: ['%s'] },\n  scouting: { multicast: { enabled: false } },\n}\n", ep)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	n := start(t, "node", "-c", path, "-m", "router")
	n.waitStderr("gozenoh node started", 10*time.Second)
	info := start(t, "info", "info", "-e", ep, "--no-multicast-scouting")
	if code := info.wait(15 * time.Second); code != 0 {
		t.Fatalf("info exited with status %d", code)
	}
	if out := info.lines(&info.stdout); len(out) < 3 || strings.TrimSpace(out[2]) != "c0ffee" {
		t.Errorf("info printed %q, want the router c0ffee", out)
	}

	// -l replaces the file's endpoints.
	n2 := start(t, "node2", "-c", path, "-l", ep2)
	n2.waitStderr("gozenoh node started", 10*time.Second)
	for _, l := range n2.lines(&n2.stderr) {
		if strings.Contains(l, "gozenoh node started") &&
			(!strings.Contains(l, strings.TrimPrefix(ep2, "tcp/")) || !strings.Contains(l, "mode=peer")) {
			t.Errorf("node2 logged %q, want mode peer listening on %s", l, ep2)
		}
	}
}

// TestToolsBadCommandLines: each costs one line on stderr and status 2.
func TestToolsBadCommandLines(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.json5")
	if err := os.WriteFile(unknown, []byte("{ mode: 'router', bogus_key: { x: 1 } }"), 0o600); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(dir, "nested.json5")
	if err := os.WriteFile(nested, []byte("{ listen: { endpoint: ['tcp/127.0.0.1:1'] } }"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string // in the error line
	}{
		{[]string{"-c", unknown}, "bogus_key"},
		{[]string{"--config", nested}, "listen.endpoint"},
		{[]string{"-c", filepath.Join(dir, "missing.json5")}, "missing.json5"},
		{[]string{"-e", "nonsense"}, "nonsense"},
		{[]string{"--listen", "tcp/127.0.0.1"}, "tcp/127.0.0.1"},
		{[]string{"-i", "xyz"}, "xyz"},
		{[]string{"-m", "server"}, "server"},
		{[]string{"--log-level", "loud"}, "log-level"},
		{[]string{"-x"}, "-x"},
		{[]string{"extra"}, "extra"},
		{[]string{"put", "-e", "nonsense"}, "nonsense"},
		{[]string{"put", "-c", unknown}, "bogus_key"},
		{[]string{"put", "-k", "a//b"}, "a//b"},
		{[]string{"sub", "-n", "-1"}, "-n"},
		{[]string{"get", "-t", "SOME"}, "SOME"},
		{[]string{"get", "-o", "0"}, "-o"},
		{[]string{"info", "-m", "server"}, "server"},
		{[]string{"queryable", "-i", "12"}, "-i"},
		{[]string{"scout", "-e", "tcp/127.0.0.1:7447"}, "-e"},
	} {
		var name []string
		for _, a := range c.args {
			name = append(name, filepath.Base(a))
		}
		t.Run(strings.Join(name, "_"), func(t *testing.T) {
			p := start(t, "node", c.args...)
			if code := p.wait(10 * time.Second); code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if errs := p.lines(&p.stderr); len(errs) != 1 || !strings.Contains(errs[0], c.want) {
				t.Errorf("stderr %q, want one error line naming %q", errs, c.want)
			}
			if out := p.lines(&p.stdout); len(out) != 0 {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}

// TestToolsHelp: -h lists every flag with its default.
func TestToolsHelp(t *testing.T) {
	common := []string{"-m", "-e", "-l", "-c", "--no-multicast-scouting", "--log-level"}
	for name, flags := range map[string][]string{
		"":          append(slices.Clone(common), "--mode", "--listen", "--connect", "--config", "-i", "--id"),
		"put":       append(slices.Clone(common), "-k", "-v"),
		"delete":    append(slices.Clone(common), "-k"),
		"pub":       append(slices.Clone(common), "-k", "-v", "-n"),
		"sub":       append(slices.Clone(common), "-k", "-n"),
		"get":       append(slices.Clone(common), "-s", "-v", "-t", "-o"),
		"queryable": append(slices.Clone(common), "-k", "-v", "--complete"),
		"info":      common,
		"scout":     {"-o"},
	} {
		args := []string{"-h"}
		if name != "" {
			args = []string{name, "-h"}
		}
		checkHelp(t, "node "+name, flags, args...)
	}
}

// TestToolScout: scout ends by itself after -o; it finds a router
// answering Scouts when multicast works on this host.
func TestToolScout(t *testing.T) {
	r := start(t, "router", "-l", freeEndpoint(t), "-i", "5c0a7")
	r.waitStderr("gozenoh node started", 10*time.Second)
	p := start(t, "scout", "scout", "-o", "1500")
	code := p.wait(15 * time.Second)
	out := p.lines(&p.stdout)
	if code != 0 {
		t.Skipf("scout exited with status %d (multicast unusable here?): %q", code, p.lines(&p.stderr))
	}
	for _, l := range out {
		if strings.HasPrefix(l, "Hello { zid: 5c0a7, whatami: router, locators: [") {
			return
		}
	}
	if slices.Equal(out, []string{"Did not find any zenoh process."}) {
		t.Skip("no Hello from the router: multicast does not work on this host")
	}
	t.Errorf("scout printed %q, want the router's Hello", out)
}

// notifyBuffer is a syncBuffer that signals each write.
type notifyBuffer struct {
	syncBuffer
	wrote chan struct{}
}

func (b *notifyBuffer) Write(p []byte) (int, error) {
	n, err := b.syncBuffer.Write(p)
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return n, err
}

// waitFor waits until the buffer holds sub.
func (b *notifyBuffer) waitFor(t *testing.T, sub string, timeout time.Duration) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for !strings.Contains(b.String(), sub) {
		select {
		case <-b.wrote:
		case <-deadline.C:
			t.Fatalf("no %q within %v in %q", sub, timeout, b.String())
		}
	}
}

// TestToolsInProcess runs sub, put, get and info in this process against
// a router child, so that the race detector sees the tools' code.
func TestToolsInProcess(t *testing.T) {
	ep := startToolRouter(t, "b1")
	var subOut syncBuffer
	subErr := &notifyBuffer{wrote: make(chan struct{}, 1)}
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"sub", "-e", ep, "--no-multicast-scouting", "-n", "1", "-k", "x/**"}, &subOut, subErr)
	}()
	subErr.waitFor(t, "Declared Subscriber", 10*time.Second)
	var out, errOut syncBuffer
	if code := run([]string{"put", "-e", ep, "--no-multicast-scouting", "-k", "x/y", "-v", "v"}, &out, &errOut); code != 0 {
		t.Fatalf("put: status %d, stderr %q", code, errOut.String())
	}
	select {
	case code := <-done:
		if code != 0 || subOut.String() != ">> [Subscriber] Received PUT ('x/y': 'v')\n" {
			t.Errorf("sub: status %d, stdout %q, stderr %q", code, subOut.String(), subErr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("sub still running")
	}
	for _, tool := range []string{"get", "info"} {
		var out, errOut syncBuffer
		if code := run([]string{tool, "-e", ep, "--no-multicast-scouting"}, &out, &errOut); code != 0 {
			t.Errorf("%s: status %d, stderr %q", tool, code, errOut.String())
		}
	}
}

// TestToolsLiveliness: a token seen appearing and going by
// sub-liveliness, and found by get-liveliness.
func TestToolsLiveliness(t *testing.T) {
	ep := startToolRouter(t, "a9")
	sub := start(t, "sub-liveliness", "sub-liveliness", "-e", ep, "--no-multicast-scouting", "-n", "2")
	sub.waitStderr("Declared liveliness subscriber on 'group1/**'", 10*time.Second)
	tok := start(t, "liveliness", "liveliness", "-e", ep, "--no-multicast-scouting", "-k", "group1/tok")
	sub.waitStdout(">> [LivelinessSubscriber] New alive token ('group1/tok')", 10*time.Second)
	get := start(t, "get-liveliness", "get-liveliness", "-e", ep, "--no-multicast-scouting")
	if code := get.wait(15 * time.Second); code != 0 {
		t.Fatalf("get-liveliness exited with status %d", code)
	}
	if got := get.lines(&get.stdout); !slices.Contains(got, ">> Alive token ('group1/tok')") {
		t.Errorf("get-liveliness printed %q", got)
	}
	if err := tok.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := tok.wait(10 * time.Second); code != 0 {
		t.Fatalf("liveliness exited with status %d", code)
	}
	if code := sub.wait(10 * time.Second); code != 0 {
		t.Fatalf("sub-liveliness exited with status %d", code)
	}
	if got := sub.lines(&sub.stdout); len(got) != 2 || got[1] != ">> [LivelinessSubscriber] Dropped token ('group1/tok')" {
		t.Errorf("sub-liveliness printed %q", got)
	}
}
