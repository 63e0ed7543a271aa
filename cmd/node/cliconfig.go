package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/titanous/json5"

	"github.com/gozenoh/zenoh"
	"github.com/gozenoh/zenoh/hlc"
)

// configFlags are the flags that build the zenoh.Config of the node and
// of every tool: a configuration file first (-c), the flags set on the
// command line overriding it.
type configFlags struct {
	fs              *flag.FlagSet
	mode            string
	connect, listen listFlag
	config          string
	noScout         bool
	id              *string // nil: no -i flag
	logLevel        string
	long            bool // the long spellings are defined
}

// addConfigFlags defines the configuration flags on fs. long adds the
// long spellings (--mode, --listen, --connect, --config, --id) the node
// takes besides the short ones; withID adds -i.
func addConfigFlags(fs *flag.FlagSet, defaultMode, defaultLog string, long, withID bool) *configFlags {
	c := &configFlags{fs: fs, long: long}
	fs.StringVar(&c.mode, "m", defaultMode, "`mode`: router, peer or client")
	fs.Var(&c.listen, "l", "`endpoint` to listen on, e.g. tcp/[::]:7447 (repeatable)")
	fs.Var(&c.connect, "e", "`endpoint` to connect to, e.g. tcp/127.0.0.1:7447 (repeatable)")
	fs.StringVar(&c.config, "c", "", "zenoh JSON5 configuration `file`, read first; flags override it")
	if withID {
		c.id = new(string)
		fs.StringVar(c.id, "i", "", "ZenohId of the node, as hex (default: random)")
	}
	if long {
		fs.StringVar(&c.mode, "mode", defaultMode, "same as -m")
		fs.Var(&c.listen, "listen", "same as -l")
		fs.Var(&c.connect, "connect", "same as -e")
		fs.StringVar(&c.config, "config", "", "same as -c")
		if withID {
			fs.StringVar(c.id, "id", "", "same as -i")
		}
	}
	fs.BoolVar(&c.noScout, "no-multicast-scouting", false, "neither answer nor send multicast Scouts on 224.0.0.224:7446")
	fs.StringVar(&c.logLevel, "log-level", defaultLog, "`level` of the logs on stderr: debug, info, warn or error")
	return c
}

// name names a flag in errors: "-e/--connect" when both spellings exist.
func (c *configFlags) name(short, long string) string {
	if c.long {
		return short + "/" + long
	}
	return short
}

// isSet reports whether one of names was given on the command line.
func (c *configFlags) isSet(names ...string) bool {
	set := false
	c.fs.Visit(func(f *flag.Flag) {
		for _, n := range names {
			if f.Name == n {
				set = true
			}
		}
	})
	return set
}

// build returns the configuration: the file's (or zenoh's defaults),
// then the flags given. defaultMode applies when neither the file nor a
// flag sets the mode; defaultConnect (if not empty) when the mode is
// client and no connect endpoint is configured. Errors are usageErrors
// of one line.
func (c *configFlags) build(defaultMode zenoh.Mode, defaultConnect string, stderr io.Writer) (zenoh.Config, error) {
	cfg := zenoh.DefaultConfig()
	cfg.Mode = defaultMode
	if c.config != "" {
		var err error
		if cfg, err = zenoh.LoadConfig(c.config); err != nil {
			return cfg, &usageError{err}
		}
		if !configHasMode(c.config) {
			cfg.Mode = defaultMode
		}
	}
	if c.isSet("m", "mode") {
		m, err := parseRole(c.mode)
		if err != nil {
			return cfg, usageErrorf("%s %q: want router, peer or client", c.name("-m", "--mode"), c.mode)
		}
		cfg.Mode = m
	}
	if len(c.listen) > 0 {
		if _, err := parseEndpoints(c.name("-l", "--listen"), c.listen); err != nil {
			return cfg, &usageError{err}
		}
		cfg.Listen = append([]string(nil), c.listen...)
	}
	if len(c.connect) > 0 {
		if _, err := parseEndpoints(c.name("-e", "--connect"), c.connect); err != nil {
			return cfg, &usageError{err}
		}
		cfg.Connect = append([]string(nil), c.connect...)
	}
	if len(cfg.Connect) == 0 && cfg.Mode == zenoh.ModeClient && defaultConnect != "" {
		cfg.Connect = []string{defaultConnect}
	}
	if c.isSet("no-multicast-scouting") {
		cfg.MulticastScouting = !c.noScout
	}
	if c.id != nil && c.isSet("i", "id") {
		if _, err := hlc.ParseID(*c.id); err != nil {
			return cfg, usageErrorf("%s %q: %w", c.name("-i", "--id"), *c.id, err)
		}
		cfg.ID = *c.id
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return cfg, usageErrorf("--log-level: %w", err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	return cfg, nil
}

// configHasMode reports whether the configuration file at path (which
// zenoh.LoadConfig read without error) sets the mode: zenoh.LoadConfig
// fills in zenoh's default (peer), but the node, like zenohd, defaults to
// router, and the tools to client.
func configHasMode(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var top map[string]any
	if json5.Unmarshal(data, &top) != nil {
		return false
	}
	_, ok := top["mode"]
	return ok
}

// printUsage lists every flag of fs with its default, including the ones
// flag.PrintDefaults leaves out (zero values).
func printUsage(w io.Writer, head string, fs *flag.FlagSet, defaults map[string]string) {
	fmt.Fprint(w, head, "\n\nflags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		dash, def := "-", f.DefValue
		if len(f.Name) > 1 {
			dash = "--"
		}
		arg, usage := flag.UnquoteUsage(f)
		if d, ok := defaults[f.Name]; ok {
			def = d
		}
		if def == "" {
			def = `""`
		}
		if _, ok := f.Value.(*listFlag); ok && arg == "value" { // UnquoteUsage found no name
			arg = "endpoint"
		}
		if arg != "" {
			arg = " " + arg
		}
		fmt.Fprintf(w, "  %s%s%s\n    \t%s (default %s)\n", dash, f.Name, arg, usage, def)
	})
}
