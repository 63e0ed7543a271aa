package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// NATS subjects of the workloads.
const (
	natsThrSubject  = "bench.thr"
	natsPingSubject = "bench.ping"
	natsPongSubject = "bench.pong"
	// natsReady is what a NATS child prints once its subscription is
	// known to the server (after a Flush round trip).
	natsReady = "ready"
	// natsPubChunk is how many Publishes the publisher makes between two
	// looks at the clock.
	natsPubChunk = 1024
)

// natsServer is a nats-server embedded in the harness process, listening
// on a random loopback port; stop shuts it down and waits.
type natsServer struct {
	s   *server.Server
	url string
}

func startNATS() (*natsServer, error) {
	opts := &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("nats-server: %w", err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, errors.New("nats-server: not ready for connections within 10s")
	}
	return &natsServer{s: s, url: s.ClientURL()}, nil
}

func (n *natsServer) stop() {
	n.s.Shutdown()
	n.s.WaitForShutdown()
}

// runChild runs one NATS client role in this process (the harness starts
// itself again as `bench child ROLE flags`) and returns the exit status.
func runChild(args []string, stdout io.Writer, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "bench child: missing role (nats-pub, nats-sub, nats-ping, nats-pong)")
		return 2
	}
	role := args[0]
	fs := flag.NewFlagSet("bench child "+role, flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "NATS server URL")
	payload := fs.Int("p", 8, "payload size in bytes")
	dur := fs.Duration("d", time.Minute, "how long to publish")
	period := fs.Duration("period", 100*time.Millisecond, "reporting period of nats-sub")
	rounds := fs.Int("n", 1000, "measured round trips of nats-ping")
	warm := fs.Duration("w", 500*time.Millisecond, "warm-up of nats-ping")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	nc, err := nats.Connect(*url, nats.NoReconnect(), nats.Name("bench "+role),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			fmt.Fprintf(stderr, "nats: %v\n", err)
		}))
	if err != nil {
		fmt.Fprintf(stderr, "bench child %s: connecting to %s: %v\n", role, *url, err)
		return 1
	}
	defer nc.Close()
	switch role {
	case "nats-pub":
		err = natsPub(nc, *payload, *dur)
	case "nats-sub":
		err = natsSub(nc, *period, out)
	case "nats-pong":
		err = natsPong(nc, out)
	case "nats-ping":
		err = natsPing(nc, *payload, *rounds, *warm, out)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench child %s: %v\n", role, err)
		return 1
	}
	return 0
}

// natsPub publishes as fast as the connection takes it: nats.go writes
// into a buffer that is flushed to the socket when full, so TCP back
// pressure from the server slows it down.
func natsPub(nc *nats.Conn, payload int, dur time.Duration) error {
	data := make([]byte, payload)
	for i := range data {
		data[i] = 0x5a
	}
	end := time.Now().Add(dur)
	for time.Now().Before(end) {
		for range natsPubChunk {
			if err := nc.Publish(natsThrSubject, data); err != nil {
				return err
			}
		}
	}
	return nc.Flush()
}

// subscribeReady subscribes handler to subject, waits until the server
// has the subscription, and tells the harness it is ready.
func subscribeReady(nc *nats.Conn, subject string, out *bufio.Writer, handler nats.MsgHandler) (*nats.Subscription, error) {
	sub, err := nc.Subscribe(subject, handler)
	if err != nil {
		return nil, err
	}
	if err := nc.Flush(); err == nil {
		err = writeLine(out, natsReady)
	}
	if err != nil {
		_ = sub.Unsubscribe()
		return nil, err
	}
	return sub, nil
}

// natsSub counts messages and, from the first one on, prints the rate
// of every period (as a plain number, like zenoh-pico's z_sub_thr).
func natsSub(nc *nats.Conn, period time.Duration, out *bufio.Writer) error {
	var count atomic.Uint64
	first := make(chan struct{})
	var started atomic.Bool
	sub, err := subscribeReady(nc, natsThrSubject, out, func(*nats.Msg) {
		count.Add(1)
		if !started.Load() && started.CompareAndSwap(false, true) {
			close(first)
		}
	})
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	<-first
	count.Store(0)
	last := time.Now()
	tick := time.NewTicker(period)
	defer tick.Stop()
	for now := range tick.C {
		n := count.Swap(0)
		if err := writeLine(out, fmt.Sprintf("%.1f", float64(n)/now.Sub(last).Seconds())); err != nil {
			return err
		}
		last = now
		if nc.IsClosed() {
			return errors.New("connection closed")
		}
	}
	return nil
}

// natsPong echoes every ping on the pong subject until its stdin closes
// (the harness holds it open).
func natsPong(nc *nats.Conn, out *bufio.Writer) error {
	sub, err := subscribeReady(nc, natsPingSubject, out, func(m *nats.Msg) {
		_ = nc.Publish(natsPongSubject, m.Data)
	})
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// natsPing publishes a ping and waits for its echo, rounds times after a
// warm-up, and prints each round trip in µs. The first bytes of a ping
// carry its sequence number, so a late echo is never taken for the
// current one.
func natsPing(nc *nats.Conn, payload, rounds int, warm time.Duration, out *bufio.Writer) error {
	echoes := make(chan *nats.Msg, 1024)
	sub, err := nc.ChanSubscribe(natsPongSubject, echoes)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		return err
	}
	var seq uint64
	data := make([]byte, payload)
	send := func() error {
		seq++
		for i, s := 0, seq; i < min(payload, 8); i, s = i+1, s>>8 {
			data[i] = byte(s)
		}
		return nc.Publish(natsPingSubject, data)
	}
	mask := ^uint64(0)
	if payload < 8 {
		mask = 1<<(8*payload) - 1
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// round sends a ping and waits up to d for its echo.
	round := func(d time.Duration) (bool, error) {
		if err := send(); err != nil {
			return false, err
		}
		timer.Reset(d)
		for {
			select {
			case <-timer.C:
				return false, nil
			case m := <-echoes:
				if payload == 0 || leUint(m.Data)&mask == seq&mask {
					return true, nil
				}
			}
		}
	}

	// Until the first echo the pong may not be subscribed yet.
	for start := time.Now(); ; {
		ok, err := round(100 * time.Millisecond)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		if time.Since(start) > 10*time.Second {
			return errors.New("no echo within 10s: is the pong running?")
		}
	}
	for end := time.Now().Add(warm); time.Now().Before(end); {
		if _, err := round(time.Second); err != nil {
			return err
		}
	}
	rtts := make([]time.Duration, 0, rounds)
	lostInARow := 0
	for range rounds {
		t0 := time.Now()
		ok, err := round(time.Second)
		if err != nil {
			return err
		}
		if !ok {
			if lostInARow++; lostInARow >= 10 {
				return errors.New("10 rounds in a row without an echo")
			}
			continue
		}
		lostInARow = 0
		rtts = append(rtts, time.Since(t0))
	}
	for _, d := range rtts {
		if _, err := fmt.Fprintf(out, "%.3f\n", float64(d)/float64(time.Microsecond)); err != nil {
			return err
		}
	}
	return out.Flush()
}

// leUint reads the first min(len, 8) bytes of p, little-endian.
func leUint(p []byte) uint64 {
	var s uint64
	for i := min(len(p), 8) - 1; i >= 0; i-- {
		s = s<<8 | uint64(p[i])
	}
	return s
}

// writeLine writes s and a newline and flushes: the harness times each line.
func writeLine(out *bufio.Writer, s string) error {
	if _, err := out.WriteString(s + "\n"); err != nil {
		return err
	}
	return out.Flush()
}
