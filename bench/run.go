package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

const (
	// firstReportWait bounds the wait for a subscriber's first report:
	// sessions, declarations and z_pub_thr's 1 s start-up sleep.
	firstReportWait = 15 * time.Second
	// startWait bounds the wait for a listener or a "ready" line.
	startWait = 10 * time.Second
	// nodeReportPeriod and picoReportPeriod are how often the node's
	// sub-thr and zenoh-pico's z_sub_thr (-f 10) report; natsReportPeriod
	// is our NATS subscriber's.
	nodeReportPeriod = time.Second
	picoReportPeriod = 100 * time.Millisecond
	natsReportPeriod = 100 * time.Millisecond
	// picoPongSettle lets our router take z_pong's subscriber declaration
	// before z_ping starts: z_ping waits forever for an echo it lost.
	picoPongSettle = 200 * time.Millisecond
)

// settings are the lengths of one run.
type settings struct {
	warm   time.Duration // throughput warm-up, from the first message
	window time.Duration // throughput measuring window
	rounds int           // measured ping-pong round trips
	// pingWarm is the ping-pong warm-up of z_ping (-w) and of our NATS
	// ping; the node's ping starts measuring at its first echo.
	pingWarm time.Duration
}

// pingWait bounds a whole ping run: start-up, warm-up and rounds at up to
// 2 ms each.
func (s settings) pingWait() time.Duration {
	return 15*time.Second + s.pingWarm + time.Duration(s.rounds)*2*time.Millisecond
}

// pubDuration is how long a publisher is told to run: past the window even
// with the slowest start; it is killed once the window is measured.
func (s settings) pubDuration() time.Duration {
	return firstReportWait + s.warm + s.window + 10*time.Second
}

// runner runs the workloads. Each workload starts its children in a
// procSet of its own and kills them all when it returns.
type runner struct {
	set     settings
	nodeBin string    // the node binary, built by the harness
	self    string    // this binary, started again for the NATS clients
	picoDir string    // zenoh-pico's examples, "" to skip pico
	stdbuf  string    // stdbuf, which makes z_sub_thr's stdout line-buffered
	verbose io.Writer // -v: where each child's last output goes, or nil
}

// workload runs one system's throughput or ping at one payload.
type thrFunc func(ctx context.Context, ps *procSet, payload int) (float64, error)
type pingFunc func(ctx context.Context, ps *procSet, payload int) (rttStats, error)

func (r *runner) thr(id string) thrFunc {
	switch id {
	case sysGoPeer:
		return func(ctx context.Context, ps *procSet, p int) (float64, error) { return r.goThr(ctx, ps, false, p) }
	case sysGoRouter:
		return func(ctx context.Context, ps *procSet, p int) (float64, error) { return r.goThr(ctx, ps, true, p) }
	case sysNATS:
		return r.natsThr
	case sysPicoPeer:
		return func(ctx context.Context, ps *procSet, p int) (float64, error) { return r.picoThr(ctx, ps, false, p) }
	case sysPicoRouter:
		return func(ctx context.Context, ps *procSet, p int) (float64, error) { return r.picoThr(ctx, ps, true, p) }
	}
	panic("bench: no throughput workload for " + id)
}

func (r *runner) ping(id string) pingFunc {
	switch id {
	case sysGoPeer:
		return func(ctx context.Context, ps *procSet, p int) (rttStats, error) { return r.goPing(ctx, ps, false, p) }
	case sysGoRouter:
		return func(ctx context.Context, ps *procSet, p int) (rttStats, error) { return r.goPing(ctx, ps, true, p) }
	case sysNATS:
		return r.natsPing
	case sysPicoPeer:
		return func(ctx context.Context, ps *procSet, p int) (rttStats, error) { return r.picoPing(ctx, ps, false, p) }
	case sysPicoRouter:
		return func(ctx context.Context, ps *procSet, p int) (rttStats, error) { return r.picoPing(ctx, ps, true, p) }
	}
	panic("bench: no ping workload for " + id)
}

// measureThr waits for sub's first rate report, then until the window has
// passed, and returns the mean rate over the window. Every child in watch
// must keep running meanwhile.
func (r *runner) measureThr(ctx context.Context, sub *proc, period time.Duration, watch []*proc) (float64, error) {
	w := thrWindow{period: period, warm: r.set.warm, window: r.set.window}
	if err := await(ctx, firstReportWait, "message at "+sub.name, watch, func() bool {
		return len(rateReports(sub.snapshot())) > 0
	}); err != nil {
		return 0, err
	}
	_, hi := w.bounds(rateReports(sub.snapshot())[0].t)
	if err := await(ctx, time.Until(hi)+time.Minute, "end of the window", watch, func() bool {
		return time.Now().After(hi.Add(20 * time.Millisecond))
	}); err != nil {
		return 0, err
	}
	r.dump(watch)
	rate, _, err := w.rate(rateReports(sub.snapshot()))
	if err != nil {
		return 0, fmt.Errorf("%s: %w; its last output:%s", sub.name, err, sub.tail())
	}
	return rate, nil
}

// endpoint returns tcp/127.0.0.1:port.
func endpoint(port int) string { return "tcp/127.0.0.1:" + strconv.Itoa(port) }

// startRouter runs our node as a router on a free loopback port.
func (r *runner) startRouter(ctx context.Context, ps *procSet) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	ep := endpoint(port)
	p, err := ps.start("node router", []string{r.nodeBin, "-m", "router", "-l", ep,
		"--no-multicast-scouting", "--log-level", "warn"})
	if err != nil {
		return nil, "", err
	}
	if err := waitListening(ctx, p, port, startWait); err != nil {
		return nil, "", err
	}
	return p, ep, nil
}

// nodeTool starts `node bench TOOL` with args.
func (r *runner) nodeTool(ps *procSet, tool string, args ...string) (*proc, error) {
	return ps.start("node bench "+tool, append([]string{r.nodeBin, "bench", tool}, args...))
}

// peerOrRouted prepares a two-sided workload: peer to peer, a free port
// the receiver listens on (recvArgs) and the sender connects to
// (sendArgs); routed, our router on a free port both connect to as
// clients. watch has the router, if any.
func (r *runner) peerOrRouted(ctx context.Context, ps *procSet, routed bool) (recvArgs, sendArgs []string, port int, watch []*proc, err error) {
	if routed {
		router, ep, err := r.startRouter(ctx, ps)
		if err != nil {
			return nil, nil, 0, nil, err
		}
		args := []string{"-m", "client", "-e", ep}
		return args, slices.Clone(args), 0, []*proc{router}, nil
	}
	port, err = freePort()
	if err != nil {
		return nil, nil, 0, nil, err
	}
	return []string{"-m", "peer", "-l", endpoint(port)}, []string{"-m", "peer", "-e", endpoint(port)}, port, nil, nil
}

// goThr: node bench pub-thr → sub-thr, peer to peer or through a router.
func (r *runner) goThr(ctx context.Context, ps *procSet, routed bool, payload int) (float64, error) {
	recvArgs, sendArgs, port, watch, err := r.peerOrRouted(ctx, ps, routed)
	if err != nil {
		return 0, err
	}
	sub, err := r.nodeTool(ps, "sub-thr", recvArgs...)
	if err != nil {
		return 0, err
	}
	if !routed {
		if err := waitListening(ctx, sub, port, startWait); err != nil {
			return 0, err
		}
	}
	pub, err := r.nodeTool(ps, "pub-thr", append(sendArgs, "-p", strconv.Itoa(payload),
		"-d", r.set.pubDuration().String())...)
	if err != nil {
		return 0, err
	}
	return r.measureThr(ctx, sub, nodeReportPeriod, append(watch, sub, pub))
}

// goPing: node bench ping → pong, peer to peer or through a router. The
// ping retries until the pong answers, then measures.
func (r *runner) goPing(ctx context.Context, ps *procSet, routed bool, payload int) (rttStats, error) {
	recvArgs, sendArgs, port, watch, err := r.peerOrRouted(ctx, ps, routed)
	if err != nil {
		return rttStats{}, err
	}
	pong, err := r.nodeTool(ps, "pong", recvArgs...)
	if err != nil {
		return rttStats{}, err
	}
	if !routed {
		if err := waitListening(ctx, pong, port, startWait); err != nil {
			return rttStats{}, err
		}
	}
	ping, err := r.nodeTool(ps, "ping", append(sendArgs, "-p", strconv.Itoa(payload),
		"-n", strconv.Itoa(r.set.rounds))...)
	if err != nil {
		return rttStats{}, err
	}
	if err := r.awaitPing(ctx, ping, append(watch, pong)); err != nil {
		return rttStats{}, err
	}
	st, ok := parseNodePing(ping.snapshot())
	if !ok {
		return rttStats{}, fmt.Errorf("%s printed no round-trip summary; its last output:%s", ping.name, ping.tail())
	}
	return st, nil
}

// awaitPing waits for a ping child to end successfully, the others in
// watch running meanwhile.
func (r *runner) awaitPing(ctx context.Context, ping *proc, watch []*proc) error {
	if err := await(ctx, r.set.pingWait(), ping.name+" to finish", watch, func() bool {
		gone, _ := ping.hasExited()
		return gone
	}); err != nil {
		return err
	}
	r.dump(append(watch, ping))
	return ping.waitExit(ctx, time.Second)
}

// dump prints the last output lines of each child with -v.
func (r *runner) dump(ps []*proc) {
	if r.verbose == nil {
		return
	}
	for _, p := range ps {
		fmt.Fprintf(r.verbose, "  %s:%s\n", p.name, p.tail())
	}
}

// natsChild starts this binary as a NATS client.
func (r *runner) natsChild(ps *procSet, role, url string, args ...string) (*proc, error) {
	return ps.start(role, append([]string{r.self, "child", role, "-url", url}, args...))
}

// natsThr: nats-pub → embedded nats-server → nats-sub.
func (r *runner) natsThr(ctx context.Context, ps *procSet, payload int) (float64, error) {
	srv, err := startNATS()
	if err != nil {
		return 0, err
	}
	defer srv.stop()
	defer ps.killAll() // before the server stops: no reconnect noise
	sub, err := r.natsChild(ps, "nats-sub", srv.url, "-period", natsReportPeriod.String())
	if err != nil {
		return 0, err
	}
	if err := await(ctx, startWait, "ready line of nats-sub", []*proc{sub}, func() bool { return sub.hasLine(natsReady) }); err != nil {
		return 0, err
	}
	pub, err := r.natsChild(ps, "nats-pub", srv.url, "-p", strconv.Itoa(payload), "-d", r.set.pubDuration().String())
	if err != nil {
		return 0, err
	}
	return r.measureThr(ctx, sub, natsReportPeriod, []*proc{sub, pub})
}

// natsPing: nats-ping → embedded nats-server → nats-pong and back.
func (r *runner) natsPing(ctx context.Context, ps *procSet, payload int) (rttStats, error) {
	srv, err := startNATS()
	if err != nil {
		return rttStats{}, err
	}
	defer srv.stop()
	defer ps.killAll()
	pong, err := r.natsChild(ps, "nats-pong", srv.url)
	if err != nil {
		return rttStats{}, err
	}
	if err := await(ctx, startWait, "ready line of nats-pong", []*proc{pong}, func() bool { return pong.hasLine(natsReady) }); err != nil {
		return rttStats{}, err
	}
	ping, err := r.natsChild(ps, "nats-ping", srv.url, "-p", strconv.Itoa(payload),
		"-n", strconv.Itoa(r.set.rounds), "-w", r.set.pingWarm.String())
	if err != nil {
		return rttStats{}, err
	}
	if err := r.awaitPing(ctx, ping, []*proc{pong}); err != nil {
		return rttStats{}, err
	}
	return rttFromSamples(rttSamples(ping.snapshot()))
}
