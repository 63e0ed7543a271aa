package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// picoExamples are the zenoh-pico programs the workloads run.
var picoExamples = []string{"z_pub_thr", "z_sub_thr", "z_ping", "z_pong"}

// picoPongReady is what z_pong prints once its subscriber is declared.
const picoPongReady = "Pong app is running"

// findPico returns the zenoh-pico examples folder from $ZPICO_PATCHED
// (preferred: built with the fix for partial sends on non-blocking
// sockets) or $ZPICO_EXAMPLES, and which variable named it. An empty dir
// and a nil error mean neither is set.
func findPico() (dir, env string, err error) {
	for _, env := range []string{"ZPICO_PATCHED", "ZPICO_EXAMPLES"} {
		dir := os.Getenv(env)
		if dir == "" {
			continue
		}
		for _, ex := range picoExamples {
			if _, err := os.Stat(filepath.Join(dir, ex)); err != nil {
				return "", env, fmt.Errorf("$%s=%s: %w (want zenoh-pico's examples build folder)", env, dir, err)
			}
		}
		return dir, env, nil
	}
	return "", "", nil
}

// picoVersion reads the zenoh-pico version of a CMake build folder's
// sources (build/CMakeCache.txt names them; version.txt holds it), or "".
func picoVersion(examplesDir string) string {
	cache, err := os.ReadFile(filepath.Join(examplesDir, "..", "CMakeCache.txt"))
	if err != nil {
		return ""
	}
	for l := range strings.Lines(string(cache)) {
		src, ok := strings.CutPrefix(strings.TrimSpace(l), "CMAKE_HOME_DIRECTORY:INTERNAL=")
		if !ok {
			continue
		}
		v, err := os.ReadFile(filepath.Join(src, "version.txt"))
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(v))
	}
	return ""
}

// picoStart runs a pico example under `stdbuf -oL`: its printf output
// is block-buffered on a pipe otherwise, and z_sub_thr would print nothing
// before it exits.
func (r *runner) picoStart(ps *procSet, name string, args ...string) (*proc, error) {
	argv := append([]string{r.stdbuf, "-oL", filepath.Join(r.picoDir, name)}, args...)
	return ps.start(name, argv)
}

// picoThr: z_pub_thr → z_sub_thr, peer to peer or as clients of our
// router. z_pub_thr sleeps 1 s after opening its session, so z_sub_thr
// is subscribed by the time it publishes.
func (r *runner) picoThr(ctx context.Context, ps *procSet, routed bool, payload int) (float64, error) {
	recvArgs, sendArgs, port, watch, err := r.peerOrRouted(ctx, ps, routed)
	if err != nil {
		return 0, err
	}
	sub, err := r.picoStart(ps, "z_sub_thr", recvArgs...)
	if err != nil {
		return 0, err
	}
	if !routed {
		if err := waitListening(ctx, sub, port, startWait); err != nil {
			return 0, err
		}
	}
	pub, err := r.picoStart(ps, "z_pub_thr", append(sendArgs, "-s", strconv.Itoa(payload))...)
	if err != nil {
		return 0, err
	}
	return r.measureThr(ctx, sub, picoReportPeriod, append(watch, sub, pub))
}

// picoPing: z_ping → z_pong, peer to peer or as clients of our router.
// z_ping waits for every echo without a timeout, so z_pong's subscriber
// must be known before it starts; our await bounds the run.
func (r *runner) picoPing(ctx context.Context, ps *procSet, routed bool, payload int) (rttStats, error) {
	recvArgs, sendArgs, port, watch, err := r.peerOrRouted(ctx, ps, routed)
	if err != nil {
		return rttStats{}, err
	}
	pong, err := r.picoStart(ps, "z_pong", recvArgs...)
	if err != nil {
		return rttStats{}, err
	}
	watch = append(watch, pong)
	if err := await(ctx, startWait, "z_pong's "+strconv.Quote(picoPongReady), watch, func() bool {
		return pong.hasLine(picoPongReady)
	}); err != nil {
		return rttStats{}, err
	}
	if routed {
		select {
		case <-ctx.Done():
			return rttStats{}, ctx.Err()
		case <-time.After(picoPongSettle):
		}
	} else if err := waitListening(ctx, pong, port, startWait); err != nil {
		return rttStats{}, err
	}
	ping, err := r.picoStart(ps, "z_ping", append(sendArgs, "-s", strconv.Itoa(payload),
		"-n", strconv.Itoa(r.set.rounds), "-w", strconv.Itoa(int(r.set.pingWarm/time.Millisecond)))...)
	if err != nil {
		return rttStats{}, err
	}
	if err := r.awaitPing(ctx, ping, watch); err != nil {
		return rttStats{}, fmt.Errorf("%w (z_ping waits for ever for a lost echo)", err)
	}
	st, err := rttFromSamples(rttSamples(ping.snapshot()))
	if err != nil {
		return rttStats{}, fmt.Errorf("z_ping: %w; its last output:%s", err, ping.tail())
	}
	if st.rounds != r.set.rounds {
		return rttStats{}, fmt.Errorf("z_ping printed %d round trips, want %d; its last output:%s", st.rounds, r.set.rounds, ping.tail())
	}
	return st, nil
}
