// Command node is the gozenoh binary. It runs a Zenoh node: it listens and
// connects, opens sessions with zenoh-pico, Rust zenoh and other gozenoh
// nodes, answers multicast Scouts (a client or peer without connect
// endpoints scouts for a router), and in router mode routes pub/sub,
// queries and liveliness between its clients. The router mesh, the Go
// API and the CLI tools come in later issues.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/actors/router"
	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "node:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("node", flag.ContinueOnError)
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
		fmt.Fprintf(fs.Output(), "usage: node [flags]\n\nRuns a Zenoh node. Router mode routes pub/sub, queries and liveliness\nbetween its clients; peer and client modes are partial (see README).\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	role, err := parseRole(*mode)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if len(listen) == 0 && role == codec.Router {
		listen = listFlag{"tcp/[::]:7447"}
	}

	zid, err := hlc.NewRandomID(rand.Reader)
	if err != nil {
		return err
	}
	cfg := session.ManagerConfig{Session: session.DefaultConfig(), Logger: logger,
		Scouting: session.ScoutingConfig{Multicast: !*noScout}}
	cfg.Session.ZID, cfg.Session.WhatAmI = zid, role
	for _, s := range listen {
		ep, err := link.ParseEndpoint(s)
		if err != nil {
			return fmt.Errorf("--listen %s: %w", s, err)
		}
		cfg.Listen = append(cfg.Listen, ep)
	}
	for _, s := range connect {
		ep, err := link.ParseEndpoint(s)
		if err != nil {
			return fmt.Errorf("--connect %s: %w", s, err)
		}
		cfg.Connect = append(cfg.Connect, ep)
	}

	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return logger }))
	defer sys.Shutdown()
	clock, err := hlc.NewClock(zid, hlc.DefaultConfig())
	if err != nil {
		return err
	}
	// Routers timestamp Puts by default, as zenoh's do (timestamping.enabled).
	rcfg := router.ActorConfig{Tables: router.DefaultConfig(), Logger: logger,
		Timestamping: role == codec.Router, Clock: clock}
	rcfg.Tables.ZID, rcfg.Tables.Mode = zid, role
	rprops, err := router.Props(rcfg)
	if err != nil {
		return err
	}
	cfg.Handler = sys.Root.Spawn(rprops)
	props, err := session.ManagerProps(cfg)
	if err != nil {
		return err
	}
	manager := sys.Root.Spawn(props)
	logger.Info("gozenoh node started", "zid", zid, "mode", role)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	logger.Info("shutting down")
	_, err = sys.Root.RequestFuture(manager, &session.Shutdown{Timeout: time.Second}, 2*time.Second).Result()
	return err
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
