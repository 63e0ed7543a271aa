package zenoh

import (
	"context"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/keyexpr"
)

// Matching reports whether subscribers exist that a Put of the publisher
// would reach: the session's own, or any its node knows of (behind its
// router for a client, on its peers, or anywhere in the mesh for a
// router). It asks the node's routing tables, so the answer is as
// current as the declarations that reached them.
func (p *Publisher) Matching(ctx context.Context) (bool, error) {
	if p.undeclared.Load() {
		return false, ErrUndeclared
	}
	s := p.s
	if s.isClosed() {
		return false, ErrClosed
	}
	q := &matchQuery{id: s.nextEntity.Add(1), key: p.key, reply: make(chan bool, 1)}
	s.sys.Root.Send(s.disp, q)
	select {
	case ok, open := <-q.reply:
		if !open {
			return false, ErrClosed
		}
		return ok, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// matchQuery asks the dispatcher for a publisher's matching status.
type matchQuery struct {
	id    uint32 // interest id
	key   string
	reply chan bool // buffered; closed if the session stops first
	found bool
}

// matchingMsg handles a matchQuery: the session's own subscribers
// answer at once; otherwise a Current interest in the subscribers on the
// key asks the node's tables, whose answer ends with DeclareFinal.
func (d *dispatcher) matchingMsg(msg any) bool {
	q, ok := msg.(*matchQuery)
	if !ok {
		return false
	}
	d.s.mu.Lock()
	own := false
	for _, sub := range d.s.subs {
		own = own || keyexpr.Intersects(sub.key, q.key)
	}
	d.s.mu.Unlock()
	if own {
		q.reply <- true
		return true
	}
	if d.matches == nil {
		d.matches = map[uint32]*matchQuery{}
	}
	d.matches[q.id] = q
	d.s.send(codec.NetworkMessage{ID: codec.MidInterest, Interest: codec.Interest{ID: q.id,
		Mode: codec.InterestCurrent, Options: codec.InterestSubscribers, Restricted: true,
		WireExpr: wire(q.key), QoS: codec.DefaultQoS}})
	return true
}

// matchingDeclare takes the answers to pending matchQuery interests.
func (d *dispatcher) matchingDeclare(m *codec.Declare) {
	if !m.HasInterestID || d.matches[m.InterestID] == nil {
		return
	}
	q := d.matches[m.InterestID]
	switch m.Body.Kind {
	case codec.DeclSubscriber:
		q.found = true
	case codec.DeclFinal:
		delete(d.matches, q.id)
		q.reply <- q.found
	}
}

// stopMatching answers the pending queries when the dispatcher stops.
func (d *dispatcher) stopMatching() {
	for id, q := range d.matches {
		delete(d.matches, id)
		close(q.reply)
	}
}
