package hlc

import "testing"

// FuzzParseID checks that ParseID never panics and that whatever it accepts
// prints back to the same text (its input form is canonical) and re-parses
// equal.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{"1", "a1b2c3", "1f1e1d1c1b1a19181716151413121110",
		"ffffffffffffffffffffffffffffffff", "0", "0a", "", "ABC", "+1",
		"6bd9cb5f9f2644508fbbb0df1d6cce3a0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			return
		}
		if id.IsZero() {
			t.Fatalf("ParseID(%q) gave the zero ID", s)
		}
		text := id.String()
		if text != s {
			t.Fatalf("ParseID(%q).String() = %q", s, text)
		}
		back, err := ParseID(text)
		if err != nil || back != id {
			t.Fatalf("ParseID(%q) = %v, %v; want %v", text, back, err, id)
		}
		wire, err := IDFromBytes(id.Bytes())
		if err != nil || wire != id {
			t.Fatalf("IDFromBytes(Bytes()) = %v, %v; want %v", wire, err, id)
		}
	})
}

// FuzzParseTimestamp checks that ParseTimestamp and ParseTimestampRFC3339
// never panic and that whatever they accept survives String (or RFC3339)
// and parsing again.
func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{
		"7372572642335994675/1f1e1d1c1b1a19181716151413121110",
		"7372572642335994675/a1b2c3", "0/1", "18446744073709551615/ffffffffffffffffffffffffffffffff",
		"18446744073709551616/1", "007/1", "/1", "1/", "1/0", "1/2/3", "",
		"2024-05-24T14:27:13.700000000Z/a1b2c3", "2024-05-24T16:27:13.7+02:00/a1b2c3",
		"2106-02-07T06:28:15.999999999Z/1", "1969-12-31T23:59:59Z/1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ts, err := ParseTimestamp(s); err == nil {
			text := ts.String()
			back, err := ParseTimestamp(text)
			if err != nil || back != ts {
				t.Fatalf("ParseTimestamp(%q) = %v, %v; want %v (from %q)", text, back, err, ts, s)
			}
			if back.String() != text {
				t.Fatalf("String not stable: %q then %q", text, back.String())
			}
		}
		if ts, err := ParseTimestampRFC3339(s); err == nil {
			// Parsing keeps at most nanoseconds and rounds them down to
			// NTP64; printing rounds back up to the same nanoseconds, so the
			// trip is exact.
			text := ts.RFC3339()
			back, err := ParseTimestampRFC3339(text)
			if err != nil || back != ts {
				t.Fatalf("ParseTimestampRFC3339(%q) = %v, %v; want %v (from %q)", text, back, err, ts, s)
			}
		}
	})
}
