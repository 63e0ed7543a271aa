package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gozenoh/zenoh"
	"github.com/gozenoh/zenoh/keyexpr"
)

// runNode runs a node until SIGINT or SIGTERM and returns the exit status.
func runNode(args []string, stdout, stderr io.Writer) int {
	err := runNodeErr(args, stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case isUsage(err):
		fmt.Fprintf(stderr, "node: %v (see -h)\n", err)
		return exitUsage
	default:
		fmt.Fprintln(stderr, "node:", err)
		return exitError
	}
}

const nodeAbout = `usage: node [flags]
       node put|delete|pub|sub|get|queryable|liveliness|sub-liveliness|get-liveliness|info|scout [flags]
       node bench pub-thr|sub-thr|ping|pong [flags]

Runs a Zenoh node until SIGINT or SIGTERM: a router routes pub/sub, queries
and liveliness between its clients, peers and other routers; a peer or
client serves its own sessions (see README). The configuration file (-c)
is read first; the flags given override it. A router without listen
endpoints listens on tcp/[::]:7447. (node TOOL -h describes a tool.)`

func runNodeErr(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("node", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cf := addConfigFlags(fs, "router", "info", true, true)
	var storages listFlag
	fs.Var(&storages, "storage", "`key` expression of a storage to run: the latest value of every key under it, in badger under --data-dir (repeatable)")
	dataDir := fs.String("data-dir", "./zenoh-data", "`directory` of the badger storages")
	replicate := fs.Bool("replicate", false, "replicate the --storage storages with the storages on the same key expressions on other nodes (anti-entropy, zenoh's default replication settings)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout, nodeAbout, fs, map[string]string{
				"l": "none; tcp/[::]:7447 in router mode", "listen": "see -l",
				"i": "random", "id": "random", "m": "router, unless the -c file sets it"})
			return err
		}
		return &usageError{err}
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q (subcommands: put, delete, pub, sub, get, queryable, liveliness, sub-liveliness, get-liveliness, info, scout, bench)", fs.Arg(0))
	}
	cfg, err := cf.build(zenoh.ModeRouter, "", stderr)
	if err != nil {
		return err
	}
	cfg.DataDir = *dataDir
	for i, k := range storages {
		if err := keyexpr.Validate(k); err != nil {
			return usageErrorf("--storage %s: %v", k, err)
		}
		if cfg.Storages == nil {
			cfg.Storages = map[string]zenoh.StorageConfig{}
		}
		sc := zenoh.StorageConfig{KeyExpr: k, Volume: "badger"}
		if *replicate {
			r := zenoh.DefaultReplication()
			sc.Replication = &r
		}
		cfg.Storages[fmt.Sprintf("storage-%d", i+1)] = sc
	}
	logger := cfg.Logger

	// Catch signals before anything can announce the node: a signal sent
	// as soon as it is up must stop it cleanly, not kill it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(cfg.Connect) > 0 {
		logger.Info("connecting", "to", fmt.Sprint(cfg.Connect))
	}
	// With connect endpoints, Open returns once one session is up; the
	// node serves its listeners meanwhile. A signal before then is a
	// normal end.
	s, err := zenoh.Open(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			logger.Info("shutting down")
			return nil
		}
		return err
	}
	info, err := s.Info()
	if err != nil {
		s.Close()
		return err
	}
	logger.Info("gozenoh node started", "zid", info.ZID, "mode", cfg.Mode, "listening", fmt.Sprint(info.Locators))
	<-ctx.Done()
	logger.Info("shutting down")
	return s.Close()
}
