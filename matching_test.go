package zenoh

import (
	"context"
	"testing"
	"time"
)

// awaitMatching polls Matching until it reports want: declarations
// travel asynchronously and there is no matching listener yet.
func awaitMatching(t *testing.T, p *Publisher, want bool) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for {
		got, err := p.Matching(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Matching still %v after %v", got, testWait)
		}
		<-time.After(10 * time.Millisecond) // no event to wait on
	}
}

func TestPublisherMatching(t *testing.T) {
	r, c1, c2 := livelinessNet(t)
	pub, err := c1.DeclarePublisher("m/a")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := pub.Matching(context.Background()); err != nil || got {
		t.Fatalf("Matching with no subscriber = %v, %v", got, err)
	}
	sub, err := c2.DeclareSubscriber("m/*", FifoChannel(4))
	if err != nil {
		t.Fatal(err)
	}
	awaitMatching(t, pub, true)
	if err := sub.Undeclare(); err != nil {
		t.Fatal(err)
	}
	awaitMatching(t, pub, false)
	rs, err := r.DeclareSubscriber("m/**", FifoChannel(4))
	if err != nil {
		t.Fatal(err)
	}
	awaitMatching(t, pub, true)
	_ = rs.Undeclare()
	awaitMatching(t, pub, false)
	own, err := c1.DeclareSubscriber("m/a", FifoChannel(4))
	if err != nil {
		t.Fatal(err)
	}
	defer own.Undeclare()
	awaitMatching(t, pub, true)
	_ = pub.Undeclare()
	if _, err := pub.Matching(context.Background()); err == nil {
		t.Fatal("Matching on an undeclared publisher succeeded")
	}
}
