package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gozenoh/zenoh"
	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/keyexpr"
)

const (
	// defaultConnect is where a client bench tool connects by default,
	// like zenoh-pico's examples.
	defaultConnect = "tcp/127.0.0.1:7447"
	// sessionWait bounds the wait for the session to the remote node.
	sessionWait = 10 * time.Second
	// pingRoundTimeout is how long ping waits for one echo before it
	// counts the round as lost.
	pingRoundTimeout = time.Second
	// pingWarmupWait bounds the warm-up, which lasts until the first echo.
	pingWarmupWait = 10 * time.Second
	// pingWarmupTry is how long one warm-up ping waits for its echo
	// before the next is sent: the first ones are dropped by write-side
	// filtering until both sides learned the other's subscriber.
	pingWarmupTry = 100 * time.Millisecond
	// maxPayload bounds -p well below the sessions' largest message
	// (64 MiB), beyond which a Put would be dropped without a word.
	maxPayload = 16 << 20
	// pingMaxLostInARow ends ping early: that many lost rounds in a row
	// mean the pong is gone, and waiting out every remaining round would
	// look like a hang.
	pingMaxLostInARow = 10
)

// benchOpts are the parsed flags of a bench tool.
type benchOpts struct {
	mode            codec.WhatAmI
	connect, listen []link.Endpoint
	scout           bool
	key, pongKey    string
	payload         int
	count           int
	duration        time.Duration
}

// benchTool describes one tool: its help text, its flags beyond the
// common ones, and what it does once its flags are parsed.
type benchTool struct {
	about      string
	key        string // default of -k
	keyUsage   string
	hasPayload bool
	hasPongKey bool
	hasDur     bool
	count      int    // default of -n
	countMin   int    // least valid -n
	countUsage string // "" when the tool has no -n
	run        func(ctx context.Context, o *benchOpts, stdout, stderr io.Writer) error
}

var benchTools = map[string]*benchTool{
	"pub-thr": {
		about: "Publishes Puts of -p bytes on -k as fast as the node takes them, like zenoh's z_pub_thr.\n" +
			"In client mode nothing leaves the node until a matching subscriber is known; the\n" +
			"count printed at exit includes the Puts dropped for that reason.",
		key: "test/thr", keyUsage: "`key` expression to publish on",
		hasPayload: true, hasDur: true, run: runPubThr,
	},
	"sub-thr": {
		about: "Subscribes to -k and prints the number of messages received each second, like zenoh's\n" +
			"z_sub_thr; the first report starts at the first message.",
		key: "test/thr", keyUsage: "`key` expression to subscribe to",
		countUsage: "`number` of 1-second reports before printing the median and exiting (0: until a signal)",
		run:        runSubThr,
	},
	"ping": {
		about: "Publishes -p bytes on -k and waits for the pong to echo them on --pong-key, -n times;\n" +
			"then prints round-trip time statistics in microseconds.",
		key: "test/ping", keyUsage: "`key` expression to publish pings on",
		hasPayload: true, hasPongKey: true, count: 10000, countMin: 1,
		countUsage: "`number` of measured round trips", run: runPing,
	},
	"pong": {
		about: "Subscribes to -k and publishes every payload it receives again on --pong-key.",
		key:   "test/ping", keyUsage: "`key` expression to subscribe to for pings",
		hasPongKey: true, run: runPong,
	},
}

func benchToolNames() string {
	names := make([]string, 0, len(benchTools))
	for n := range benchTools {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// runBench runs `node bench TOOL [flags]` and returns the exit status.
func runBench(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "node bench: missing tool (want one of %s)\n", benchToolNames())
		return exitUsage
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprintf(stdout, "usage: node bench TOOL [flags]\n\ntools: %s\n(node bench TOOL -h describes one)\n", benchToolNames())
		return exitOK
	}
	name := args[0]
	tool := benchTools[name]
	if tool == nil {
		fmt.Fprintf(stderr, "node bench: unknown tool %q (want one of %s)\n", name, benchToolNames())
		return exitUsage
	}
	o, err := parseBenchFlags(name, tool, args[1:], stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "node bench %s: %v (see -h)\n", name, err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := tool.run(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "node bench %s: %v\n", name, err)
		return exitError
	}
	return exitOK
}

// parseBenchFlags parses a tool's flags. Errors are returned without
// the usage text, so a bad command line costs one line on stderr; -h
// prints the usage on stdout and returns flag.ErrHelp.
func parseBenchFlags(name string, tool *benchTool, args []string, stdout io.Writer) (*benchOpts, error) {
	fs := flag.NewFlagSet("node bench "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var connect, listen listFlag
	mode := fs.String("m", "client", "`mode` of this tool's node: router, peer or client")
	fs.Var(&connect, "e", "`endpoint` to connect to (repeatable)")
	fs.Var(&listen, "l", "`endpoint` to listen on (repeatable)")
	noScout := fs.Bool("no-multicast-scouting", true, "neither answer nor send multicast Scouts (=false to scout)")
	key := fs.String("k", tool.key, tool.keyUsage)
	var payload, count *int
	var pongKey *string
	var duration *time.Duration
	if tool.hasPayload {
		payload = fs.Int("p", 8, "payload size in `bytes`")
	}
	if tool.hasPongKey {
		pongKey = fs.String("pong-key", "test/pong", "`key` expression the pong publishes its echoes on")
	}
	if tool.countUsage != "" {
		count = fs.Int("n", tool.count, tool.countUsage)
	}
	if tool.hasDur {
		duration = fs.Duration("d", 0, "`duration` of publishing, e.g. 10s (0: until a signal)")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printBenchUsage(stdout, name, tool, fs)
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	o := &benchOpts{key: *key, scout: !*noScout}
	var err error
	if o.mode, err = parseRole(*mode); err != nil {
		return nil, fmt.Errorf("-m %q: want router, peer or client", *mode)
	}
	if o.connect, err = parseEndpoints("-e", connect); err != nil {
		return nil, err
	}
	if o.listen, err = parseEndpoints("-l", listen); err != nil {
		return nil, err
	}
	if len(o.connect) == 0 && o.mode == codec.Client && !o.scout {
		ep, _ := link.ParseEndpoint(defaultConnect)
		o.connect = []link.Endpoint{ep}
	}
	if o.mode == codec.Peer && len(o.connect) == 0 && len(o.listen) == 0 && !o.scout {
		return nil, errors.New("a peer without -e, -l or scouting can reach nobody")
	}
	// The router would refuse a bad key without a word to the tool.
	if err := keyexpr.Validate(o.key); err != nil {
		return nil, fmt.Errorf("-k %q: %w", o.key, err)
	}
	if payload != nil {
		if *payload < 0 || *payload > maxPayload {
			return nil, fmt.Errorf("-p %d: want 0 to %d bytes", *payload, maxPayload)
		}
		o.payload = *payload
	}
	if pongKey != nil {
		if err := keyexpr.Validate(*pongKey); err != nil {
			return nil, fmt.Errorf("--pong-key %q: %w", *pongKey, err)
		}
		o.pongKey = *pongKey
	}
	if count != nil {
		if *count < tool.countMin {
			return nil, fmt.Errorf("-n %d: want at least %d", *count, tool.countMin)
		}
		o.count = *count
	}
	if duration != nil {
		if *duration < 0 {
			return nil, fmt.Errorf("-d %v: negative duration", *duration)
		}
		o.duration = *duration
	}
	return o, nil
}

// printBenchUsage lists every flag with its default, including the ones
// flag.PrintDefaults would leave out (zero values, the implicit -e).
func printBenchUsage(w io.Writer, name string, tool *benchTool, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: node bench %s [flags]\n\n%s\n\nflags:\n", name, tool.about)
	fs.VisitAll(func(f *flag.Flag) {
		dash, def := "-", f.DefValue
		if len(f.Name) > 1 {
			dash = "--"
		}
		arg, usage := flag.UnquoteUsage(f)
		switch f.Name {
		case "e":
			def = defaultConnect + " in client mode without scouting, else none"
		case "l":
			def = "none; tcp/[::]:7447 in router mode"
		}
		if def == "" {
			def = `""`
		}
		if arg == "value" { // a listFlag: UnquoteUsage found no name
			arg = "endpoint"
		}
		if arg != "" {
			arg = " " + arg
		}
		fmt.Fprintf(w, "  %s%s%s\n    \t%s (default %s)\n", dash, f.Name, arg, usage, def)
	})
}

// openBench opens the tool's session through the public API, as an
// embedding application would, with warnings on stderr. With connect
// endpoints, Open returns once a session with the remote node exists.
func openBench(ctx context.Context, o *benchOpts, stderr io.Writer) (*zenoh.Session, error) {
	cfg := zenoh.DefaultConfig()
	cfg.Mode = o.mode
	cfg.MulticastScouting = o.scout
	for _, ep := range o.connect {
		cfg.Connect = append(cfg.Connect, ep.String())
	}
	for _, ep := range o.listen {
		cfg.Listen = append(cfg.Listen, ep.String())
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	octx, cancel := context.WithTimeout(ctx, sessionWait)
	defer cancel()
	s, err := zenoh.Open(octx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("interrupted while waiting for a session with %v", o.connect)
		}
		return nil, err
	}
	return s, nil
}

func runPubThr(ctx context.Context, o *benchOpts, stdout, stderr io.Writer) error {
	s, err := openBench(ctx, o, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	pub, err := s.DeclarePublisher(o.key, zenoh.WithCongestionControl(zenoh.CongestionControlBlock))
	if err != nil {
		return err
	}
	payload := bytes.Repeat([]byte{0x5a}, o.payload)
	var stop atomic.Bool
	go func() {
		var stopAt <-chan time.Time
		if o.duration > 0 {
			t := time.NewTimer(o.duration)
			defer t.Stop()
			stopAt = t.C
		}
		select {
		case <-ctx.Done():
		case <-stopAt:
		}
		stop.Store(true)
	}()
	start := time.Now()
	sent := 0
	for !stop.Load() {
		// Checked every 256 Puts: the loop is the measurement.
		for range 256 {
			if err := pub.Put(payload); err != nil {
				return err
			}
		}
		sent += 256
	}
	elapsed := time.Since(start)
	return report(stdout, "published %d messages of %d B in %.1f s (%d dropped)\n", sent, o.payload,
		elapsed.Seconds(), s.DroppedPublications())
}

func report(w io.Writer, format string, args ...any) error {
	_, err := fmt.Fprintf(w, format, args...)
	return err
}

func runSubThr(ctx context.Context, o *benchOpts, stdout, stderr io.Writer) error {
	s, err := openBench(ctx, o, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	var count atomic.Uint64
	first := make(chan struct{})
	var once sync.Once
	// On loan, as zenoh's z_sub_thr takes them: nothing is copied.
	sub, err := s.DeclareSubscriber(o.key, zenoh.LoanedCallback(func(zenoh.Sample) {
		if count.Add(1) == 1 {
			once.Do(func() { close(first) })
		}
	}))
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return nil
	case <-first:
	}
	// The clock starts now: what came before belongs to no window.
	count.Swap(0)
	last := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var rates []float64
	for o.count == 0 || len(rates) < o.count {
		select {
		case <-ctx.Done():
			return subThrSummary(stdout, rates, sub.Dropped())
		case now := <-tick.C:
			n := count.Swap(0)
			rate := float64(n) / now.Sub(last).Seconds()
			last = now
			rates = append(rates, rate)
			// os.Stdout is unbuffered: the line is out at once.
			if err := report(stdout, "%.1f msg/s\n", rate); err != nil {
				return err
			}
		}
	}
	return subThrSummary(stdout, rates, sub.Dropped())
}

func subThrSummary(w io.Writer, rates []float64, dropped uint64) error {
	if dropped > 0 {
		if err := report(w, "dropped %d samples\n", dropped); err != nil {
			return err
		}
	}
	if len(rates) == 0 {
		return nil
	}
	s := slices.Clone(rates)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return report(w, "median %.1f msg/s over %d reports\n", med, len(s))
}

func runPong(ctx context.Context, o *benchOpts, stdout, stderr io.Writer) error {
	s, err := openBench(ctx, o, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	pub, err := s.DeclarePublisher(o.pongKey, zenoh.WithCongestionControl(zenoh.CongestionControlBlock),
		zenoh.WithExpress(true))
	if err != nil {
		return err
	}
	// The echo is published from the callback, on the goroutine that
	// received the ping, as zenoh's z_pong does.
	if _, err := s.DeclareSubscriber(o.key, zenoh.LoanedCallback(func(smp zenoh.Sample) {
		if smp.Kind == zenoh.SampleKindPut {
			_ = pub.Put(smp.Payload) // encoded before the loan ends
		}
	})); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// pingSeq reads the sequence number ping wrote at the start of a
// payload: its first min(len, 8) bytes, little-endian.
func pingSeq(p []byte) uint64 {
	var s uint64
	for i := min(len(p), 8) - 1; i >= 0; i-- {
		s = s<<8 | uint64(p[i])
	}
	return s
}

func runPing(ctx context.Context, o *benchOpts, stdout, stderr io.Writer) error {
	s, err := openBench(ctx, o, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	pub, err := s.DeclarePublisher(o.key, zenoh.WithCongestionControl(zenoh.CongestionControlBlock),
		zenoh.WithExpress(true))
	if err != nil {
		return err
	}
	// The rounds are driven from the subscriber's callback: an echo
	// ends its round and publishes the next ping on the goroutine that
	// received it, so a round trip costs no goroutine wake-up on this side
	// (zenoh's z_ping spins on the echo for the same reason). The main
	// goroutine only watches for lost rounds.
	pg := &pinger{pub: pub, payload: make([]byte, o.payload), count: o.count, done: make(chan struct{})}
	pg.mask = ^uint64(0)
	if o.payload < 8 {
		// A payload shorter than 8 bytes holds only the low bytes of
		// the sequence number; an empty one matches any echo.
		pg.mask = 1<<(8*o.payload) - 1
	}
	if _, err := s.DeclareSubscriber(o.pongKey, zenoh.LoanedCallback(pg.echo)); err != nil {
		return err
	}

	// Warm-up: until the first echo, pings are dropped by write-side
	// filtering (neither side knows the other's subscriber yet).
	warmStart := time.Now()
	for !pg.warm.Load() {
		pg.mu.Lock()
		pg.sendLocked()
		pg.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil // interrupted
		case <-time.After(pingWarmupTry):
		}
		if !pg.warm.Load() && time.Since(warmStart) > pingWarmupWait {
			return fmt.Errorf("no echo on %s within %v: is a pong subscribed to %s?", o.pongKey, pingWarmupWait, o.key)
		}
	}

	pg.mu.Lock()
	pg.measuring = true
	pg.sendLocked()
	pg.mu.Unlock()
	tick := time.NewTicker(pingRoundTimeout / 10)
	defer tick.Stop()
	var gaveUp error
	for finished := false; !finished; {
		select {
		case <-ctx.Done():
			finished = true // interrupted: report what was measured
		case <-pg.done:
			finished = true
		case <-tick.C:
			// A round without its echo for pingRoundTimeout is lost:
			// the next one starts from here.
			pg.mu.Lock()
			if time.Since(pg.t0) >= pingRoundTimeout && !pg.over() {
				pg.lost++
				if pg.lostInARow++; pg.lostInARow >= pingMaxLostInARow {
					gaveUp = fmt.Errorf("gave up after %d rounds in a row without an echo", pg.lostInARow)
					finished = true
				} else if !pg.over() {
					pg.sendLocked()
				} else {
					finished = true
				}
			}
			pg.mu.Unlock()
		}
	}
	pg.mu.Lock()
	pg.measuring = false
	rtts, lost := slices.Clone(pg.rtts), pg.lost
	pg.mu.Unlock()
	if len(rtts) == 0 {
		if gaveUp != nil {
			return fmt.Errorf("no round trip measured: %w", gaveUp)
		}
		return fmt.Errorf("no round trip measured (%d lost)", lost)
	}
	slices.Sort(rtts)
	us := func(q float64) float64 { return float64(percentile(rtts, q)) / float64(time.Microsecond) }
	if err := report(stdout, "rtt min/median/p90/p99/max = %.1f/%.1f/%.1f/%.1f/%.1f us over %d rounds of %d B, %d lost\n",
		us(0), us(0.5), us(0.9), us(0.99), us(1), len(rtts), o.payload, lost); err != nil {
		return err
	}
	return gaveUp
}

// pinger is the state of ping's rounds, shared by the main goroutine and
// the subscriber's callback under mu.
type pinger struct {
	pub     *zenoh.Publisher
	payload []byte
	mask    uint64
	count   int
	warm    atomic.Bool // an echo came
	done    chan struct{}

	mu         sync.Mutex
	measuring  bool
	seq        uint64
	t0         time.Time
	rtts       []time.Duration
	lost       int
	lostInARow int
	closed     bool
}

// sendLocked publishes the next ping.
func (p *pinger) sendLocked() {
	p.seq++
	for i, s := 0, p.seq; i < min(len(p.payload), 8); i, s = i+1, s>>8 {
		p.payload[i] = byte(s)
	}
	p.t0 = time.Now()
	_ = p.pub.Put(p.payload) // Put copies it: reused
}

// over reports whether every round was measured or lost.
func (p *pinger) over() bool { return len(p.rtts)+p.lost >= p.count }

// echo ends the current round when its echo comes, and starts the next.
func (p *pinger) echo(smp zenoh.Sample) {
	p.warm.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.measuring || pingSeq(smp.Payload) != p.seq&p.mask {
		return
	}
	p.rtts = append(p.rtts, time.Since(p.t0))
	p.lostInARow = 0
	if p.over() {
		if !p.closed {
			p.closed = true
			close(p.done)
		}
		return
	}
	p.sendLocked()
}

// percentile returns the nearest-rank q-quantile of sorted (q in [0, 1]).
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
