package hlc

import (
	"errors"
	"slices"
	"testing"
)

func TestTimestampCompare(t *testing.T) {
	idA := mustID(t, 0x01, 0x02) // sorts before idB (01 < 02 at byte 0)
	idB := mustID(t, 0x02, 0x01)
	tests := []struct {
		name string
		a, b Timestamp
		want int
	}{
		{"equal", Timestamp{5, idA}, Timestamp{5, idA}, 0},
		{"time first", Timestamp{4, idB}, Timestamp{5, idA}, -1},
		{"then id", Timestamp{5, idA}, Timestamp{5, idB}, -1},
		{"id in wire byte order", Timestamp{5, mustID(t, 0xff)}, Timestamp{5, mustID(t, 0x00, 0x01)}, 1},
		{"time beats id", Timestamp{6, idA}, Timestamp{5, idB}, 1},
		{"large times", Timestamp{MaxNTP64, idA}, Timestamp{MaxNTP64 - 1, idB}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Compare(tt.b); got != tt.want {
				t.Errorf("Compare = %d, want %d", got, tt.want)
			}
			if got := tt.b.Compare(tt.a); got != -tt.want {
				t.Errorf("reverse Compare = %d, want %d", got, -tt.want)
			}
			if got := tt.a.Less(tt.b); got != (tt.want < 0) {
				t.Errorf("Less = %v", got)
			}
			if got := tt.a.Equal(tt.b); got != (tt.want == 0) {
				t.Errorf("Equal = %v", got)
			}
		})
	}
}

func TestTimestampSort(t *testing.T) {
	idA, idB := mustID(t, 0x01, 0x02), mustID(t, 0x02, 0x01)
	want := []Timestamp{{0, idA}, {0, idB}, {1, idA}, {1, idB}, {specNTP64, idA}}
	got := []Timestamp{want[4], want[1], want[3], want[0], want[2]}
	slices.SortFunc(got, Timestamp.Compare)
	if !slices.Equal(got, want) {
		t.Errorf("sorted = %v, want %v", got, want)
	}
}

func TestTimestampText(t *testing.T) {
	tests := []struct {
		name    string
		ts      Timestamp
		text    string
		rfc3339 string
	}{
		{"spec example", Timestamp{specNTP64, seqID(t)},
			"7372572642335994675/1f1e1d1c1b1a19181716151413121110",
			"2024-05-24T14:27:13.700000000Z/1f1e1d1c1b1a19181716151413121110"},
		{"short id", Timestamp{specNTP64, mustID(t, 0xc3, 0xb2, 0xa1)},
			"7372572642335994675/a1b2c3",
			"2024-05-24T14:27:13.700000000Z/a1b2c3"},
		{"epoch", Timestamp{0, mustID(t, 1)}, "0/1", "1970-01-01T00:00:00.000000000Z/1"},
		{"longest", Timestamp{MaxNTP64, mustID(t, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)},
			"18446744073709551615/ffffffffffffffffffffffffffffffff",
			"2106-02-07T06:28:16.000000000Z/ffffffffffffffffffffffffffffffff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ts.String(); got != tt.text {
				t.Errorf("String = %q, want %q", got, tt.text)
			}
			if got := string(tt.ts.AppendTo([]byte("x"))); got != "x"+tt.text {
				t.Errorf("AppendTo = %q", got)
			}
			if got := tt.ts.RFC3339(); got != tt.rfc3339 {
				t.Errorf("RFC3339 = %q, want %q", got, tt.rfc3339)
			}
			if got, err := ParseTimestamp(tt.text); err != nil || got != tt.ts {
				t.Errorf("ParseTimestamp(%q) = %v, %v", tt.text, got, err)
			}
			if tt.ts.Time == MaxNTP64 {
				return // its RFC 3339 form rounds up out of range
			}
			if got, err := ParseTimestampRFC3339(tt.rfc3339); err != nil || got != tt.ts {
				t.Errorf("ParseTimestampRFC3339(%q) = %v, %v", tt.rfc3339, got, err)
			}
		})
	}
}

func TestParseTimestampErrors(t *testing.T) {
	tests := []struct {
		in      string
		wantErr error
	}{
		{"", ErrTimestampSyntax},
		{"7372572642335994675", ErrTimestampSyntax},
		{"/a1b2c3", ErrNTP64Syntax},
		{"+1/a1b2c3", ErrNTP64Syntax},
		{"2024-05-24T14:27:13.7Z/a1b2c3", ErrNTP64Syntax},
		{"18446744073709551616/1", ErrNTP64Syntax},
		{"1/", ErrIDSyntax},
		{"1/0", ErrIDSyntax},
		{"1/0a", ErrIDSyntax},
		{"1/A1B2C3", ErrIDSyntax},
		{"1/2/3", ErrIDSyntax},
		{"1/a1b2c3 ", ErrIDSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTimestamp(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("ParseTimestamp(%q) = %v, %v; want %v", tt.in, got, err, tt.wantErr)
			}
			if !got.IsZero() {
				t.Errorf("ParseTimestamp(%q) returned %v on error", tt.in, got)
			}
		})
	}
}

func TestParseTimestampRFC3339Errors(t *testing.T) {
	tests := []struct {
		in      string
		wantErr error
	}{
		{"2024-05-24T14:27:13.7Z", ErrTimestampSyntax},
		{"7372572642335994675/a1b2c3", ErrNTP64Syntax},
		{"1969-12-31T23:59:59Z/a1b2c3", ErrNTP64Range},
		{"2024-05-24T14:27:13.7Z/0", ErrIDSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if _, err := ParseTimestampRFC3339(tt.in); !errors.Is(err, tt.wantErr) {
				t.Errorf("ParseTimestampRFC3339(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
		})
	}
}
