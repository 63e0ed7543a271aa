// Command node is the gozenoh binary. Without a subcommand it runs a Zenoh
// node through the zenoh API: it listens and connects, opens sessions with
// zenoh-pico, Rust zenoh and other gozenoh nodes, answers multicast Scouts
// (a client or peer without connect endpoints scouts for a router), and in
// router mode routes pub/sub, queries and liveliness.
//
// `node TOOL` runs one of the tools modelled on zenoh-pico's examples
// (put, delete, pub, sub, get, queryable, info, scout), each on a node of
// its own; `node bench TOOL` runs one of the benchmark tools (pub-thr,
// sub-thr, ping, pong).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/codec"
)

// Exit statuses: 2 is what the flag package uses for a bad command line;
// node and the tools use it for every usage or configuration error, and
// 1 for failures at run time.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// usageError is a bad command line or configuration: exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

func isUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches on the first argument and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "bench" {
			return runBench(args[1:], stdout, stderr)
		}
		if t := tools[args[0]]; t != nil {
			return runTool(args[0], t, args[1:], stdout, stderr)
		}
	}
	return runNode(args, stdout, stderr)
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

// parseEndpoints parses every endpoint of a flag; the error names the flag.
func parseEndpoints(flagName string, ss []string) ([]link.Endpoint, error) {
	var eps []link.Endpoint
	for _, s := range ss {
		ep, err := link.ParseEndpoint(s)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", flagName, s, err)
		}
		eps = append(eps, ep)
	}
	return eps, nil
}
