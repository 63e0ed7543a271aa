package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gozenoh/zenoh"
	"github.com/gozenoh/zenoh/actors/scout"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/keyexpr"
)

// openWait bounds the wait for the session to the remote node. Open
// returns once a client knows what lies behind its router, and Close
// sends what is queued first, so the tools need no pauses of their own.
const openWait = 10 * time.Second

// tool describes one API tool: its help text and flags, and its body.
type tool struct {
	about string
	// noSession marks a tool that opens no session (scout): it takes
	// none of the configuration flags.
	noSession bool
	// define adds the tool's own flags to fs and returns the function
	// that checks them once parsed and the body run on the session.
	define func(fs *flag.FlagSet) (check func() error, run toolRun)
}

// toolRun runs a tool on its session (nil for noSession tools) until it
// is done or ctx ends.
type toolRun func(ctx context.Context, s *zenoh.Session, stdout, stderr io.Writer) error

var tools = map[string]*tool{
	"put": {
		about: "Puts one value on a key, like zenoh's z_put.",
		define: func(fs *flag.FlagSet) (func() error, toolRun) {
			key := fs.String("k", "demo/example/zenoh-go-put", "`key` expression to put on")
			value := fs.String("v", "Put from Go!", "`value` to put")
			return checkKey("-k", key), func(_ context.Context, s *zenoh.Session, stdout, _ io.Writer) error {
				fmt.Fprintf(stdout, "Putting Data ('%s': '%s')...\n", *key, *value)
				return s.Put(*key, []byte(*value), zenoh.WithEncoding(zenoh.EncodingTextPlain))
			}
		},
	},
	"delete": {
		about: "Deletes a key, like zenoh's z_delete.",
		define: func(fs *flag.FlagSet) (func() error, toolRun) {
			key := fs.String("k", "demo/example/zenoh-go-put", "`key` expression to delete")
			return checkKey("-k", key), func(_ context.Context, s *zenoh.Session, stdout, _ io.Writer) error {
				fmt.Fprintf(stdout, "Deleting resources matching '%s'...\n", *key)
				return s.Delete(*key)
			}
		},
	},
	"pub": {
		about: "Publishes \"[   i] VALUE\" on a key once a second, like zenoh's z_pub.",
		define: func(fs *flag.FlagSet) (func() error, toolRun) {
			key := fs.String("k", "demo/example/zenoh-go-pub", "`key` expression to publish on")
			value := fs.String("v", "Pub from Go!", "`value` to publish")
			count := fs.Int("n", 0, "`number` of publications (0: until a signal)")
			check := checkKeyCount(key, count)
			return check, func(ctx context.Context, s *zenoh.Session, stdout, _ io.Writer) error {
				pub, err := s.DeclarePublisher(*key, zenoh.WithEncoding(zenoh.EncodingTextPlain))
				if err != nil {
					return err
				}
				t := time.NewTicker(time.Second)
				defer t.Stop()
				for i := 0; *count == 0 || i < *count; i++ {
					if i > 0 {
						select {
						case <-ctx.Done():
							return nil
						case <-t.C:
						}
					}
					buf := fmt.Sprintf("[%4d] %s", i, *value)
					fmt.Fprintf(stdout, "Putting Data ('%s': '%s')...\n", *key, buf)
					if err := pub.Put([]byte(buf)); err != nil {
						return err
					}
				}
				return nil
			}
		},
	},
	"sub": {
		about: "Subscribes to a key expression and prints every sample received, like zenoh's z_sub.",
		define: func(fs *flag.FlagSet) (func() error, toolRun) {
			key := fs.String("k", "demo/example/**", "`key` expression to subscribe to")
			count := fs.Int("n", 0, "`number` of samples to print before exiting (0: until a signal)")
			check := checkKeyCount(key, count)
			return check, func(ctx context.Context, s *zenoh.Session, stdout, stderr io.Writer) error {
				// Printed from the callback, as zenoh's z_sub does: one at
				// a time, in order, holding back the sender while stdout
				// blocks rather than dropping.
				done := make(chan error, 1)
				var printed atomic.Int64
				finish := func(err error) {
					select {
					case done <- err:
					default:
					}
				}
				sub, err := s.DeclareSubscriber(*key, zenoh.Callback(func(smp zenoh.Sample) {
					if *count > 0 && printed.Load() >= int64(*count) {
						return
					}
					if _, err := fmt.Fprintf(stdout, ">> [Subscriber] Received %s ('%s': '%s')\n",
						smp.Kind, smp.KeyExpr, smp.Payload); err != nil {
						finish(err)
						return
					}
					if n := printed.Add(1); *count > 0 && n == int64(*count) {
						finish(nil)
					}
				}))
				if err != nil {
					return err
				}
				fmt.Fprintf(stderr, "Declared Subscriber on '%s'\n", *key)
				select {
				case <-ctx.Done():
				case err = <-done:
				}
				_ = sub.Undeclare()
				if d := sub.Dropped(); d > 0 {
					fmt.Fprintf(stderr, "%d samples dropped: they came faster than they could be printed\n", d)
				}
				return err
			}
		},
	},
	"get": {
		about: "Queries a selector and prints every reply, like zenoh's z_get; exits when the query ends.",
		define: func(fs *flag.FlagSet) (func() error, toolRun) {
			sel := fs.String("s", "demo/example/**", "`selector` to query: key expression, optionally ?parameters")
			value := fs.String("v", "", "`value` sent with the query (none if empty)")
			target := fs.String("t", "BEST_MATCHING", "query `target`: BEST_MATCHING, ALL or ALL_COMPLETE")
			timeout := fs.Int("o", 10000, "query timeout in `milliseconds`")
			var tgt zenoh.QueryTarget
			check := func() error {
				key, _, _ := strings.Cut(*sel, "?")
				if err := keyexpr.Validate(key); err != nil {
					return fmt.Errorf("-s %q: %w", *sel, err)
				}
				switch strings.ToUpper(*target) {
				case "BEST_MATCHING":
					tgt = zenoh.QueryTargetBestMatching
				case "ALL":
					tgt = zenoh.QueryTargetAll
				case "ALL_COMPLETE":
					tgt = zenoh.QueryTargetAllComplete
				default:
					return fmt.Errorf("-t %q: want BEST_MATCHING, ALL or ALL_COMPLETE", *target)
				}
				if *timeout <= 0 {
					return fmt.Errorf("-o %d: want a positive number of milliseconds", *timeout)
				}
				return nil
			}
			return check, func(ctx context.Context, s *zenoh.Session, stdout, _ io.Writer) error {
				opts := []zenoh.GetOption{zenoh.WithTarget(tgt), zenoh.WithTimeout(time.Duration(*timeout) * time.Millisecond)}
				if *value != "" {
					opts = append(opts, zenoh.WithPayload([]byte(*value)), zenoh.WithEncoding(zenoh.EncodingTextPlain))
				}
				fmt.Fprintf(stdout, "Sending Query '%s'...\n", *sel)
				replies, err := s.Get(ctx, *sel, opts...)
				if err != nil {
					return err
				}
				for r := range replies {
					if r.Err != nil {
						fmt.Fprintf(stdout, ">> Received (ERROR: '%s')\n", r.Err.Payload)
						continue
					}
					fmt.Fprintf(stdout, ">> Received ('%s': '%s')\n", r.Sample.KeyExpr, r.Sample.Payload)
				}
				return nil
			}
		},
	},
	"liveliness": {
		about: "Declares a liveliness token and keeps it until a signal, like zenoh's z_liveliness.",
		define: func(fs *flag.FlagSet) (func() error, toolRun) {
			key := fs.String("k", "group1/zenoh-go", "`key` expression of the token")
			return checkKey("-k", key), func(ctx context.Context, s *zenoh.Session, stdout, _ io.Writer) error {
				fmt.Fprintf(stdout, "Declaring liveliness token '%s'...\n", *key)
				tok, err := s.Liveliness().DeclareToken(*key)
				if err != nil {
					return err
				}
				<-ctx.Done()
				return tok.Undeclare()
			}
		},
	},
	"sub-liveliness": {
		about: "Prints the liveliness tokens appearing and disappearing on a key expression, like zenoh's z_sub_liveliness.",
		define: func(fs *flag.FlagSet) (func() error, toolRun) {
			key := fs.String("k", "group1/**", "`key` expression to watch")
			history := fs.Bool("history", false, "also print the tokens alive when starting")
			count := fs.Int("n", 0, "`number` of events to print before exiting (0: until a signal)")
			check := checkKeyCount(key, count)
			return check, func(ctx context.Context, s *zenoh.Session, stdout, stderr io.Writer) error {
				sub, err := s.Liveliness().DeclareSubscriber(*key, zenoh.FifoChannel(1024), zenoh.WithHistory(*history))
				if err != nil {
					return err
				}
				fmt.Fprintf(stderr, "Declared liveliness subscriber on '%s'\n", *key)
				return printSamples(ctx, sub.Chan(), *count, func(smp zenoh.Sample) error {
					what := "New alive token"
					if smp.Kind == zenoh.SampleKindDelete {
						what = "Dropped token"
					}
					_, err := fmt.Fprintf(stdout, ">> [LivelinessSubscriber] %s ('%s')\n", what, smp.KeyExpr)
					return err
				})
			}
		},
	},
	"get-liveliness": {
		about: "Prints the liveliness tokens alive on a key expression, like zenoh's z_get_liveliness; exits when the query ends.",
		define: func(fs *flag.FlagSet) (func() error, toolRun) {
			key := fs.String("k", "group1/**", "`key` expression to query")
			timeout := fs.Int("o", 10000, "query timeout in `milliseconds`")
			check := func() error {
				if *timeout <= 0 {
					return fmt.Errorf("-o %d: want a positive number of milliseconds", *timeout)
				}
				return checkKey("-k", key)()
			}
			return check, func(ctx context.Context, s *zenoh.Session, stdout, _ io.Writer) error {
				fmt.Fprintf(stdout, "Sending liveliness query '%s'...\n", *key)
				ch, err := s.Liveliness().Get(ctx, *key, zenoh.WithTimeout(time.Duration(*timeout)*time.Millisecond))
				if err != nil {
					return err
				}
				for r := range ch {
					if r.Err != nil {
						fmt.Fprintf(stdout, ">> Received (ERROR: '%s')\n", r.Err.Payload)
						continue
					}
					if _, err := fmt.Fprintf(stdout, ">> Alive token ('%s')\n", r.Sample.KeyExpr); err != nil {
						return err
					}
				}
				return nil
			}
		},
	},
	"queryable": {
		about: "Declares a queryable that answers every query with a value, like zenoh's z_queryable.",
		define: func(fs *flag.FlagSet) (func() error, toolRun) {
			key := fs.String("k", "demo/example/zenoh-go-queryable", "`key` expression to answer queries on")
			value := fs.String("v", "Queryable from Go!", "`value` to reply with")
			complete := fs.Bool("complete", false, "declare the queryable complete")
			return checkKey("-k", key), func(ctx context.Context, s *zenoh.Session, stdout, stderr io.Writer) error {
				_, err := s.DeclareQueryable(*key, func(q *zenoh.Query) {
					if p := q.Payload(); p != nil {
						fmt.Fprintf(stdout, ">> [Queryable] Received Query '%s' with value '%s'\n", q.Selector(), p)
					} else {
						fmt.Fprintf(stdout, ">> [Queryable] Received Query '%s'\n", q.Selector())
					}
					if err := q.Reply(*key, []byte(*value), zenoh.WithEncoding(zenoh.EncodingTextPlain)); err != nil {
						fmt.Fprintf(stderr, "reply: %v\n", err)
					}
				}, zenoh.WithComplete(*complete))
				if err != nil {
					return err
				}
				fmt.Fprintf(stderr, "Declared Queryable on '%s'\n", *key)
				<-ctx.Done()
				return nil
			}
		},
	},
	"info": {
		about: "Prints the ZenohIds of this node and of the routers and peers it is connected to, like zenoh's z_info.",
		define: func(fs *flag.FlagSet) (func() error, toolRun) {
			return func() error { return nil }, func(_ context.Context, s *zenoh.Session, stdout, _ io.Writer) error {
				info, err := s.Info()
				if err != nil {
					return err
				}
				var b strings.Builder
				fmt.Fprintf(&b, "own id: %s\nrouters ids:\n", info.ZID)
				for _, id := range info.Routers {
					fmt.Fprintf(&b, "  %s\n", id)
				}
				b.WriteString("peers ids:\n")
				for _, id := range info.Peers {
					fmt.Fprintf(&b, "  %s\n", id)
				}
				_, err = io.WriteString(stdout, b.String())
				return err
			}
		},
	},
	"scout": {
		about: "Scouts for routers and peers on 224.0.0.224:7446 and prints every Hello\n" +
			"received within the timeout, like zenoh's z_scout.",
		noSession: true,
		define: func(fs *flag.FlagSet) (func() error, toolRun) {
			timeout := fs.Int("o", 1000, "scouting `milliseconds`")
			check := func() error {
				if *timeout <= 0 {
					return fmt.Errorf("-o %d: want a positive number of milliseconds", *timeout)
				}
				return nil
			}
			return check, func(ctx context.Context, _ *zenoh.Session, stdout, _ io.Writer) error {
				ctx, cancel := context.WithTimeout(ctx, time.Duration(*timeout)*time.Millisecond)
				defer cancel()
				found := 0
				err := scout.Stream(ctx, scout.ScoutConfig{What: codec.Router | codec.Peer}, func(f scout.Found) bool {
					found++
					fmt.Fprintf(stdout, "Hello { zid: %s, whatami: %s, locators: [%s] }\n",
						f.ZID, f.WhatAmI, strings.Join(f.Locators, ", "))
					return true
				})
				if err != nil && ctx.Err() == nil || errors.Is(err, scout.ErrSend) {
					return err
				}
				if found == 0 {
					fmt.Fprintln(stdout, "Did not find any zenoh process.")
				}
				return nil
			}
		},
	},
}

// checkKey returns a check that *key is a valid key expression.
func checkKey(flagName string, key *string) func() error {
	return func() error {
		if err := keyexpr.Validate(*key); err != nil {
			return fmt.Errorf("%s %q: %w", flagName, *key, err)
		}
		return nil
	}
}

func toolNames() string {
	var names []string
	for n := range tools {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// runTool runs `node NAME [flags]` and returns the exit status.
func runTool(name string, t *tool, args []string, stdout, stderr io.Writer) int {
	err := runToolErr(name, t, args, stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case isUsage(err):
		fmt.Fprintf(stderr, "node %s: %v (see -h)\n", name, err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "node %s: %v\n", name, err)
		return exitError
	}
}

func runToolErr(name string, t *tool, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("node "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var cf *configFlags
	if !t.noSession {
		cf = addConfigFlags(fs, "client", "warn", false, false)
	}
	check, body := t.define(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout, "usage: node "+name+" [flags]\n\n"+t.about, fs, map[string]string{
				"e": defaultConnect + " in client mode, else none",
				"l": "none; tcp/[::]:7447 in router mode",
				"m": "client, unless the -c file sets it",
			})
			return err
		}
		return &usageError{err}
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	var cfg zenoh.Config
	if cf != nil {
		var err error
		if cfg, err = cf.build(zenoh.ModeClient, defaultConnect, stderr); err != nil {
			return err
		}
	}
	if err := check(); err != nil {
		return &usageError{err}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if t.noSession {
		return body(ctx, nil, stdout, stderr)
	}
	octx, cancel := context.WithTimeout(ctx, openWait)
	s, err := zenoh.Open(octx, cfg)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil // a signal
		}
		return err
	}
	defer s.Close()
	return body(ctx, s, stdout, stderr)
}

// checkKeyCount checks a tool's -k key expression and its -n count.
func checkKeyCount(key *string, count *int) func() error {
	return func() error {
		if *count < 0 {
			return fmt.Errorf("-n %d: negative", *count)
		}
		return checkKey("-k", key)()
	}
}

// printSamples prints the samples of ch with print until count of them
// (0: no limit), ctx ends, or the channel closes (an error: the session
// went away).
func printSamples(ctx context.Context, ch <-chan zenoh.Sample, count int, print func(zenoh.Sample) error) error {
	for n := 0; count == 0 || n < count; n++ {
		select {
		case <-ctx.Done():
			return nil
		case smp, ok := <-ch:
			if !ok {
				return errors.New("the session closed")
			}
			if err := print(smp); err != nil {
				return err
			}
		}
	}
	return nil
}
