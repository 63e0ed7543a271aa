package hlc

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

func TestNTP64FromTime(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want NTP64
	}{
		{"epoch", time.Unix(0, 0), 0},
		{"spec example", specTime, specNTP64},
		{"spec example in another zone", specTime.In(time.FixedZone("x", 3600)), specNTP64},
		{"one ns", time.Unix(0, 1), 4}, // floor(2^32/1e9) = 4
		{"half second", time.Unix(0, 5e8), 1 << 31},
		{"last second", time.Unix(1<<32-1, 999_999_999), 0xffff_ffff_ffff_fffb},
		{"before epoch", time.Unix(-1, 999_999_999), 0},
		{"long before epoch", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{"after 2106", time.Unix(1<<32, 0), MaxNTP64},
		{"zero time.Time", time.Time{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NTP64FromTime(tt.in); got != tt.want {
				t.Errorf("NTP64FromTime(%v) = %#x, want %#x", tt.in, uint64(got), uint64(tt.want))
			}
		})
	}
}

func TestNTP64FromDuration(t *testing.T) {
	tests := []struct {
		name string
		in   time.Duration
		want NTP64
	}{
		{"zero", 0, 0},
		{"one second", time.Second, 1 << 32},
		{"default max delta", DefaultMaxDelta, 0x8000_0000},
		{"42s 84ns", 42*time.Second + 84, 42<<32 | 360}, // floor(84*2^32/1e9) = 360
		{"negative", -time.Second, 0},
		{"too long", 1 << 32 * time.Second, MaxNTP64},
		{"max duration", time.Duration(1<<63 - 1), MaxNTP64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NTP64FromDuration(tt.in); got != tt.want {
				t.Errorf("NTP64FromDuration(%v) = %#x, want %#x", tt.in, uint64(got), uint64(tt.want))
			}
		})
	}
}

func TestNTP64FromSecsNanos(t *testing.T) {
	tests := []struct {
		name        string
		secs, nanos uint64
		want        NTP64
	}{
		{"zero", 0, 0, 0},
		{"spec example", 1716560833, 700_000_000, specNTP64},
		{"nanos carry", 1, 1_500_000_000, 2<<32 | 1<<31},
		{"max secs", 1<<32 - 1, 0, 0xffff_ffff_0000_0000},
		{"secs overflow", 1 << 32, 0, MaxNTP64},
		{"nanos overflow", 1<<32 - 1, 1e9, MaxNTP64},
		{"huge secs", 1<<64 - 1, 1<<64 - 1, MaxNTP64},
		{"huge nanos", 0, 1<<64 - 1, MaxNTP64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NTP64FromSecsNanos(tt.secs, tt.nanos); got != tt.want {
				t.Errorf("NTP64FromSecsNanos(%d, %d) = %#x, want %#x", tt.secs, tt.nanos, uint64(got), uint64(tt.want))
			}
		})
	}
}

func TestNTP64To(t *testing.T) {
	tests := []struct {
		name      string
		in        NTP64
		secs      uint32
		frac      uint32
		subsec    uint32 // SubsecNanos
		asSecs    uint64 // AsSecsNanos
		asNanos   uint32
		totalNano uint64
		time      time.Time
	}{
		{"zero", 0, 0, 0, 0, 0, 0, 0, time.Unix(0, 0)},
		{"spec example", specNTP64, 1716560833, 0xb3333333, 700_000_000,
			1716560833, 700_000_000, 1716560833_700_000_000, specTime},
		{"smallest fraction rounds up", 1, 0, 1, 1, 0, 1, 1, time.Unix(0, 1)},
		{"42s 84ns", 42<<32 | 360, 42, 360, 84, 42, 84, 42_000_000_084, time.Unix(42, 84)},
		{"fraction rounds up to a whole second", 7<<32 | 0xffff_ffff, 7, 0xffff_ffff, 1e9,
			8, 0, 8e9, time.Unix(8, 0)},
		{"largest", MaxNTP64, 1<<32 - 1, 1<<32 - 1, 1e9,
			1 << 32, 0, 1 << 32 * 1e9, time.Unix(1<<32, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Secs(); got != tt.secs {
				t.Errorf("Secs = %d, want %d", got, tt.secs)
			}
			if got := tt.in.Frac(); got != tt.frac {
				t.Errorf("Frac = %#x, want %#x", got, tt.frac)
			}
			if got := tt.in.SubsecNanos(); got != tt.subsec {
				t.Errorf("SubsecNanos = %d, want %d", got, tt.subsec)
			}
			if s, n := tt.in.AsSecsNanos(); s != tt.asSecs || n != tt.asNanos {
				t.Errorf("AsSecsNanos = %d, %d, want %d, %d", s, n, tt.asSecs, tt.asNanos)
			}
			if got := tt.in.Nanos(); got != tt.totalNano {
				t.Errorf("Nanos = %d, want %d", got, tt.totalNano)
			}
			if got := tt.in.Duration(); got != time.Duration(tt.totalNano) {
				t.Errorf("Duration = %v, want %v", got, time.Duration(tt.totalNano))
			}
			if got := tt.in.Time(); !got.Equal(tt.time) || got.Location() != time.UTC {
				t.Errorf("Time = %v, want %v in UTC", got, tt.time)
			}
		})
	}
}

// TestNTP64NanosRoundTrip checks that nanoseconds survive NTP64 and back,
// thanks to rounding down one way and up the other.
func TestNTP64NanosRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(ns uint64) {
		t.Helper()
		got := NTP64FromSecsNanos(0, ns).Nanos()
		if got != ns {
			t.Fatalf("NTP64FromSecsNanos(0, %d).Nanos() = %d", ns, got)
		}
		if d := time.Duration(ns); NTP64FromDuration(d).Duration() != d {
			t.Fatalf("duration %d does not round trip", ns)
		}
	}
	for ns := range uint64(100_000) {
		check(ns)
		check(1e9 - 1 - ns)
	}
	for range 100_000 {
		check(rng.Uint64N(1 << 32 * 1e9))
	}
}

func TestNTP64String(t *testing.T) {
	tests := []struct {
		in      NTP64
		text    string
		rfc3339 string
	}{
		{0, "0", "1970-01-01T00:00:00.000000000Z"},
		{specNTP64, "7372572642335994675", "2024-05-24T14:27:13.700000000Z"},
		// The example of uhlc's NTP64 documentation, which shows
		// ".860479000Z": it predates uhlc 0.8.1, which rounds the fraction up
		// (0.860479000024 s) as we do.
		{7386690599959157260, "7386690599959157260", "2024-07-01T15:32:06.860479001Z"},
		{MaxNTP64, "18446744073709551615", "2106-02-07T06:28:16.000000000Z"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := tt.in.String(); got != tt.text {
				t.Errorf("String = %q, want %q", got, tt.text)
			}
			if got := string(tt.in.AppendTo([]byte("x"))); got != "x"+tt.text {
				t.Errorf("AppendTo = %q", got)
			}
			if got := tt.in.RFC3339(); got != tt.rfc3339 {
				t.Errorf("RFC3339 = %q, want %q", got, tt.rfc3339)
			}
			if got, err := ParseNTP64(tt.text); err != nil || got != tt.in {
				t.Errorf("ParseNTP64(%q) = %d, %v", tt.text, got, err)
			}
		})
	}
}

func TestParseNTP64(t *testing.T) {
	tests := []struct {
		in      string
		want    NTP64
		wantErr error
	}{
		{"0", 0, nil},
		{"007", 7, nil},
		{"18446744073709551615", MaxNTP64, nil},
		{"18446744073709551616", 0, ErrNTP64Syntax},
		{"", 0, ErrNTP64Syntax},
		{"+1", 0, ErrNTP64Syntax},
		{"-1", 0, ErrNTP64Syntax},
		{"1_000", 0, ErrNTP64Syntax},
		{"0x10", 0, ErrNTP64Syntax},
		{" 1", 0, ErrNTP64Syntax},
		{"2024-05-24T14:27:13Z", 0, ErrNTP64Syntax},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseNTP64(tt.in)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("ParseNTP64(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseNTP64RFC3339(t *testing.T) {
	tests := []struct {
		in      string
		want    NTP64
		wantErr error
	}{
		{"2024-05-24T14:27:13.700000000Z", specNTP64, nil},
		{"2024-05-24T14:27:13.7Z", specNTP64, nil},
		{"2024-05-24T16:27:13.7+02:00", specNTP64, nil},
		{"1970-01-01T00:00:00Z", 0, nil},
		{"2106-02-07T06:28:15.999999999Z", 0xffff_ffff_ffff_fffb, nil},
		{"2106-02-07T06:28:16Z", 0, ErrNTP64Range},
		{"1969-12-31T23:59:59.999999999Z", 0, ErrNTP64Range},
		{"7372572642335994675", 0, ErrNTP64Syntax},
		{"2024-05-24 14:27:13Z", 0, ErrNTP64Syntax},
		{"", 0, ErrNTP64Syntax},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseNTP64RFC3339(tt.in)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("ParseNTP64RFC3339(%q) = %#x, %v; want %#x, %v", tt.in, uint64(got), err, uint64(tt.want), tt.wantErr)
			}
		})
	}
}
