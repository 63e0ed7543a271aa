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
	"sync/atomic"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors"
	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/actors/router"
	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/keyexpr"
)

const (
	// defaultConnect is where a client bench tool connects by default,
	// like zenoh-pico's examples.
	defaultConnect = "tcp/127.0.0.1:7447"
	// sessionWait bounds the wait for the session to the remote node.
	sessionWait = 10 * time.Second
	// pubBatch is the number of messages in one LocalSend of pub-thr: one
	// router turn routes them all, which is what makes batching pay.
	pubBatch = 256
	// pubInFlight bounds the LocalSends of pub-thr the node has not
	// finished with (Done not called yet). It is the back pressure: the
	// publisher never runs more than this ahead of the sessions.
	pubInFlight = 8
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

// benchQoS is what every bench tool sends with: priority Data and
// congestion control Block, as zenoh's z_pub_thr and z_ping do, so that
// a full send queue slows the publisher down instead of dropping.
var benchQoS = codec.NewQoS(codec.PriorityData, true, false)

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

// benchNode is a bench tool's node with one local session on it.
type benchNode struct {
	sys  *actor.ActorSystem
	node *actors.Node
	face atomic.Uint32 // router.FaceID; the local actor reads it
}

// pushHandler gets the Pushes of one Send to the local session, in the
// local actor. The messages alias the node's buffers: a handler copies
// what it keeps.
type pushHandler func(b *benchNode, pushes []*codec.Push)

// startBenchNode starts the tool's node in an actor system of its own,
// opens its local session, and, when it has connect endpoints, waits
// until a session with the remote node is established.
func startBenchNode(ctx context.Context, o *benchOpts, stderr io.Writer, h pushHandler) (*benchNode, error) {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return logger }))
	cfg := actors.DefaultNodeConfig(o.mode)
	cfg.Logger = logger
	cfg.Scouting.Multicast = o.scout
	if len(o.listen) > 0 {
		cfg.Listen = o.listen
	}
	cfg.Connect = o.connect
	n, err := actors.StartNode(sys, cfg)
	if err != nil {
		sys.Shutdown()
		return nil, err
	}
	b := &benchNode{sys: sys, node: n}

	var pushes []*codec.Push // reused: only the local actor touches it
	local := sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		s, ok := ctx.Message().(*session.Send)
		if !ok {
			return
		}
		pushes = pushes[:0]
		for i := range s.Msgs {
			if s.Msgs[i].ID == codec.MidPush {
				pushes = append(pushes, &s.Msgs[i].Push)
			}
		}
		for i := range s.Pushes {
			pushes = append(pushes, &s.Pushes[i])
		}
		if len(pushes) > 0 {
			h(b, pushes)
		}
		clear(pushes)
		// The router holds the session's read buffer until every Send
		// routed from it is done: calling Done late stalls the link.
		if s.Done != nil {
			s.Done()
		}
	}))
	res, err := sys.Root.RequestFuture(n.Router, &router.OpenLocal{PID: local, ZID: n.ZID}, 5*time.Second).Result()
	if err != nil {
		b.stop()
		return nil, fmt.Errorf("opening the local session: %w", err)
	}
	b.face.Store(uint32(res.(*router.LocalOpened).Face))
	if len(o.connect) > 0 {
		if err := b.awaitSession(ctx, o.connect); err != nil {
			b.stop()
			return nil, err
		}
	}
	return b, nil
}

// awaitSession polls until the node has a session: the manager offers
// no event to wait on.
func (b *benchNode) awaitSession(ctx context.Context, eps []link.Endpoint) error {
	deadline := time.Now().Add(sessionWait)
	for {
		s, err := b.node.Sessions()
		if err == nil && len(s) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no session with %v within %v", eps, sessionWait)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("interrupted while waiting for a session with %v", eps)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// send hands messages to the router as the local session's.
func (b *benchNode) send(msgs []codec.NetworkMessage, done func()) {
	b.sys.Root.Send(b.node.Router, &router.LocalSend{Face: router.FaceID(b.face.Load()),
		Msgs: msgs, Reliable: true, Done: done})
}

// declareSub declares subscriber 1 on key for the local session.
func (b *benchNode) declareSub(key string) {
	b.send([]codec.NetworkMessage{{ID: codec.MidDeclare, Declare: codec.Declare{QoS: codec.DefaultQoS,
		Body: codec.Declaration{Kind: codec.DeclSubscriber, ID: 1, WireExpr: wireExpr(key)}}}}, nil)
}

// stop closes the node's sessions (telling peers) and its actor system.
func (b *benchNode) stop() {
	b.node.Stop(time.Second)
	b.sys.Shutdown()
}

func wireExpr(key string) codec.WireExpr {
	return codec.WireExpr{Suffix: []byte(key), Mapping: true}
}

// putMsg is a Push(Put) of payload on we; the router may alias both.
func putMsg(we codec.WireExpr, payload []byte) codec.NetworkMessage {
	return codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{WireExpr: we, QoS: benchQoS,
		Body: codec.Data{Kind: codec.MidPut, Payload: payload}}}
}

// pubBatchBuf is one LocalSend's worth of pub-thr messages. It goes back
// to the free list only when the router calls Done, since until then the
// router may alias the messages (and stamp their timestamps in place).
type pubBatchBuf struct {
	msgs []codec.NetworkMessage
	done func()
}

func runPubThr(ctx context.Context, o *benchOpts, stdout, stderr io.Writer) error {
	b, err := startBenchNode(ctx, o, stderr, func(*benchNode, []*codec.Push) {})
	if err != nil {
		return err
	}
	defer b.stop()

	// Every message shares one payload and key: nothing ever writes them.
	tmpl := putMsg(wireExpr(o.key), bytes.Repeat([]byte{0x5a}, o.payload))
	free := make(chan *pubBatchBuf, pubInFlight)
	for range pubInFlight {
		pb := &pubBatchBuf{msgs: make([]codec.NetworkMessage, pubBatch)}
		for i := range pb.msgs {
			pb.msgs[i] = tmpl
		}
		pb.done = func() { free <- pb }
		free <- pb
	}
	var stopAt <-chan time.Time
	if o.duration > 0 {
		t := time.NewTimer(o.duration)
		defer t.Stop()
		stopAt = t.C
	}

	start := time.Now()
	sent := 0
loop:
	for {
		var pb *pubBatchBuf
		select {
		case <-ctx.Done():
			break loop
		case <-stopAt:
			break loop
		case pb = <-free:
		}
		for i := range pb.msgs {
			pb.msgs[i].Push = tmpl.Push // undo a timestamp stamped in place
		}
		b.send(pb.msgs, pb.done)
		sent += len(pb.msgs)
	}
	elapsed := time.Since(start)
	// Let the node take what was handed to it before it is stopped.
	drain := time.NewTimer(2 * time.Second)
	defer drain.Stop()
	for pending := pubInFlight; pending > 0; pending-- {
		select {
		case <-free:
			continue
		case <-drain.C:
			fmt.Fprintf(stderr, "node bench pub-thr: %d batches not yet sent at exit\n", pending)
		}
		break
	}
	return report(stdout, "published %d messages of %d B in %.1f s\n", sent, o.payload, elapsed.Seconds())
}

func report(w io.Writer, format string, args ...any) error {
	_, err := fmt.Fprintf(w, format, args...)
	return err
}

func runSubThr(ctx context.Context, o *benchOpts, stdout, stderr io.Writer) error {
	var count atomic.Uint64
	first := make(chan struct{})
	started := false // local actor only
	b, err := startBenchNode(ctx, o, stderr, func(_ *benchNode, pushes []*codec.Push) {
		count.Add(uint64(len(pushes)))
		if !started {
			started = true
			close(first)
		}
	})
	if err != nil {
		return err
	}
	defer b.stop()
	b.declareSub(o.key)

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
			return subThrSummary(stdout, rates)
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
	return subThrSummary(stdout, rates)
}

func subThrSummary(w io.Writer, rates []float64) error {
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
	out := wireExpr(o.pongKey) // shared by every echo: never written
	b, err := startBenchNode(ctx, o, stderr, func(b *benchNode, pushes []*codec.Push) {
		// The pushes alias the node's read buffer, released after this
		// handler returns: the echoes carry copies, never reused, so
		// they need no Done.
		echoes := make([]codec.NetworkMessage, 0, len(pushes))
		for _, p := range pushes {
			if p.Body.Kind == codec.MidPut {
				echoes = append(echoes, putMsg(out, bytes.Clone(p.Body.Payload)))
			}
		}
		if len(echoes) > 0 {
			b.send(echoes, nil)
		}
	})
	if err != nil {
		return err
	}
	defer b.stop()
	b.declareSub(o.key)
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
	// Echoes arrive in the local actor; the loop below matches them to
	// the round by sequence number, so a late echo of a lost round is
	// not taken for the current one. Never block the actor: an echo that
	// finds the channel full was of no round anyone waits for.
	echoes := make(chan uint64, 1024)
	b, err := startBenchNode(ctx, o, stderr, func(_ *benchNode, pushes []*codec.Push) {
		for _, p := range pushes {
			select {
			case echoes <- pingSeq(p.Body.Payload):
			default:
			}
		}
	})
	if err != nil {
		return err
	}
	defer b.stop()
	b.declareSub(o.pongKey)

	// A payload shorter than 8 bytes holds only the low bytes of the
	// sequence number; an empty one matches any echo.
	mask := ^uint64(0)
	if o.payload < 8 {
		mask = 1<<(8*o.payload) - 1
	}
	ping := wireExpr(o.key)
	var seq uint64
	send := func() {
		seq++
		p := make([]byte, o.payload) // fresh: the router may alias it
		for i, s := 0, seq; i < min(o.payload, 8); i, s = i+1, s>>8 {
			p[i] = byte(s)
		}
		b.send([]codec.NetworkMessage{putMsg(ping, p)}, nil)
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// await waits up to d for the echo of the last ping; anyEcho accepts
	// the echo of an earlier one too.
	await := func(d time.Duration, anyEcho bool) (bool, error) {
		timer.Reset(d)
		for {
			select {
			case <-ctx.Done():
				return false, ctx.Err()
			case <-timer.C:
				return false, nil
			case s := <-echoes:
				if anyEcho || s == seq&mask {
					return true, nil
				}
			}
		}
	}

	// Warm-up: until the first echo, pings are dropped by write-side
	// filtering (neither side knows the other's subscriber yet).
	warmStart := time.Now()
	for {
		send()
		ok, err := await(pingWarmupTry, true)
		if err != nil {
			return nil // interrupted
		}
		if ok {
			break
		}
		if time.Since(warmStart) > pingWarmupWait {
			return fmt.Errorf("no echo on %s within %v: is a pong subscribed to %s?", o.pongKey, pingWarmupWait, o.key)
		}
	}

	rtts := make([]time.Duration, 0, o.count)
	lost, lostInARow := 0, 0
	var gaveUp error
	for range o.count {
		t0 := time.Now()
		send()
		ok, err := await(pingRoundTimeout, false)
		if err != nil {
			break // interrupted: report what was measured
		}
		if !ok {
			lost++
			if lostInARow++; lostInARow >= pingMaxLostInARow {
				gaveUp = fmt.Errorf("gave up after %d rounds in a row without an echo", lostInARow)
				break
			}
			continue
		}
		rtts = append(rtts, time.Since(t0))
		lostInARow = 0
	}
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

// percentile returns the nearest-rank q-quantile of sorted (q in [0, 1]).
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
