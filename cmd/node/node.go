package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors"
	"github.com/gozenoh/zenoh/actors/link"
)

// runNode runs a node until SIGINT or SIGTERM and returns the exit status.
func runNode(args []string, stderr io.Writer) int {
	err := runNodeErr(args, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	default:
		fmt.Fprintln(stderr, "node:", err)
		return exitError
	}
}

func runNodeErr(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("node", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var listen, connect listFlag
	mode := fs.String("mode", "router", "role: router, peer or client")
	fs.StringVar(mode, "m", "router", "shorthand for --mode")
	fs.Var(&listen, "listen", "endpoint to listen on, e.g. tcp/[::]:7447 (repeatable; default tcp/[::]:7447 for a router)")
	fs.Var(&listen, "l", "shorthand for --listen")
	fs.Var(&connect, "connect", "endpoint to connect to, e.g. tcp/127.0.0.1:7447 (repeatable)")
	fs.Var(&connect, "e", "shorthand for --connect")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	noScout := fs.Bool("no-multicast-scouting", false, "neither answer nor send multicast Scouts on 224.0.0.224:7446")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: node [flags]\n       node bench pub-thr|sub-thr|ping|pong [flags]\n\n"+
			"Runs a Zenoh node: a router routes pub/sub, queries and liveliness between\n"+
			"its clients, peers and other routers; a peer or client serves its own\nsessions (see README).\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (subcommands: bench)", fs.Arg(0))
	}
	role, err := parseRole(*mode)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	cfg := actors.DefaultNodeConfig(role)
	cfg.Logger = logger
	cfg.Scouting.Multicast = !*noScout
	// Explicit listen endpoints replace the router's default one.
	if len(listen) > 0 {
		if cfg.Listen, err = parseEndpoints("--listen", listen); err != nil {
			return err
		}
	}
	if cfg.Connect, err = parseEndpoints("--connect", connect); err != nil {
		return err
	}

	// Catch signals before anything can announce the node: a signal sent
	// as soon as it is up must stop it cleanly, not kill it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return logger }))
	defer sys.Shutdown()
	n, err := actors.StartNode(sys, cfg)
	if err != nil {
		return err
	}
	logger.Info("gozenoh node started", "zid", n.ZID, "mode", n.Mode, "listening", fmt.Sprint(n.Listening()))
	<-ctx.Done()
	logger.Info("shutting down")
	n.Stop(time.Second)
	return nil
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
