package hlc

import (
	"fmt"
	"strings"
)

// Timestamp is an HLC timestamp: a time and the ID of the clock that
// made it. Timestamps order by Time, then by ID (see Compare). The zero
// Timestamp has the invalid zero ID; zenoh never sends it.
type Timestamp struct {
	Time NTP64
	ID   ID
}

// Compare orders timestamps by Time, then by ID (ID.Compare), as zenoh
// and uhlc do. It returns -1, 0 or +1.
func (ts Timestamp) Compare(other Timestamp) int {
	switch {
	case ts.Time < other.Time:
		return -1
	case ts.Time > other.Time:
		return 1
	}
	return ts.ID.Compare(other.ID)
}

// Less reports whether ts orders before other.
func (ts Timestamp) Less(other Timestamp) bool { return ts.Compare(other) < 0 }

// Equal reports whether ts and other are the same timestamp (same as ==).
func (ts Timestamp) Equal(other Timestamp) bool { return ts == other }

// IsZero reports whether ts is the zero Timestamp.
func (ts Timestamp) IsZero() bool { return ts == Timestamp{} }

// maxTimestampText is the longest String form: 20 decimal digits, the
// slash and 32 hex digits.
const maxTimestampText = 20 + 1 + maxIDDigits

// String returns the text form uhlc prints: "<time>/<id>", the time in
// decimal (NTP64.String) and the ID in hex (ID.String), e.g.
// "7386690599959157260/1f1e1d1c1b1a19181716151413121110".
func (ts Timestamp) String() string {
	var buf [maxTimestampText]byte
	return string(ts.AppendTo(buf[:0]))
}

// AppendTo appends the String form of ts to dst.
func (ts Timestamp) AppendTo(dst []byte) []byte {
	dst = ts.Time.AppendTo(dst)
	dst = append(dst, '/')
	return ts.ID.AppendTo(dst)
}

// ParseTimestamp parses the String form: a decimal NTP64 (ParseNTP64), a
// '/', and an ID (ParseID).
func ParseTimestamp(s string) (Timestamp, error) {
	return parseTimestamp(s, ParseNTP64)
}

// RFC3339 returns uhlc's alternate ("{:#}") form: "<time>/<id>" with the
// time as NTP64.RFC3339, e.g.
// "2024-05-24T14:27:13.700000000Z/1f1e1d1c1b1a19181716151413121110". It is
// lossy (nanosecond precision).
func (ts Timestamp) RFC3339() string {
	var buf [len(rfc3339Nanos) + 1 + maxIDDigits]byte
	dst := ts.Time.AppendRFC3339(buf[:0])
	dst = append(dst, '/')
	return string(ts.ID.AppendTo(dst))
}

// ParseTimestampRFC3339 parses the RFC3339 form: an RFC 3339 date-time
// (ParseNTP64RFC3339), a '/', and an ID (ParseID).
func ParseTimestampRFC3339(s string) (Timestamp, error) {
	return parseTimestamp(s, ParseNTP64RFC3339)
}

func parseTimestamp(s string, parseTime func(string) (NTP64, error)) (Timestamp, error) {
	stime, sid, ok := strings.Cut(s, "/")
	if !ok {
		return Timestamp{}, fmt.Errorf("%w %s: no '/'", ErrTimestampSyntax, snippet(s))
	}
	t, err := parseTime(stime)
	if err != nil {
		return Timestamp{}, err
	}
	id, err := ParseID(sid)
	if err != nil {
		return Timestamp{}, err
	}
	return Timestamp{Time: t, ID: id}, nil
}
