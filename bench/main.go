// Command bench compares gozenoh with NATS and zenoh-pico on loopback:
// publisher → subscriber throughput and ping-pong round trips at several
// payload sizes, each system in OS processes of its own (NATS's server
// runs in this process). It prints a markdown table and writes it, with a
// PNG chart, under results/.
//
//	go run ./bench                  # from the repository root (go.work): the full run, under 5 minutes
//	cd bench && go run . -quick     # the same from bench/, shorter
//
// zenoh-pico runs when $ZPICO_PATCHED or $ZPICO_EXAMPLES names its
// examples build folder; otherwise it is skipped with a note.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailed      = 1 // a workload failed: the table says which
	exitUsage       = 2
	exitInterrupted = 130
)

// mainModule is the module whose cmd/node the harness builds.
const mainModule = "github.com/gozenoh/zenoh"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		os.Exit(runChild(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the parsed flags.
type options struct {
	set      settings
	systems  []system
	payloads []int
	out, md  string
	node     string
	verbose  bool
	cmdline  string          // the flags given, for the results file
	named    map[string]bool // systems -only names by their full ID
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "shorter run: 1 s windows, 1000 round trips")
	only := fs.String("only", "", "comma-separated `systems` to run (default all): "+systemIDs()+"; gozenoh and pico name both of theirs")
	payloads := fs.String("payloads", "8,64,1024,8192", "comma-separated payload `sizes` in bytes")
	out := fs.String("out", "", "`file` of the PNG chart (default results/bench.png in the bench folder)")
	md := fs.String("md", "", "`file` of the markdown table (default bench.md beside -out)")
	node := fs.String("node", "", "prebuilt node `binary` (default: build ../cmd/node)")
	warm := fs.Duration("warmup", 0, "throughput warm-up from the first message (default 1s)")
	window := fs.Duration("window", 0, "throughput measuring window (default 3s, -quick 1s)")
	verbose := fs.Bool("v", false, "print each child's last output lines after each workload")
	rounds := fs.Int("rounds", 0, "measured ping-pong round trips (default 5000, -quick 1000)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./bench [flags]   (from the repository root; or go run . in bench/)\n\n"+
			"Compares gozenoh (peer to peer and through a router), NATS and zenoh-pico on loopback.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o := &options{out: *out, md: *md, node: *node, verbose: *verbose, cmdline: strings.Join(args, " "),
		set: settings{warm: time.Second, window: 3 * time.Second, rounds: 5000, pingWarm: 500 * time.Millisecond}}
	if *quick {
		o.set = settings{warm: time.Second, window: time.Second, rounds: 1000, pingWarm: 200 * time.Millisecond}
	}
	if *warm < 0 || *window < 0 || *rounds < 0 {
		return nil, errors.New("-warmup, -window and -rounds must not be negative")
	}
	if *warm > 0 {
		o.set.warm = *warm
	}
	if *window > 0 {
		o.set.window = *window
	}
	if *rounds > 0 {
		o.set.rounds = *rounds
	}
	if o.out == "" {
		// results/ of the bench folder, wherever the harness runs from
		// (go run ./bench from the root, or go run . in bench/).
		o.out = filepath.Join("results", "bench.png")
		if root, err := findRepoRoot(); err == nil {
			o.out = filepath.Join(root, "bench", "results", "bench.png")
		}
	}
	if o.md == "" {
		o.md = filepath.Join(filepath.Dir(o.out), "bench.md")
	}
	var err error
	if o.systems, err = selectSystems(*only); err != nil {
		return nil, err
	}
	o.named = map[string]bool{}
	for _, f := range strings.Split(*only, ",") {
		o.named[strings.TrimSpace(f)] = true
	}
	if o.payloads, err = parsePayloads(*payloads); err != nil {
		return nil, err
	}
	return o, nil
}

func systemIDs() string {
	ids := make([]string, len(allSystems))
	for i, s := range allSystems {
		ids[i] = s.id
	}
	return strings.Join(ids, ", ")
}

// selectSystems parses -only: system IDs, or "gozenoh" and "pico" for
// both of theirs; the table keeps allSystems' order.
func selectSystems(only string) ([]system, error) {
	if strings.TrimSpace(only) == "" {
		return slices.Clone(allSystems), nil
	}
	want := map[string]bool{}
	for _, f := range strings.Split(only, ",") {
		f = strings.TrimSpace(f)
		found := false
		for _, s := range allSystems {
			if s.id == f || strings.HasPrefix(s.id, f+"-") {
				want[s.id], found = true, true
			}
		}
		if !found {
			return nil, fmt.Errorf("-only: unknown system %q (want %s, gozenoh or pico)", f, systemIDs())
		}
	}
	var out []system
	for _, s := range allSystems {
		if want[s.id] {
			out = append(out, s)
		}
	}
	return out, nil
}

// maxPayload bounds -payloads under NATS's default max_payload (1 MiB).
const maxPayload = 512 << 10

func parsePayloads(s string) ([]int, error) {
	var ps []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > maxPayload {
			return nil, fmt.Errorf("-payloads: %q is not a size from 1 to %d bytes", f, maxPayload)
		}
		if !slices.Contains(ps, n) {
			ps = append(ps, n)
		}
	}
	return ps, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal a second one kills at once; the
		// children die with this process (Pdeathsig).
		<-ctx.Done()
		stop()
	}()
	began := time.Now()
	rep, err := runAll(ctx, o, stderr)
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "bench: interrupted; every child was killed, no result written")
		return exitInterrupted
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitFailed
	}
	rep.wall = time.Since(began)
	md := rep.markdown()
	fmt.Fprint(stdout, md)
	if err := writeResults(o, rep, md); err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stderr, "bench: wrote %s and %s in %v\n", o.md, o.out, rep.wall.Round(time.Second))
	if len(rep.failures) > 0 {
		return exitFailed
	}
	return exitOK
}

// runAll prepares the programs and runs every workload, payload by
// payload so that the systems see the same machine state at each size.
func runAll(ctx context.Context, o *options, stderr io.Writer) (*report, error) {
	r := &runner{set: o.set}
	if o.verbose {
		r.verbose = stderr
	}
	var notes []string
	needNode := false
	for _, s := range o.systems {
		needNode = needNode || s.id != sysNATS
	}

	root, rootErr := findRepoRoot()
	tmp, err := os.MkdirTemp("", "gozenoh-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if r.self, err = os.Executable(); err != nil {
		return nil, fmt.Errorf("finding this binary for the NATS clients: %w", err)
	}
	if needNode {
		r.nodeBin = o.node
		if r.nodeBin == "" {
			if rootErr != nil {
				return nil, rootErr
			}
			r.nodeBin = filepath.Join(tmp, "node")
			fmt.Fprintf(stderr, "bench: building %s/cmd/node\n", root)
			if err := buildNode(ctx, root, r.nodeBin); err != nil {
				return nil, err
			}
		}
	}

	systems := slices.Clone(o.systems)
	if slices.ContainsFunc(systems, isPico) {
		dir, env, err := findPico()
		switch {
		case err != nil:
			return nil, err
		case dir == "":
			notes = append(notes, "zenoh-pico skipped: set $ZPICO_PATCHED (preferred) or $ZPICO_EXAMPLES to zenoh-pico's examples build folder.")
			systems = slices.DeleteFunc(systems, isPico)
		case env != "ZPICO_PATCHED" && slices.ContainsFunc(systems, isPicoPeer) && !o.named[sysPicoPeer]:
			// Unpatched zenoh-pico 1.9.0 peers drop the rest of a
			// partial send on a full non-blocking socket and lose the
			// stream; its clients through our router hold up
			// (test/interop TestRouterPicoThroughput).
			notes = append(notes, "zenoh-pico peer to peer skipped: $ZPICO_PATCHED is not set, and unpatched zenoh-pico 1.9.0 peers lose data under sustained load (partial sends on non-blocking sockets); -only pico-peer runs it anyway.")
			systems = slices.DeleteFunc(systems, isPicoPeer)
			fallthrough
		default:
			if r.stdbuf, err = exec.LookPath("stdbuf"); err != nil {
				return nil, fmt.Errorf("zenoh-pico needs stdbuf (coreutils) for line-buffered output: %w", err)
			}
			r.picoDir = dir
			v := picoVersion(dir)
			if v == "" {
				v = "(version unknown)"
			}
			notes = append(notes, fmt.Sprintf("zenoh-pico %s from $%s (%s).", v, env, dir))
		}
	}
	for _, n := range notes {
		fmt.Fprintf(stderr, "bench: %s\n", n)
	}
	if len(systems) == 0 {
		return nil, errors.New("no system left to run")
	}

	rep := newReport(systems, o.payloads)
	rep.machine = machineLine(time.Now())
	if l := loadAvg(); l != "" {
		rep.machine += ", load average " + l + " at the start"
	}
	gz := "gozenoh"
	if root != "" {
		if d := gitDescribe(root); d != "" {
			gz += " " + d
		}
	}
	rep.versions = fmt.Sprintf("%s; nats-server v%s with nats.go v%s", gz, server.VERSION, nats.Version)
	rep.settings = fmt.Sprintf("loopback TCP; throughput from %v after the first message for %v; %d ping-pong round trips per figure",
		o.set.warm, o.set.window, o.set.rounds)
	rep.notes = append(notes, workloadNotes...)

	total := 2 * len(systems) * len(o.payloads)
	done := 0
	for _, p := range o.payloads {
		for _, s := range systems {
			c := cell{s.id, p}
			done++
			v, err := runThr(ctx, r.thr(s.id), p)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if err != nil {
				rep.failures = append(rep.failures, fmt.Sprintf("%s, %s, throughput: %v", s.label, fmtPayload(p), err))
				fmt.Fprintf(stderr, "[%2d/%d] %-15s %7s throughput: FAILED: %v\n", done, total, s.id, fmtPayload(p), err)
			} else {
				rep.thr[c] = v
				fmt.Fprintf(stderr, "[%2d/%d] %-15s %7s throughput: %s msg/s\n", done, total, s.id, fmtPayload(p), fmtRate(v))
			}
			done++
			st, err := runPing(ctx, r.ping(s.id), p)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if err != nil {
				rep.failures = append(rep.failures, fmt.Sprintf("%s, %s, ping-pong: %v", s.label, fmtPayload(p), err))
				fmt.Fprintf(stderr, "[%2d/%d] %-15s %7s ping-pong:  FAILED: %v\n", done, total, s.id, fmtPayload(p), err)
			} else {
				rep.rtt[c] = st
				fmt.Fprintf(stderr, "[%2d/%d] %-15s %7s ping-pong:  median %s, p99 %s\n", done, total, s.id, fmtPayload(p),
					fmtMicros(st.median), fmtMicros(st.p99))
			}
		}
	}
	return rep, nil
}

// workloadNotes say what differs between the systems' tools.
var workloadNotes = []string{
	"Throughput is the mean rate the subscriber counted over the window; the publisher sends as fast as it can. The `node bench` tools use only the public API, as an embedding program would: `pub-thr` a `Publisher.Put` loop with congestion control Block (back pressure), `sub-thr` a subscriber with a `LoanedCallback`. zenoh-pico's z_pub_thr uses Drop; nats.go has no end-to-end flow control (TCP back pressure to the server only).",
	"Ping-pong: one message in flight; the round trip is publish → echo on another key/subject → receive. z_ping spins on the echo (a core busy); the node's `ping` publishes the next ping from the echo's callback and `pong` echoes from its callback, both sleeping in between, as the NATS tools do, so every round trip wakes sleeping threads. z_ping and the NATS ping warm up before measuring; the node's ping measures from its first echo.",
}

// runThr and runPing run one workload with children of its own, all
// killed when it returns.
func runThr(ctx context.Context, f thrFunc, payload int) (float64, error) {
	ps := &procSet{}
	defer ps.killAll()
	return f(ctx, ps, payload)
}

func runPing(ctx context.Context, f pingFunc, payload int) (rttStats, error) {
	ps := &procSet{}
	defer ps.killAll()
	return f(ctx, ps, payload)
}

func isPico(s system) bool     { return s.id == sysPicoPeer || s.id == sysPicoRouter }
func isPicoPeer(s system) bool { return s.id == sysPicoPeer }

// findRepoRoot walks up from the working directory to the main module's
// go.mod.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module "+mainModule+"\n")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod of %s above %s: run in bench/ of the repository, or pass -node", mainModule, dir)
		}
	}
}

// buildNode builds cmd/node in the main module (its own go.mod, which
// this harness never touches) into bin.
func buildNode(ctx context.Context, root, bin string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/node")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build ./cmd/node in %s: %v\n%s", root, err, out)
	}
	return nil
}

// writeResults writes the markdown and the chart.
func writeResults(o *options, rep *report, md string) error {
	for _, f := range []string{o.md, o.out} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return err
		}
	}
	doc := fmt.Sprintf("# gozenoh comparison benchmarks\n\nGenerated by `%s` (from the repository root).\n\n%s",
		strings.TrimSpace("go run ./bench "+o.cmdline), md)
	if err := os.WriteFile(o.md, []byte(doc), 0o644); err != nil {
		return err
	}
	return writeChart(o.out, rep)
}
