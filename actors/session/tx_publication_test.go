package session

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/gozenoh/zenoh/codec"
)

// TestPushPublicationSameBatches: PushPublication, which encodes straight
// into the open batch, produces the very batches Push does, whatever the
// sizes, priorities, reliabilities and extensions.
func TestPushPublicationSameBatches(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for _, batch := range []uint16{2048, 65535} {
		est := coreEst(batch, true, 1, 0, 0)
		a := newTestTX(t, est, true, DefaultTXConfig())
		b := newTestTX(t, est, true, DefaultTXConfig())
		for i := range 5000 {
			n := []int{0, 8, 100, 1000, 3000, 70000}[r.IntN(6)]
			qos := codec.NewQoS(codec.Priority(r.IntN(8)), r.IntN(2) == 0, r.IntN(10) == 0)
			p := coreRandomMessage(r, n, qos).Push
			if r.IntN(5) == 0 {
				p.Body.Attachment = []byte("att")
			}
			if r.IntN(7) == 0 {
				p.Exts = []codec.Extension{{Key: 0x2f, Value: 42}}
			}
			rel := r.IntN(3) != 0
			ea := a.Push(&codec.NetworkMessage{ID: codec.MidPush, Push: p}, rel)
			eb := b.PushPublication(&p, rel)
			if (ea == nil) != (eb == nil) {
				t.Fatalf("batch %d message %d: Push %v, PushPublication %v", batch, i, ea, eb)
			}
			if r.IntN(4) == 0 || ea != nil {
				pullSame(t, a, b, batch, i)
			}
		}
	}
}

// TestPushForwardSameBatches: PushForward encodes what a router forwards
// (another WireExpr and NodeId, no network timestamp nor unknown
// extensions) into the very batches Push makes of that Push.
func TestPushForwardSameBatches(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for _, batch := range []uint16{2048, 65535} {
		est := coreEst(batch, true, 1, 0, 0)
		a := newTestTX(t, est, true, DefaultTXConfig())
		b := newTestTX(t, est, true, DefaultTXConfig())
		for i := range 5000 {
			n := []int{0, 8, 100, 1000, 3000, 70000}[r.IntN(6)]
			qos := codec.NewQoS(codec.Priority(r.IntN(8)), r.IntN(2) == 0, r.IntN(10) == 0)
			p := coreRandomMessage(r, n, qos).Push
			if r.IntN(7) == 0 {
				p.Exts = []codec.Extension{{Key: 0x2f, Value: 42}}
			}
			we := codec.WireExpr{Suffix: []byte("forwarded/key"), Mapping: true}
			node := uint16(r.IntN(3))
			fwd := codec.Push{WireExpr: we, QoS: p.QoS, NodeID: node, Body: p.Body}
			rel := r.IntN(3) != 0
			ea := a.Push(&codec.NetworkMessage{ID: codec.MidPush, Push: fwd}, rel)
			eb := b.PushForward(&p, &we, node, rel)
			if (ea == nil) != (eb == nil) {
				t.Fatalf("batch %d message %d: Push %v, PushForward %v", batch, i, ea, eb)
			}
			if r.IntN(4) == 0 || ea != nil {
				pullSame(t, a, b, batch, i)
			}
		}
	}
}

// pullSame pulls a and b until both are empty, failing unless they give
// the same batches.
func pullSame(t *testing.T, a, b *TX, batch uint16, i int) {
	t.Helper()
	for {
		ba, bb := a.Pull(), b.Pull()
		if !bytes.Equal(ba, bb) {
			t.Fatalf("batch %d message %d: batches differ:\n%x\n%x", batch, i, ba, bb)
		}
		if ba == nil {
			return
		}
		a.Release(ba)
		b.Release(bb)
	}
}
