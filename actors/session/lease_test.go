package session

import (
	"testing"
	"time"
)

func TestLease(t *testing.T) {
	type step struct {
		at        time.Duration // since coreT0
		op        string        // "recv", "send" or "tick"
		keepAlive bool          // tick: expected results
		expired   bool
	}
	tests := []struct {
		name      string
		own, peer time.Duration
		interval  time.Duration
		steps     []step
	}{
		{"idle link sends keepalives", 10 * time.Second, 10 * time.Second, 2500 * time.Millisecond, []step{
			{at: 2499 * time.Millisecond, op: "tick"},
			{at: 2500 * time.Millisecond, op: "tick", keepAlive: true},
			{at: 2600 * time.Millisecond, op: "tick"}, // already sent
			{at: 5000 * time.Millisecond, op: "tick", keepAlive: true},
		}},
		{"traffic suppresses keepalives", 10 * time.Second, 10 * time.Second, 2500 * time.Millisecond, []step{
			{at: 2 * time.Second, op: "send"},
			{at: 4 * time.Second, op: "tick"},
			{at: 4500 * time.Millisecond, op: "tick", keepAlive: true},
		}},
		{"interval from the shorter lease", 10 * time.Second, 4 * time.Second, time.Second, []step{
			{at: time.Second, op: "tick", keepAlive: true},
		}},
		{"own lease shorter", 2 * time.Second, 10 * time.Second, 500 * time.Millisecond, []step{
			{at: 500 * time.Millisecond, op: "tick", keepAlive: true},
			{at: 9999 * time.Millisecond, op: "recv"},
			{at: 19 * time.Second, op: "tick", keepAlive: true},
		}},
		{"expiry after the peer's lease", 10 * time.Second, 3 * time.Second, 750 * time.Millisecond, []step{
			{at: 2 * time.Second, op: "recv"},
			{at: 4999 * time.Millisecond, op: "send"},
			{at: 4999 * time.Millisecond, op: "tick"},
			{at: 5 * time.Second, op: "tick", expired: true},
		}},
		{"receiving keeps it alive", 10 * time.Second, 10 * time.Second, 2500 * time.Millisecond, []step{
			{at: 9 * time.Second, op: "recv"},
			{at: 18 * time.Second, op: "recv"},
			{at: 27 * time.Second, op: "send"},
			{at: 27 * time.Second, op: "tick"},
			{at: 28 * time.Second, op: "tick", expired: true},
		}},
		{"clock going back is ignored", 10 * time.Second, 10 * time.Second, 2500 * time.Millisecond, []step{
			{at: 5 * time.Second, op: "recv"},
			{at: time.Second, op: "recv"},
			{at: 14 * time.Second, op: "tick", keepAlive: true},
			{at: 15 * time.Second, op: "tick", expired: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLease(tt.own, tt.peer, coreT0)
			if l.Interval() != tt.interval {
				t.Fatalf("interval %v, want %v", l.Interval(), tt.interval)
			}
			for i, s := range tt.steps {
				now := coreT0.Add(s.at)
				switch s.op {
				case "recv":
					l.OnRecv(now)
				case "send":
					l.OnSend(now)
				case "tick":
					ka, exp := l.Tick(now)
					if ka != s.keepAlive || exp != s.expired {
						t.Fatalf("step %d at %v: keepAlive %v expired %v, want %v %v", i, s.at, ka, exp, s.keepAlive, s.expired)
					}
				}
			}
		})
	}
}

func TestLeaseNext(t *testing.T) {
	l := NewLease(10*time.Second, 10*time.Second, coreT0)
	if got := l.Next(); !got.Equal(coreT0.Add(2500 * time.Millisecond)) {
		t.Fatalf("Next %v", got.Sub(coreT0))
	}
	l.OnSend(coreT0.Add(9 * time.Second))
	if got := l.Next(); !got.Equal(coreT0.Add(10 * time.Second)) {
		t.Fatalf("Next %v: expiry comes first", got.Sub(coreT0))
	}
	z := NewLease(0, 0, coreT0)
	if ka, _ := z.Tick(coreT0); ka {
		t.Fatal("zero leases must expire, not send keepalives")
	}
}
