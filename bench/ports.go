package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("picking a free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tcpListenState is the state column of /proc/net/tcp for LISTEN.
const tcpListenState = "0A"

// listening reports whether a socket listens on 127.0.0.1:port (or any
// address), from /proc/net/tcp. Reading the table never connects: a probe
// connection would be a bogus session attempt for the zenoh listeners.
// ok is false when the table cannot be read.
func listening(port int) (found, ok bool) {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return false, false
	}
	defer f.Close()
	want := fmt.Sprintf(":%04X", port)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		// sl local_address rem_address st ...
		if len(fs) < 4 || fs[3] != tcpListenState || !strings.HasSuffix(fs[1], want) {
			continue
		}
		addr := strings.TrimSuffix(fs[1], want)
		if addr == "0100007F" || addr == "00000000" {
			return true, true
		}
	}
	return false, sc.Err() == nil
}

// waitListening waits until something listens on 127.0.0.1:port, or p
// (the child expected to listen) exits, or timeout passes. Without
// /proc/net/tcp it dials instead.
func waitListening(ctx context.Context, p *proc, port int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		found, ok := listening(port)
		if !ok {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 100*time.Millisecond)
			if err == nil {
				c.Close()
				found = true
			}
		}
		if found {
			return nil
		}
		if gone, err := p.hasExited(); gone {
			return fmt.Errorf("%s ended (%v) before listening on 127.0.0.1:%d; its last output:%s", p.name, err, port, p.tail())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: nothing listens on 127.0.0.1:%d after %v; its last output:%s", p.name, port, timeout, p.tail())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
