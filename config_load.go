package zenoh

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/hlc"
	"github.com/titanous/json5"
)

// This file reads zenoh's JSON5 configuration format (see zenoh's
// DEFAULT_CONFIG.json5) into a Config. The text is decoded by
// github.com/titanous/json5 into plain maps and slices, which are then
// walked here so that every key is accounted for: a key this node does not
// support is an error naming its dotted path, never silently ignored.

// maxConfigDepth bounds how deeply arrays and objects may nest. zenoh's own
// configuration nests about 8 levels; the bound exists because the JSON5
// decoder recurses once per level and has no limit of its own, so a deep
// enough input would overflow the goroutine stack (a fatal error, which
// recover cannot catch).
const maxConfigDepth = 64

// maxCfgQuoted caps how many bytes of a bad value an error message quotes.
const maxCfgQuoted = 64

// maxTimeoutMillis is the largest queries_default_timeout a time.Duration holds.
const maxTimeoutMillis = math.MaxInt64 / int64(time.Millisecond)

// ParseConfig reads a configuration in zenoh's JSON5 format. It starts from
// DefaultConfig and applies the keys present, which may be:
//
//	mode                        "router", "peer" or "client"
//	id                          the ZenohId: lowercase hex, no leading zeros
//	connect.endpoints           array of endpoints, or an object keyed by mode
//	listen.endpoints            array of endpoints, or an object keyed by mode
//	scouting.multicast.enabled  bool
//	timestamping.enabled        bool, or an object keyed by mode
//	queries_default_timeout     milliseconds
//	plugins.storage_manager.storages.NAME, an object of:
//	  key_expr                  key expression (required)
//	  volume                    "memory", "badger" or {id: "memory"} (required)
//	  replication               {interval, sub_intervals, hot, warm, propagation_delay}
//
// An object keyed by mode ({router: ..., peer: ..., client: ...}) gives the
// value of each mode; the entry of the configured mode is used, and a
// missing entry leaves the default. Any other key, anywhere, is an error
// naming its path, as is a value of the wrong type. The result is then
// checked as Open checks a Config. Errors are one line and start with
// "zenoh: config"; they wrap the underlying sentinel errors (link.ErrEndpoint,
// hlc.ErrIDSyntax, keyexpr's) where there is one.
func ParseConfig(data []byte) (Config, error) {
	c, err := parseConfig(data)
	if err != nil {
		return Config{}, &configError{msg: cfgOneLine(err.Error()), err: err}
	}
	return c, nil
}

// LoadConfig reads the file at path and parses it with ParseConfig. Its
// errors name the path.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Op + ": " + pe.Err.Error()
		}
		return Config{}, &configError{msg: cfgOneLine("zenoh: config " + path + ": " + msg), err: err}
	}
	c, err := parseConfig(data)
	if err != nil {
		msg := err.Error()
		if rest, ok := strings.CutPrefix(msg, "zenoh: config"); ok {
			msg = strings.TrimPrefix(strings.TrimPrefix(rest, ":"), " ")
		}
		return Config{}, &configError{msg: cfgOneLine("zenoh: config " + path + ": " + msg), err: err}
	}
	return c, nil
}

// configError is an error of ParseConfig or LoadConfig: a one-line message
// and the error it wraps.
type configError struct {
	msg string
	err error
}

func (e *configError) Error() string { return e.msg }
func (e *configError) Unwrap() error { return e.err }

// cfgOneLine escapes the control characters of s (values quoted from the input
// may hold newlines), so that an error message stays on one line.
func cfgOneLine(s string) string {
	if !strings.ContainsFunc(s, cfgIsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if cfgIsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func cfgIsControl(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }

func parseConfig(data []byte) (Config, error) {
	root, err := decodeJSON5Safe(data)
	if err != nil {
		return Config{}, err
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return Config{}, fmt.Errorf("zenoh: config: expected an object at the top level, got %s", cfgKind(root))
	}
	c := DefaultConfig()
	if err := cfgApplyRoot(&c, obj); err != nil {
		return Config{}, err
	}
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// decodeJSON5Safe is decodeJSON5 turning a panic of the decoder into an
// error, so that no input makes ParseConfig panic. (The fuzz test calls
// decodeJSON5 directly, so that such a panic is still found.)
func decodeJSON5Safe(data []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("zenoh: config: JSON5 decoder failed: %v", r)
		}
	}()
	return decodeJSON5(data)
}

// decodeJSON5 decodes the JSON5 text data into maps, slices, strings,
// float64s, bools and nils, reporting syntax errors by line and column.
func decodeJSON5(data []byte) (any, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // a byte order mark is JSON5 white space
	if cfgTooDeep(data, maxConfigDepth) {
		return nil, fmt.Errorf("zenoh: config: arrays and objects nested deeper than %d levels", maxConfigDepth)
	}
	var v any
	if err := json5.Unmarshal(data, &v); err != nil {
		var se *json5.SyntaxError
		var te *json5.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off := se.Offset - 1 // the offending byte
			if off >= int64(len(data))-1 && strings.HasPrefix(se.Error(), "unexpected end") {
				off = int64(len(data))
			}
			return nil, fmt.Errorf("zenoh: config: %s: %v", cfgPosition(data, off), se)
		case errors.As(err, &te):
			// The only type error decoding into any can give: a number
			// that a float64 (or, in hex, an int64) cannot hold.
			num := strings.TrimPrefix(te.Value, "number ") // only number characters
			if len(num) > maxCfgQuoted {
				num = num[:maxCfgQuoted] + "..."
			}
			return nil, fmt.Errorf("zenoh: config: %s: number %s is out of range", cfgPosition(data, te.Offset-1), num)
		}
		return nil, fmt.Errorf("zenoh: config: %v", err)
	}
	return v, nil
}

// cfgTooDeep reports whether arrays and objects nest more than limit levels
// deep in the JSON5 text data. It skips strings and comments the way the
// decoder's scanner does, so it is exact on valid JSON5; on invalid input
// its answer does not matter, since the decoder rejects it before
// recursing.
func cfgTooDeep(data []byte, limit int) bool {
	depth := 0
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '"', '\'':
			for i++; i < len(data) && data[i] != c; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		case '/':
			if i+1 >= len(data) {
				break
			}
			switch data[i+1] {
			case '/':
				for i += 2; i < len(data) && data[i] != '\n' && data[i] != '\r'; i++ {
				}
			case '*':
				end := bytes.Index(data[i+2:], []byte("*/"))
				if end < 0 {
					return false
				}
				i += 2 + end + 1
			}
		case '[', '{':
			if depth++; depth > limit {
				return true
			}
		case ']', '}':
			depth--
		}
	}
	return false
}

// cfgPosition describes byte offset of data as a 1-based line and column (in
// runes).
func cfgPosition(data []byte, offset int64) string {
	p := int(max(0, min(offset, int64(len(data)))))
	line := 1 + bytes.Count(data[:p], []byte("\n"))
	start := bytes.LastIndexByte(data[:p], '\n') + 1
	return fmt.Sprintf("line %d, column %d", line, 1+utf8.RuneCount(data[start:p]))
}

// cfgApplyRoot applies the top-level object m to c. mode comes first, since
// the values keyed by mode depend on it.
func cfgApplyRoot(c *Config, m map[string]any) error {
	if v, ok := m["mode"]; ok {
		s, ok := v.(string)
		if !ok {
			return cfgTypeError("mode", `"router", "peer" or "client"`, v)
		}
		switch s {
		case "router":
			c.Mode = ModeRouter
		case "peer":
			c.Mode = ModePeer
		case "client":
			c.Mode = ModeClient
		default:
			return fmt.Errorf("zenoh: config mode: %s is not router, peer or client", cfgQuote(s))
		}
	}
	return cfgObject("", m, cfgFields{
		"mode": func(string, any) error { return nil }, // applied above
		"id": func(path string, v any) error {
			s, ok := v.(string)
			if !ok {
				return cfgTypeError(path, "a string of hex digits", v)
			}
			if _, err := hlc.ParseID(s); err != nil {
				return fmt.Errorf("zenoh: config %s: %w", path, err)
			}
			c.ID = s
			return nil
		},
		"connect": func(path string, v any) error {
			return cfgObject(path, v, cfgFields{"endpoints": func(path string, v any) error {
				eps, err := cfgEndpointsByMode(path, v, c.Mode)
				if eps != nil {
					c.Connect = *eps
				}
				return err
			}})
		},
		"listen": func(path string, v any) error {
			return cfgObject(path, v, cfgFields{"endpoints": func(path string, v any) error {
				eps, err := cfgEndpointsByMode(path, v, c.Mode)
				if eps != nil {
					c.Listen = *eps
				}
				return err
			}})
		},
		"scouting": func(path string, v any) error {
			return cfgObject(path, v, cfgFields{"multicast": func(path string, v any) error {
				return cfgObject(path, v, cfgFields{"enabled": func(path string, v any) error {
					b, ok := v.(bool)
					if !ok {
						return cfgTypeError(path, "a bool", v)
					}
					c.MulticastScouting = b
					return nil
				}})
			}})
		},
		"timestamping": func(path string, v any) error {
			return cfgObject(path, v, cfgFields{"enabled": func(path string, v any) error {
				b, err := cfgBoolByMode(path, v, c.Mode)
				if b != nil {
					c.Timestamping = b
				}
				return err
			}})
		},
		"queries_default_timeout": func(path string, v any) error {
			ms, err := cfgInteger(path, v, "a non-negative integer number of milliseconds", maxTimeoutMillis)
			if err != nil {
				return err
			}
			c.QueryTimeout = time.Duration(ms) * time.Millisecond
			return nil
		},
		"plugins": func(path string, v any) error {
			return cfgObject(path, v, cfgFields{"storage_manager": func(path string, v any) error {
				return cfgObject(path, v, cfgFields{"storages": func(path string, v any) error {
					return cfgStorages(c, path, v)
				}})
			}})
		},
	})
}

// cfgFields maps the keys an object may have to the functions applying their
// values, each given the value's path.
type cfgFields map[string]func(path string, v any) error

// cfgObject applies the object v at path with f, in key order (so that the
// first error is always the same), rejecting the keys f does not have.
func cfgObject(path string, v any, f cfgFields) error {
	m, ok := v.(map[string]any)
	if !ok {
		return cfgTypeError(path, "an object", v)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		apply, ok := f[k]
		if !ok {
			return fmt.Errorf("zenoh: config: unknown key %q", cfgJoin(path, k))
		}
		if err := apply(cfgJoin(path, k), m[k]); err != nil {
			return err
		}
	}
	return nil
}

// cfgByMode applies the object v at path, keyed by mode, with leaf for each
// entry, and returns the entry of mode (nil if there is none).
func cfgByMode(path string, v any, mode Mode, leaf func(path string, v any) error) (any, error) {
	if err := cfgObject(path, v, cfgFields{"router": leaf, "peer": leaf, "client": leaf}); err != nil {
		return nil, err
	}
	return v.(map[string]any)[mode.String()], nil
}

// cfgEndpointsByMode reads an endpoint list, or an object of endpoint lists
// keyed by mode, returning the list of mode (nil if there is none). Every
// list is checked, including those of the other modes, as zenoh does.
func cfgEndpointsByMode(path string, v any, mode Mode) (*[]string, error) {
	if _, ok := v.(map[string]any); !ok {
		eps, err := cfgEndpoints(path, v, "an array of endpoint strings or an object of them keyed by mode")
		if err != nil {
			return nil, err
		}
		return &eps, nil
	}
	leaf := func(path string, v any) error {
		_, err := cfgEndpoints(path, v, "an array of endpoint strings")
		return err
	}
	selected, err := cfgByMode(path, v, mode, leaf)
	if err != nil || selected == nil {
		return nil, err
	}
	eps, _ := cfgEndpoints(path, selected, "") // checked by leaf
	return &eps, nil
}

// cfgEndpoints reads the array of endpoint strings v at path, checking each.
func cfgEndpoints(path string, v any, want string) ([]string, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, cfgTypeError(path, want, v)
	}
	var eps []string
	for i, e := range a {
		p := path + "[" + strconv.Itoa(i) + "]"
		s, ok := e.(string)
		if !ok {
			return nil, cfgTypeError(p, "an endpoint string", e)
		}
		if _, err := link.ParseEndpoint(s); err != nil {
			return nil, fmt.Errorf("zenoh: config %s: %w", p, err)
		}
		eps = append(eps, s)
	}
	return eps, nil
}

// cfgBoolByMode reads a bool, or an object of bools keyed by mode, returning
// the value for mode (nil if there is none).
func cfgBoolByMode(path string, v any, mode Mode) (*bool, error) {
	if b, ok := v.(bool); ok {
		return &b, nil
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, cfgTypeError(path, "a bool or an object of bools keyed by mode", v)
	}
	leaf := func(path string, v any) error {
		if _, ok := v.(bool); !ok {
			return cfgTypeError(path, "a bool", v)
		}
		return nil
	}
	selected, err := cfgByMode(path, v, mode, leaf)
	if err != nil || selected == nil {
		return nil, err
	}
	b := selected.(bool) // checked by leaf
	return &b, nil
}

// cfgStorages reads plugins.storage_manager.storages into c.Storages.
func cfgStorages(c *Config, path string, v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return cfgTypeError(path, "an object of storages keyed by name", v)
	}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		s, err := cfgStorage(cfgJoin(path, name), m[name])
		if err != nil {
			return err
		}
		if c.Storages == nil {
			c.Storages = make(map[string]StorageConfig, len(m))
		}
		c.Storages[name] = s
	}
	return nil
}

// cfgStorage reads one storage. key_expr and volume are required, as zenoh's
// storage manager requires them; their values are checked by validate.
func cfgStorage(path string, v any) (StorageConfig, error) {
	var s StorageConfig
	var haveKeyExpr, haveVolume bool
	err := cfgObject(path, v, cfgFields{
		"key_expr": func(path string, v any) error {
			k, ok := v.(string)
			if !ok {
				return cfgTypeError(path, "a key expression string", v)
			}
			s.KeyExpr, haveKeyExpr = k, true
			return nil
		},
		"volume": func(path string, v any) error {
			if id, ok := v.(string); ok {
				s.Volume, haveVolume = id, true
				return nil
			}
			if _, ok := v.(map[string]any); !ok {
				return cfgTypeError(path, `a volume name or an object {id: "name"}`, v)
			}
			err := cfgObject(path, v, cfgFields{"id": func(path string, v any) error {
				id, ok := v.(string)
				if !ok {
					return cfgTypeError(path, "a volume name string", v)
				}
				s.Volume, haveVolume = id, true
				return nil
			}})
			if err == nil && !haveVolume {
				err = fmt.Errorf("zenoh: config %s: missing key id", path)
			}
			return err
		},
		"replication": func(path string, v any) error {
			r, err := cfgReplication(path, v)
			s.Replication = &r
			return err
		},
	})
	switch {
	case err != nil:
		return StorageConfig{}, err
	case !haveKeyExpr:
		return StorageConfig{}, fmt.Errorf("zenoh: config %s: missing key key_expr", path)
	case !haveVolume:
		return StorageConfig{}, fmt.Errorf("zenoh: config %s: missing key volume", path)
	}
	return s, nil
}

// cfgReplication reads a storage's replication object, typed as zenoh's
// storage manager reads it: interval in seconds (a positive number), the
// others non-negative integers (propagation_delay in milliseconds); a
// missing key keeps its default.
func cfgReplication(path string, v any) (ReplicationConfig, error) {
	r := DefaultReplication()
	count := func(dst *int) func(string, any) error {
		return func(path string, v any) error {
			n, err := cfgInteger(path, v, "a non-negative integer", math.MaxInt32)
			*dst = int(n)
			return err
		}
	}
	err := cfgObject(path, v, cfgFields{
		"interval": func(path string, v any) error {
			f, ok := v.(float64)
			if !ok || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 || f > 1e6 {
				return cfgTypeError(path, "a positive number of seconds", v)
			}
			r.Interval = time.Duration(f * float64(time.Second))
			return nil
		},
		"sub_intervals": count(&r.SubIntervals),
		"hot":           count(&r.Hot),
		"warm":          count(&r.Warm),
		"propagation_delay": func(path string, v any) error {
			n, err := cfgInteger(path, v, "a non-negative integer of milliseconds", math.MaxInt32)
			r.PropagationDelay = time.Duration(n) * time.Millisecond
			return err
		},
	})
	return r, err
}

// cfgInteger reads v at path as an integer in [0, limit], described by want.
func cfgInteger(path string, v any, want string, limit int64) (int64, error) {
	f, ok := v.(float64)
	// float64(MaxInt64) rounds up to 2^63, which int64 cannot hold.
	if !ok || f != math.Trunc(f) || f < 0 || f > float64(limit) || f >= 0x1p63 {
		return 0, cfgTypeError(path, want, v)
	}
	return int64(f), nil
}

// cfgTypeError reports a value of the wrong type, or out of range, at path.
func cfgTypeError(path, want string, v any) error {
	if path == "" {
		path = "(top level)"
	}
	return fmt.Errorf("zenoh: config %s: expected %s, got %s", path, want, cfgDescribe(v))
}

// cfgDescribe names the JSON type of v, with its value for a number.
func cfgDescribe(v any) string {
	if f, ok := v.(float64); ok {
		if f == math.Trunc(f) && math.Abs(f) < 1e21 {
			return "number " + strconv.FormatFloat(f, 'f', -1, 64)
		}
		return "number " + strconv.FormatFloat(f, 'g', -1, 64)
	}
	return cfgKind(v)
}

// cfgKind names the JSON type of a decoded value.
func cfgKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// cfgJoin appends key to the dotted path, as .key if it is a plain name and
// as ["key"] otherwise (a storage name may hold dots or anything else).
func cfgJoin(path, key string) string {
	plain := key != ""
	for _, r := range key {
		if !(r == '_' || r == '-' || r == '$' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			plain = false
			break
		}
	}
	switch {
	case !plain:
		return path + "[" + cfgQuote(key) + "]"
	case path == "":
		return key
	}
	return path + "." + key
}

// cfgQuote quotes s, truncated to maxCfgQuoted bytes, for an error message.
func cfgQuote(s string) string {
	if len(s) <= maxCfgQuoted {
		return strconv.Quote(s)
	}
	cut := maxCfgQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}
