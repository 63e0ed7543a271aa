package storage

import (
	"sync"

	"github.com/gozenoh/zenoh/actors/router"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
	"github.com/gozenoh/zenoh/keyexpr"
)

// Bounds of a storage's inbox.
const (
	inboxMaxEvents = 1 << 16
	inboxMaxBytes  = 16 << 20
)

// inbox takes the samples the data plane routes to a storage (it is the
// storage subscriber's router.Subscriber): Deliver turns each into an
// Event, copied, in a bounded queue, on the goroutine that routes it; the
// storage actor takes the whole queue at once and writes it in one badger
// batch, woken by one message when the queue turns non-empty. A full
// queue holds back a Block sample's sender, and drops (and counts) a
// droppable one.
type inbox struct {
	keyExpr string
	clock   *hlc.Clock
	stats   *Stats
	wake    func() // tells the actor there is something to take

	mu      sync.Mutex
	evs     []Event
	bytes   int
	room    chan struct{}
	waiters int
	closed  bool
	done    chan struct{}
}

func newInbox(keyExpr string, clock *hlc.Clock, stats *Stats, wake func()) *inbox {
	return &inbox{keyExpr: keyExpr, clock: clock, stats: stats, wake: wake,
		room: make(chan struct{}), done: make(chan struct{})}
}

// Deliver queues the sample p on key.
func (in *inbox) Deliver(key string, p codec.Push, dl router.Delivery) bool {
	reliable, cancel := dl.Reliable, dl.Cancel
	if keyexpr.Validate(key) != nil || !keyexpr.Intersects(in.keyExpr, key) {
		return true // not the storage's
	}
	d := &p.Body
	ts := d.Timestamp
	if ts.ID.IsZero() {
		ts = in.clock.NewTimestamp()
	} else if err := in.clock.Update(ts); err != nil {
		ts = in.clock.NewTimestamp() // from the future: restamped
	}
	ev := Event{Key: key, TS: ts, Kind: codec.MidDel}
	if d.Kind != codec.MidDel {
		ev.Kind = codec.MidPut
		ev.Payload = append([]byte{}, d.Payload...)
		ev.Encoding = codec.Encoding{ID: d.Encoding.ID, Schema: append([]byte(nil), d.Encoding.Schema...)}
	}
	size := len(ev.Key) + len(ev.Payload) + len(ev.Encoding.Schema) + 64
	droppable := !reliable || !p.QoS.Block()
	in.mu.Lock()
	for !in.closed && len(in.evs) > 0 && (len(in.evs) >= inboxMaxEvents || in.bytes+size > inboxMaxBytes) {
		if droppable {
			in.mu.Unlock()
			in.stats.Dropped.Add(1)
			return false
		}
		room := in.room
		in.waiters++
		in.mu.Unlock()
		select {
		case <-room:
		case <-cancel:
		case <-in.done:
		}
		in.mu.Lock()
		in.waiters--
		select {
		case <-cancel:
			in.mu.Unlock()
			in.stats.Dropped.Add(1)
			return false
		default:
		}
	}
	if in.closed {
		in.mu.Unlock()
		return false
	}
	first := len(in.evs) == 0
	in.evs = append(in.evs, ev)
	in.bytes += size
	in.mu.Unlock()
	if first {
		in.wake()
	}
	return true
}

// take returns everything queued, handing dst's storage to the queue for
// the next ones.
func (in *inbox) take(dst []Event) []Event {
	in.mu.Lock()
	defer in.mu.Unlock()
	evs := in.evs
	clear(dst)
	in.evs, in.bytes = dst[:0], 0
	if in.waiters > 0 {
		close(in.room)
		in.room = make(chan struct{})
	}
	return evs
}

// close refuses what comes next and ends every wait.
func (in *inbox) close() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.closed {
		in.closed = true
		close(in.done)
	}
}
