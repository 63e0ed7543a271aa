package zenoh

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/hlc"
)

// zenohStyleConfig is written the way zenoh's DEFAULT_CONFIG.json5 is:
// comments of both kinds, unquoted keys, trailing commas, single and
// double quotes, values keyed by mode.
const zenohStyleConfig = `/// A router with a storage.
{
  /// The identifier (lowercase hex, no leading zeros)
  id: "1234567890abcdef",

  /// The node's mode (router, peer or client)
  mode: 'router',

  connect: {
    /// The list of endpoints to connect to.
    endpoints: { router: ["tcp/10.10.10.10:7447"], peer: ["tcp/11.11.11.11:7447"], },
  },
  listen: {
    endpoints: [
      "tcp/[::]:7447", // IPv6 any
      'udp/0.0.0.0:7447?rel=0#iface=eth0',
    ],
  },
  scouting: {
    multicast: {
      /* Whether multicast scouting is enabled or not */
      enabled: false,
    },
  },
  timestamping: {
    enabled: { router: true, peer: false, client: false },
  },
  /// The default timeout to apply to queries in milliseconds.
  queries_default_timeout: 0x2710,
  plugins: {
    storage_manager: {
      storages: {
        demo: {
          key_expr: "demo/memory/**",
          volume: "memory",
        },
        "demo-2": {
          key_expr: 'demo/badger/**',
          volume: { id: "badger", },
          replication: {
            interval: 10.0,
            sub_intervals: 5,
            hot: 6,
            warm: 30,
            propagation_delay: 250,
          },
        },
      },
    },
  },
}
`

func cfgBool(b bool) *bool { return &b }

// cfgWith returns DefaultConfig changed by f.
func cfgWith(f func(c *Config)) Config {
	c := DefaultConfig()
	f(&c)
	return c
}

var cfgDefault = DefaultConfig()

// validConfigTests are inputs ParseConfig accepts, with their Config.
var validConfigTests = []struct {
	name string
	in   string
	want Config
}{
	{"empty object", `{}`, cfgDefault},
	{"comments only", "// nothing\n{ /* nothing */ }\n", cfgDefault},
	{"byte order mark", "\uFEFF{mode: 'client'}", cfgWith(func(c *Config) { c.Mode = ModeClient })},
	{"zenoh style", zenohStyleConfig, Config{
		Mode:              ModeRouter,
		ID:                "1234567890abcdef",
		Connect:           []string{"tcp/10.10.10.10:7447"},
		Listen:            []string{"tcp/[::]:7447", "udp/0.0.0.0:7447?rel=0#iface=eth0"},
		MulticastScouting: false,
		Timestamping:      cfgBool(true),
		QueryTimeout:      10 * time.Second,
		Storages: map[string]StorageConfig{
			"demo":   {KeyExpr: "demo/memory/**", Volume: "memory"},
			"demo-2": {KeyExpr: "demo/badger/**", Volume: "badger", Replication: replDefault()},
		},
	}},

	// Every key alone.
	{"mode router", `{mode: "router"}`, cfgWith(func(c *Config) { c.Mode = ModeRouter })},
	{"mode peer", `{mode: "peer"}`, cfgWith(func(c *Config) { c.Mode = ModePeer })},
	{"mode client", `{mode: "client"}`, cfgWith(func(c *Config) { c.Mode = ModeClient })},
	{"id", `{id: "a1b2c3"}`, cfgWith(func(c *Config) { c.ID = "a1b2c3" })},
	{"id 32 digits", `{id: "ffffffffffffffffffffffffffffffff"}`, cfgWith(func(c *Config) { c.ID = "ffffffffffffffffffffffffffffffff" })},
	{"connect", `{connect: {endpoints: ["tcp/127.0.0.1:7447", "tcp/localhost:7448"]}}`,
		cfgWith(func(c *Config) { c.Connect = []string{"tcp/127.0.0.1:7447", "tcp/localhost:7448"} })},
	{"connect empty", `{connect: {endpoints: []}}`, cfgDefault},
	{"connect no endpoints", `{connect: {}}`, cfgDefault},
	{"listen", `{listen: {endpoints: ["udp/[::1]:7447"]}}`,
		cfgWith(func(c *Config) { c.Listen = []string{"udp/[::1]:7447"} })},
	{"multicast on", `{scouting: {multicast: {enabled: true}}}`, cfgDefault},
	{"multicast off", `{scouting: {multicast: {enabled: false}}}`, cfgWith(func(c *Config) { c.MulticastScouting = false })},
	{"timestamping on", `{timestamping: {enabled: true}}`, cfgWith(func(c *Config) { c.Timestamping = cfgBool(true) })},
	{"timestamping off", `{timestamping: {enabled: false}}`, cfgWith(func(c *Config) { c.Timestamping = cfgBool(false) })},
	{"timeout", `{queries_default_timeout: 2500}`, cfgWith(func(c *Config) { c.QueryTimeout = 2500 * time.Millisecond })},
	{"timeout zero", `{queries_default_timeout: 0}`, cfgWith(func(c *Config) { c.QueryTimeout = 0 })},
	{"timeout exponent", `{queries_default_timeout: 1.5e3}`, cfgWith(func(c *Config) { c.QueryTimeout = 1500 * time.Millisecond })},
	{"storages empty", `{plugins: {storage_manager: {storages: {}}}}`, cfgDefault},
	{"plugins empty", `{plugins: {}}`, cfgDefault},

	// Values keyed by mode; mode is resolved first wherever it is.
	{"connect by mode, mode last", `{connect: {endpoints: {router: ["tcp/1.1.1.1:1"], peer: ["tcp/2.2.2.2:2"]}}, mode: "router"}`,
		cfgWith(func(c *Config) { c.Mode, c.Connect = ModeRouter, []string{"tcp/1.1.1.1:1"} })},
	{"connect by mode, default peer", `{connect: {endpoints: {router: ["tcp/1.1.1.1:1"], peer: ["tcp/2.2.2.2:2"]}}}`,
		cfgWith(func(c *Config) { c.Connect = []string{"tcp/2.2.2.2:2"} })},
	{"connect by mode, mode missing", `{mode: "client", connect: {endpoints: {router: ["tcp/1.1.1.1:1"]}}}`,
		cfgWith(func(c *Config) { c.Mode = ModeClient })},
	{"listen by mode", `{mode: "client", listen: {endpoints: {router: ["tcp/[::]:7447"], peer: ["tcp/[::]:0"], client: ["tcp/127.0.0.1:0"]}}}`,
		cfgWith(func(c *Config) { c.Mode, c.Listen = ModeClient, []string{"tcp/127.0.0.1:0"} })},
	{"listen by mode, zenoh default", `{mode: "peer", listen: {endpoints: {router: ["tcp/[::]:7447"], peer: ["tcp/[::]:0"]}}}`,
		cfgWith(func(c *Config) { c.Listen = []string{"tcp/[::]:0"} })},
	{"timestamping by mode, router", `{mode: "router", timestamping: {enabled: {router: true, peer: false, client: false}}}`,
		cfgWith(func(c *Config) { c.Mode, c.Timestamping = ModeRouter, cfgBool(true) })},
	{"timestamping by mode, peer", `{timestamping: {enabled: {router: true, peer: false, client: false}}}`,
		cfgWith(func(c *Config) { c.Timestamping = cfgBool(false) })},
	{"timestamping by mode, missing", `{mode: "client", timestamping: {enabled: {router: true}}}`,
		cfgWith(func(c *Config) { c.Mode = ModeClient })},

	// Volume forms.
	{"volume memory", `{plugins: {storage_manager: {storages: {s: {key_expr: "a/**", volume: "memory"}}}}}`,
		cfgWith(func(c *Config) { c.Storages = map[string]StorageConfig{"s": {KeyExpr: "a/**", Volume: "memory"}} })},
	{"volume badger", `{plugins: {storage_manager: {storages: {s: {key_expr: "a/**", volume: "badger"}}}}}`,
		cfgWith(func(c *Config) { c.Storages = map[string]StorageConfig{"s": {KeyExpr: "a/**", Volume: "badger"}} })},
	{"volume object", `{plugins: {storage_manager: {storages: {s: {key_expr: "a/*/b", volume: {id: "memory"}}}}}}`,
		cfgWith(func(c *Config) { c.Storages = map[string]StorageConfig{"s": {KeyExpr: "a/*/b", Volume: "memory"}} })},
	{"storage name with a dot", `{plugins: {storage_manager: {storages: {"my.store": {key_expr: "a", volume: "memory"}}}}}`,
		cfgWith(func(c *Config) { c.Storages = map[string]StorageConfig{"my.store": {KeyExpr: "a", Volume: "memory"}} })},
	{"replication partial", `{plugins: {storage_manager: {storages: {s: {key_expr: "a", volume: "memory", replication: {interval: 2, propagation_delay: 100}}}}}}`,
		cfgWith(func(c *Config) {
			r := replDefault()
			r.Interval, r.PropagationDelay = 2*time.Second, 100*time.Millisecond
			c.Storages = map[string]StorageConfig{"s": {KeyExpr: "a", Volume: "memory", Replication: r}}
		})},
	{"replication fractional interval", `{plugins: {storage_manager: {storages: {s: {key_expr: "a", volume: "memory", replication: {interval: 0.5, sub_intervals: 2, hot: 1, warm: 0}}}}}}`,
		cfgWith(func(c *Config) {
			r := &ReplicationConfig{Interval: 500 * time.Millisecond, SubIntervals: 2, Hot: 1, Warm: 0, PropagationDelay: 250 * time.Millisecond}
			c.Storages = map[string]StorageConfig{"s": {KeyExpr: "a", Volume: "memory", Replication: r}}
		})},
	{"replication empty", `{plugins: {storage_manager: {storages: {s: {key_expr: "a", volume: "memory", replication: {}}}}}}`,
		cfgWith(func(c *Config) {
			c.Storages = map[string]StorageConfig{"s": {KeyExpr: "a", Volume: "memory", Replication: replDefault()}}
		})},

	// JSON5 syntax.
	{"plain JSON", `{"mode": "client", "queries_default_timeout": 5}`,
		cfgWith(func(c *Config) { c.Mode, c.QueryTimeout = ModeClient, 5*time.Millisecond })},
	{"escapes", `{"id": "\u0061b", connect: {endpoints: ['tcp/h\u006fst:1']}}`,
		cfgWith(func(c *Config) { c.ID, c.Connect = "ab", []string{"tcp/host:1"} })},
	{"line continuation", "{id: 'ab\\\ncd'}", cfgWith(func(c *Config) { c.ID = "abcd" })},
	{"duplicate key, last wins", `{mode: "router", mode: "client"}`, cfgWith(func(c *Config) { c.Mode = ModeClient })},
	{"leading plus and dot", `{queries_default_timeout: +.5e4}`, cfgWith(func(c *Config) { c.QueryTimeout = 5 * time.Second })},
}

func TestParseConfigValid(t *testing.T) {
	for _, tt := range validConfigTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConfig([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			got.Logger, tt.want.Logger = nil, nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseConfig =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// cfgStorageHead and cfgStorageTail surround a storage s of the errorConfigTests.
const (
	cfgStorageHead = `{plugins: {storage_manager: {storages: {s: `
	cfgStorageTail = `}}}}`
)

// errorConfigTests are inputs ParseConfig rejects, with a part of the
// error and the sentinel it wraps, if any.
var errorConfigTests = []struct {
	name string
	in   string
	want string // substring of the error
	is   error  // if not nil, errors.Is must hold
}{
	// Syntax.
	{"empty input", ``, "unexpected end of JSON input", nil},
	{"unterminated", "{\n  mode: 'peer',\n", "line 3", nil},
	{"bad character", "{\n  mode: #\n}", `line 2, column 9: invalid character '#'`, nil},
	{"long number out of range", `{a: 1` + strings.Repeat("0", 400) + `}`, "number 1000000000000000000000000000000000000000000000000000000000000000... is out of range", nil},
	{"number out of range", `{queries_default_timeout: 1e999}`, "line 1, column 31: number 1e999 is out of range", nil},
	{"hex out of range", `{queries_default_timeout: 0xffffffffffffffffff}`, "number 0xffffffffffffffffff is out of range", nil},
	{"too deep", `{a:` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "nested deeper than 64 levels", nil},
	{"much too deep", strings.Repeat("[", 1<<20) + strings.Repeat("]", 1<<20), "nested deeper than 64 levels", nil},
	{"top level array", `[]`, "expected an object at the top level, got array", nil},
	{"top level null", `null`, "expected an object at the top level, got null", nil},
	{"top level string", `"mode"`, "got string", nil},

	// Unknown keys at several depths.
	{"unknown top", `{metadata: {name: "x"}}`, `zenoh: config: unknown key "metadata"`, nil},
	{"unknown connect", `{connect: {timeout_ms: 0}}`, `unknown key "connect.timeout_ms"`, nil},
	{"unknown listen", `{listen: {endpoints: [], exit_on_failure: true}}`, `unknown key "listen.exit_on_failure"`, nil},
	{"unknown scouting", `{scouting: {timeout: 3000}}`, `unknown key "scouting.timeout"`, nil},
	{"unknown multicast", `{scouting: {multicast: {enabled: true, ttl: 1}}}`, `zenoh: config: unknown key "scouting.multicast.ttl"`, nil},
	{"unknown timestamping", `{timestamping: {drop_future_timestamp: false}}`, `unknown key "timestamping.drop_future_timestamp"`, nil},
	{"unknown mode key", `{connect: {endpoints: {server: []}}}`, `unknown key "connect.endpoints.server"`, nil},
	{"unknown mode key bool", `{timestamping: {enabled: {admin: true}}}`, `unknown key "timestamping.enabled.admin"`, nil},
	{"unknown plugin", `{plugins: {rest: {http_port: 8000}}}`, `unknown key "plugins.rest"`, nil},
	{"unknown storage_manager key", `{plugins: {storage_manager: {volumes: {}}}}`, `unknown key "plugins.storage_manager.volumes"`, nil},
	{"unknown required", `{plugins: {storage_manager: {__required__: true}}}`, `unknown key "plugins.storage_manager.__required__"`, nil},
	{"unknown storage key", cfgStorageHead + `{key_expr: "a", volume: "memory", strip_prefix: "a"}` + cfgStorageTail, `unknown key "plugins.storage_manager.storages.s.strip_prefix"`, nil},
	{"unknown volume key", cfgStorageHead + `{key_expr: "a", volume: {id: "memory", db: "x"}}` + cfgStorageTail, `unknown key "plugins.storage_manager.storages.s.volume.db"`, nil},
	{"unknown replication key", cfgStorageHead + `{key_expr: "a", volume: "memory", replication: {period: 1}}` + cfgStorageTail, `unknown key "plugins.storage_manager.storages.s.replication.period"`, nil},
	{"unknown key odd name", `{"a.b": 1}`, `unknown key "[\"a.b\"]"`, nil},
	{"unknown key with newline", "{'a\\nb': 1}", `unknown key "[\"a\\nb\"]"`, nil},

	// Wrong types.
	{"mode number", `{mode: 1}`, `zenoh: config mode: expected "router", "peer" or "client", got number 1`, nil},
	{"mode unknown", `{mode: "Router"}`, `zenoh: config mode: "Router" is not router, peer or client`, nil},
	{"mode long", `{mode: "` + strings.Repeat("x", 1000) + `"}`, `xxx"... is not router`, nil},
	{"id number", `{id: 1234}`, "zenoh: config id: expected a string of hex digits, got number 1234", nil},
	{"connect array", `{connect: []}`, "zenoh: config connect: expected an object, got array", nil},
	{"endpoints string", `{connect: {endpoints: "tcp/1.1.1.1:1"}}`, "zenoh: config connect.endpoints: expected an array of endpoint strings or an object of them keyed by mode, got string", nil},
	{"endpoint number", `{listen: {endpoints: ["tcp/1.1.1.1:1", 7447]}}`, "zenoh: config listen.endpoints[1]: expected an endpoint string, got number 7447", nil},
	{"endpoint object", `{connect: {endpoints: [{strategy: "allOf", locators: []}]}}`, "connect.endpoints[0]: expected an endpoint string, got object", nil},
	{"endpoints by mode not array", `{connect: {endpoints: {peer: "tcp/1.1.1.1:1"}}}`, "connect.endpoints.peer: expected an array of endpoint strings, got string", nil},
	{"endpoints null", `{connect: {endpoints: null}}`, "got null", nil},
	{"multicast string", `{scouting: {multicast: {enabled: "yes"}}}`, "zenoh: config scouting.multicast.enabled: expected a bool, got string", nil},
	{"multicast not object", `{scouting: {multicast: true}}`, "scouting.multicast: expected an object, got bool", nil},
	{"timestamping number", `{timestamping: {enabled: 1}}`, "timestamping.enabled: expected a bool or an object of bools keyed by mode, got number 1", nil},
	{"timestamping by mode string", `{timestamping: {enabled: {router: "true"}}}`, "timestamping.enabled.router: expected a bool, got string", nil},
	{"timestamping other mode checked", `{mode: "peer", timestamping: {enabled: {client: 0}}}`, "timestamping.enabled.client: expected a bool, got number 0", nil},
	{"timeout string", `{queries_default_timeout: "10s"}`, "queries_default_timeout: expected a non-negative integer number of milliseconds, got string", nil},
	{"timeout negative", `{queries_default_timeout: -1}`, "got number -1", nil},
	{"timeout fraction", `{queries_default_timeout: 1.5}`, "got number 1.5", nil},
	{"timeout NaN", `{queries_default_timeout: NaN}`, "got number NaN", nil},
	{"timeout Infinity", `{queries_default_timeout: Infinity}`, "got number +Inf", nil},
	{"timeout too big", `{queries_default_timeout: 1e300}`, "got number 1e+300", nil},
	{"timeout just too big", `{queries_default_timeout: 9223372036855}`, "got number 9223372036855", nil},
	{"plugins array", `{plugins: []}`, "zenoh: config plugins: expected an object, got array", nil},
	{"storages array", `{plugins: {storage_manager: {storages: []}}}`, "storages: expected an object of storages keyed by name, got array", nil},
	{"storage string", cfgStorageHead + `"memory"` + cfgStorageTail, "plugins.storage_manager.storages.s: expected an object, got string", nil},
	{"key_expr number", cfgStorageHead + `{key_expr: 1, volume: "memory"}` + cfgStorageTail, "storages.s.key_expr: expected a key expression string, got number 1", nil},
	{"key_expr missing", cfgStorageHead + `{volume: "memory"}` + cfgStorageTail, "zenoh: config plugins.storage_manager.storages.s: missing key key_expr", nil},
	{"volume missing", cfgStorageHead + `{key_expr: "a"}` + cfgStorageTail, "zenoh: config plugins.storage_manager.storages.s: missing key volume", nil},
	{"volume number", cfgStorageHead + `{key_expr: "a", volume: 1}` + cfgStorageTail, `storages.s.volume: expected a volume name or an object {id: "name"}, got number 1`, nil},
	{"volume id missing", cfgStorageHead + `{key_expr: "a", volume: {}}` + cfgStorageTail, "storages.s.volume: missing key id", nil},
	{"volume id number", cfgStorageHead + `{key_expr: "a", volume: {id: 2}}` + cfgStorageTail, "storages.s.volume.id: expected a volume name string, got number 2", nil},
	{"volume unknown", cfgStorageHead + `{key_expr: "a", volume: "influxdb"}` + cfgStorageTail, `storages.s.volume: "influxdb" is not memory or badger`, nil},
	{"volume object unknown", cfgStorageHead + `{key_expr: "a", volume: {id: "rocksdb"}}` + cfgStorageTail, `"rocksdb" is not memory or badger`, nil},
	{"replication not object", cfgStorageHead + `{key_expr: "a", volume: "memory", replication: true}` + cfgStorageTail, "storages.s.replication: expected an object, got bool", nil},
	{"replication interval string", cfgStorageHead + `{key_expr: "a", volume: "memory", replication: {interval: "10"}}` + cfgStorageTail, "replication.interval: expected a positive number of seconds, got string", nil},
	{"replication interval negative", cfgStorageHead + `{key_expr: "a", volume: "memory", replication: {interval: -1}}` + cfgStorageTail, "replication.interval: expected a positive number of seconds, got number -1", nil},
	{"replication sub_intervals zero", cfgStorageHead + `{key_expr: "a", volume: "memory", replication: {sub_intervals: 0}}` + cfgStorageTail, "storages.s.replication: aligner: invalid params", nil},
	{"replication hot fraction", cfgStorageHead + `{key_expr: "a", volume: "memory", replication: {hot: 1.5}}` + cfgStorageTail, "replication.hot: expected a non-negative integer, got number 1.5", nil},
	{"replication warm negative", cfgStorageHead + `{key_expr: "a", volume: "memory", replication: {warm: -3}}` + cfgStorageTail, "replication.warm: expected a non-negative integer, got number -3", nil},
	{"replication sub_intervals null", cfgStorageHead + `{key_expr: "a", volume: "memory", replication: {sub_intervals: null}}` + cfgStorageTail, "replication.sub_intervals: expected a non-negative integer, got null", nil},
	{"replication delay string", cfgStorageHead + `{key_expr: "a", volume: "memory", replication: {propagation_delay: "250ms"}}` + cfgStorageTail, "replication.propagation_delay: expected a non-negative integer of milliseconds, got string", nil},

	// Invalid endpoints.
	{"endpoint no port", `{connect: {endpoints: ["tcp/localhost"]}}`, "zenoh: config connect.endpoints[0]: link: invalid endpoint", link.ErrEndpoint},
	{"endpoint protocol", `{listen: {endpoints: ["tcp/[::]:7447", "quic/[::]:7447"]}}`, "zenoh: config listen.endpoints[1]: link: unsupported protocol", link.ErrProtocol},
	{"endpoint no protocol", `{listen: {endpoints: ["127.0.0.1:7447"]}}`, "missing protocol", link.ErrEndpoint},
	{"endpoint bad port", `{connect: {endpoints: ["tcp/1.2.3.4:99999"]}}`, "bad port", link.ErrEndpoint},
	{"endpoint unbracketed IPv6", `{connect: {endpoints: ["tcp/::1:7447"]}}`, "link: invalid endpoint", link.ErrEndpoint},
	{"endpoint of another mode", `{mode: "peer", connect: {endpoints: {peer: ["tcp/1.1.1.1:1"], router: ["tcp/nope"]}}}`, "connect.endpoints.router[0]: link: invalid endpoint", link.ErrEndpoint},
	{"endpoint with newline", `{connect: {endpoints: ["tcp/a\nb"]}}`, "link: invalid endpoint", link.ErrEndpoint},

	// Invalid ids.
	{"id empty", `{id: ""}`, "zenoh: config id: hlc: invalid zenoh id text", hlc.ErrIDSyntax},
	{"id zero", `{id: "0"}`, "leading zero", hlc.ErrIDSyntax},
	{"id leading zeros", `{id: "00ff"}`, "leading zero", hlc.ErrIDSyntax},
	{"id uppercase", `{id: "ABCDEF"}`, "not a lowercase hex digit", hlc.ErrIDSyntax},
	{"id not hex", `{id: "xyz"}`, "not a lowercase hex digit", hlc.ErrIDSyntax},
	{"id 33 digits", `{id: "1` + strings.Repeat("0", 32) + `"}`, "more than 32 digits", hlc.ErrIDSyntax},
	{"id sign", `{id: "-1"}`, "not a lowercase hex digit", hlc.ErrIDSyntax},

	// Invalid key expressions.
	{"key_expr empty", cfgStorageHead + `{key_expr: "", volume: "memory"}` + cfgStorageTail, "zenoh: config plugins.storage_manager.storages.s.key_expr: ", nil},
	{"key_expr empty chunk", cfgStorageHead + `{key_expr: "demo//x", volume: "memory"}` + cfgStorageTail, "storages.s.key_expr: ", nil},
	{"key_expr trailing slash", cfgStorageHead + `{key_expr: "demo/", volume: "memory"}` + cfgStorageTail, "storages.s.key_expr: ", nil},
	{"key_expr non canonical", cfgStorageHead + `{key_expr: "demo/**/**", volume: "memory"}` + cfgStorageTail, "storages.s.key_expr: ", nil},
	{"key_expr bad character", cfgStorageHead + `{key_expr: "demo/a#b", volume: "memory"}` + cfgStorageTail, "storages.s.key_expr: ", nil},
}

func TestParseConfigErrors(t *testing.T) {
	for _, tt := range errorConfigTests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.in))
			if err == nil {
				t.Fatalf("ParseConfig = %+v, want an error containing %q", c, tt.want)
			}
			checkConfigError(t, err)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			if !reflect.DeepEqual(c, Config{}) {
				t.Errorf("ParseConfig returned %+v with its error, want the zero Config", c)
			}
		})
	}
}

// checkConfigError checks what every error of ParseConfig and LoadConfig
// must be: one line starting with "zenoh: config".
func checkConfigError(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, "zenoh: config") {
		t.Errorf("error %q does not start with %q", msg, "zenoh: config")
	}
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("error %q is not one line", msg)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "zenoh.json5")
	if err := os.WriteFile(good, []byte(zenohStyleConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json5")
	if err := os.WriteFile(bad, []byte("{\n  scouting: {multicast: {ttl: 1}},\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badEndpoint := filepath.Join(dir, "endpoint.json5")
	if err := os.WriteFile(badEndpoint, []byte(`{connect: {endpoints: ["tcp/x"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	syntax := filepath.Join(dir, "syntax.json5")
	if err := os.WriteFile(syntax, []byte("{\n  mode: peer\n}"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.json5")

	t.Run("ok", func(t *testing.T) {
		got, err := LoadConfig(good)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ParseConfig([]byte(zenohStyleConfig))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("LoadConfig = %+v, want %+v", got, want)
		}
	})
	errTests := []struct {
		name, path, want string
		is               error
	}{
		{"missing file", missing, "zenoh: config " + missing + ": open: ", os.ErrNotExist},
		{"directory", dir, "zenoh: config " + dir + ": ", nil},
		{"unknown key", bad, "zenoh: config " + bad + `: unknown key "scouting.multicast.ttl"`, nil},
		{"bad endpoint", badEndpoint, "zenoh: config " + badEndpoint + ": connect.endpoints[0]: link: invalid endpoint", link.ErrEndpoint},
		{"syntax", syntax, "zenoh: config " + syntax + ": line 2, column 9: invalid character", nil},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(tt.path)
			if err == nil {
				t.Fatal("LoadConfig succeeded, want an error")
			}
			checkConfigError(t, err)
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %q\ndoes not start with %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
		})
	}
}

// TestParseConfigTooDeep checks the nesting bound against the decoder: at
// the bound the text decodes (and is then rejected only as an unknown key),
// one level deeper it is refused before decoding, strings and comments
// holding brackets do not count.
func TestParseConfigTooDeep(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name string
		in   string
		deep bool
	}{
		{"at bound", "{a: " + nest(maxConfigDepth-1) + "}", false},
		{"over bound", "{a: " + nest(maxConfigDepth) + "}", true},
		{"brackets in strings", `{a: "` + nest(100) + `", b: '` + nest(100) + `\'[[['}`, false},
		{"brackets in comments", "{ // " + nest(100) + "\n /* [[[[ " + nest(100) + " */ a: 1}", false},
		{"closing brackets in strings do not hide depth", `{a: "]]]]]]]]]]", b: ` + nest(maxConfigDepth) + "}", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cfgTooDeep([]byte(tt.in), maxConfigDepth); got != tt.deep {
				t.Errorf("cfgTooDeep = %v, want %v", got, tt.deep)
			}
			_, err := ParseConfig([]byte(tt.in))
			if err == nil {
				t.Fatal("ParseConfig succeeded, want an unknown key error")
			}
			checkConfigError(t, err)
			if deep := strings.Contains(err.Error(), "nested deeper"); deep != tt.deep {
				t.Errorf("error %q: nesting error %v, want %v", err, deep, tt.deep)
			}
		})
	}
}

// FuzzParseConfig checks that no input makes ParseConfig panic and that its
// errors are one line starting with "zenoh: config"; that the decoder
// itself does not panic (ParseConfig would hide that behind its recover);
// and that a parsed configuration is valid.
func FuzzParseConfig(f *testing.F) {
	for _, tt := range validConfigTests {
		f.Add([]byte(tt.in))
	}
	for _, tt := range errorConfigTests {
		if len(tt.in) < 1<<12 { // not the megabyte of brackets
			f.Add([]byte(tt.in))
		}
	}
	f.Add([]byte(`{mode: "client", connect: {endpoints: {router: ["tcp/1.1.1.1:1"], client: ["tcp/[::1]:7447"]}}}`))
	f.Add([]byte(`{timestamping: {enabled: {router: true, peer: false}}, queries_default_timeout: 0x10}`))
	f.Add([]byte(`{plugins: {storage_manager: {storages: {"a.b": {key_expr: 'x/**', volume: {id: "memory"}, replication: {interval: 1.5, hot: 2}}}}}}`))
	f.Add([]byte("{id: 'ab\\\ncd', /* c */ scouting: {multicast: {enabled: false,},}, // c\n}"))
	f.Add([]byte(`{queries_default_timeout: -Infinity, id: "\u0041"}`))
	f.Add([]byte(`[[[[{"a": NaN}]]]]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = decodeJSON5(data)
		c, err := ParseConfig(data)
		if err != nil {
			checkConfigError(t, err)
			return
		}
		if err := c.validate(); err != nil {
			t.Errorf("ParseConfig returned an invalid config: %v", err)
		}
	})
}

func replDefault() *ReplicationConfig {
	r := DefaultReplication()
	return &r
}
