// Command node is the gozenoh binary. Without a subcommand it runs a Zenoh
// node: it listens and connects, opens sessions with zenoh-pico, Rust
// zenoh and other gozenoh nodes, answers multicast Scouts (a client or
// peer without connect endpoints scouts for a router), and in router mode
// routes pub/sub, queries and liveliness. `node bench TOOL` runs one of
// the benchmark tools (pub-thr, sub-thr, ping, pong), each on a node of
// its own.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gozenoh/zenoh/codec"
)

// Exit statuses: 2 is what the flag package uses for a bad command line.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches on the first argument and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "bench" {
		return runBench(args[1:], stdout, stderr)
	}
	return runNode(args, stderr)
}

func parseRole(s string) (codec.WhatAmI, error) {
	switch s {
	case "router":
		return codec.Router, nil
	case "peer":
		return codec.Peer, nil
	case "client":
		return codec.Client, nil
	}
	return 0, fmt.Errorf("--mode %q: want router, peer or client", s)
}
