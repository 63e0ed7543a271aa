package hlc_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/gozenoh/zenoh/hlc"
)

func ExampleClock() {
	// A fake physical clock, frozen, so the output is stable. Real code
	// uses hlc.DefaultConfig(), which reads time.Now.
	now := time.Date(2024, 5, 24, 14, 27, 13, 700_000_000, time.UTC)
	id, _ := hlc.ParseID("a1b2c3")
	clk, err := hlc.NewClock(id, hlc.Config{Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}

	ts1 := clk.NewTimestamp()
	ts2 := clk.NewTimestamp() // same physical tick: the counter moves on
	fmt.Println(ts1)
	fmt.Println(ts2, ts1.Less(ts2))

	// A remote timestamp 100 ms ahead is adopted...
	peer, _ := hlc.ParseID("1f")
	remote := hlc.Timestamp{Time: hlc.NTP64FromTime(now.Add(100 * time.Millisecond)), ID: peer}
	fmt.Println(clk.Update(remote), remote.Less(clk.NewTimestamp()))

	// ...but one 2 s ahead is not.
	remote.Time = hlc.NTP64FromTime(now.Add(2 * time.Second))
	fmt.Println(errors.Is(clk.Update(remote), hlc.ErrTooFarInFuture))
	// Output:
	// 7372572642335994672/a1b2c3
	// 7372572642335994673/a1b2c3 true
	// <nil> true
	// true
}

func ExampleParseTimestamp() {
	ts, err := hlc.ParseTimestamp("7372572642335994675/1f1e1d1c1b1a19181716151413121110")
	if err != nil {
		panic(err)
	}
	fmt.Println(ts.Time.Time())
	fmt.Println(ts.RFC3339())
	fmt.Printf("% x\n", ts.ID.Bytes())
	// Output:
	// 2024-05-24 14:27:13.7 +0000 UTC
	// 2024-05-24T14:27:13.700000000Z/1f1e1d1c1b1a19181716151413121110
	// 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f
}

func ExampleID_String() {
	id, err := hlc.IDFromBytes([]byte{0xc3, 0xb2, 0xa1}) // wire order: least significant first
	if err != nil {
		panic(err)
	}
	fmt.Println(id, id.Len())
	// Output: a1b2c3 3
}

func ExampleNewRandomID() {
	id, err := hlc.NewRandomID(rand.Reader)
	if err != nil {
		panic(err)
	}
	fmt.Println(id.IsZero())
	// Output: false
}

func ExampleNTP64() {
	t := hlc.NTP64(0x6650a3c1b3333333)
	fmt.Println(t.Secs(), t.SubsecNanos())
	fmt.Println(t, t.RFC3339())
	fmt.Printf("%#x\n", uint64(hlc.NTP64FromDuration(500*time.Millisecond)))
	// Output:
	// 1716560833 700000000
	// 7372572642335994675 2024-05-24T14:27:13.700000000Z
	// 0x80000000
}
