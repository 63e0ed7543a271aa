package session

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/codec"
)

// streamBatches encodes each transport message as a stream batch (length
// prefix, then the message), back to back: what one TCP write carries.
func streamBatches(encs ...func([]byte) []byte) []byte {
	var w []byte
	for _, enc := range encs {
		start := len(w)
		w = enc(append(w, 0, 0))
		l := len(w) - start - 2
		w[start], w[start+1] = byte(l), byte(l>>8)
	}
	return w
}

// orderPush is an encoded Push on key with payload p.
func orderPush(key string, p []byte) []byte {
	return codec.AppendNetwork(nil, &codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{
		WireExpr: codec.WireExpr{Suffix: []byte(key)}, QoS: codec.DefaultQoS,
		Body: codec.Data{Kind: codec.MidPut, Payload: p}}})
}

// frameWith encodes a reliable Frame of priority Data holding msgs.
func frameWith(sn uint32, msgs ...[]byte) func([]byte) []byte {
	return func(b []byte) []byte {
		return codec.AppendFrame(b, &codec.Frame{Reliable: true, SN: sn, Priority: codec.PriorityData,
			Payload: bytes.Join(msgs, nil)})
	}
}

// TestDataInTheReadOfTheHandshake: a peer writes its OpenSyn and its
// first two Frames in one TCP write, and a third Frame in a later write.
// The session reports Opened before any of them reaches a handler, holds
// them (and its reader) until it is admitted, then hands all three to the
// Handler of the Admit, in order. With "admitted later" the test admits
// the session itself once the third Frame is on the wire; with "admitted
// at once" the probe does.
func TestDataInTheReadOfTheHandshake(t *testing.T) {
	for _, tc := range []struct {
		name string
		hold bool
	}{
		{"admitted at once", false},
		{"admitted later", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sys := newSystem(t)
			p := newProbeWith(t, sys, probeOptions{hold: tc.hold})
			n := startNodeWith(t, sys, codec.Router, []string{"tcp/127.0.0.1:0"}, nil, p, nil)
			addr := n.listening(t, sys, 1)[0].Addr
			for round := range 10 {
				dataInTheReadOfTheHandshake(t, sys, n, addr, round, tc.hold)
			}
		})
	}
}

func dataInTheReadOfTheHandshake(t *testing.T, sys *actor.ActorSystem, n *node, addr string, round int, hold bool) {
	t.Helper()
	p := dialRaw(t, addr)
	p.send(func(b []byte) []byte {
		return codec.AppendInit(b, &codec.Init{Version: codec.ProtoVersion, WhatAmI: codec.Client, ZID: p.zid,
			Resolution: codec.DefaultResolution, BatchSize: 65535, Patch: 1})
	})
	m, err := p.recv(5 * time.Second)
	if err != nil || m.ID != codec.MidInit || !m.Init.Ack {
		t.Fatalf("InitAck: %v %+v", err, m)
	}
	cookie := bytes.Clone(m.Init.Cookie)
	var want [][]byte
	for i := range 3 {
		want = append(want, []byte(fmt.Sprintf("round %d message %d", round, i)))
	}
	first := streamBatches(
		func(b []byte) []byte {
			return codec.AppendOpen(b, &codec.Open{Lease: 10 * time.Second, Cookie: cookie})
		},
		frameWith(0, orderPush("first/read", want[0])),
		frameWith(1, orderPush("first/read", want[1])),
	)
	if _, err := p.conn.Write(first); err != nil {
		t.Fatal(err)
	}
	var opened *Opened
	for opened == nil {
		switch m := wait[any](t, n.events, 5*time.Second, nil).(type) {
		case *Opened:
			if m.ZID == p.zid {
				opened = m
			}
		case *msgCopy:
			if m.zid == p.zid {
				t.Fatalf("round %d: a message before Opened", round)
			}
		}
	}
	later := streamBatches(frameWith(2, orderPush("later/read", want[2])))
	if _, err := p.conn.Write(later); err != nil {
		t.Fatal(err)
	}
	if hold {
		// Nothing may have been handed over yet: no handler exists.
		select {
		case m := <-n.events.ch:
			t.Fatalf("round %d: %T before the session was admitted", round, m)
		default:
		}
		sys.Root.Send(opened.Session, &Admit{Handler: newCollector(opened, n.events.ch)})
	}
	for i, w := range want {
		r := wait(t, n.events, 5*time.Second, func(r *msgCopy) bool { return r.zid == p.zid })
		if !bytes.Equal(r.m.Push.Body.Payload, w) || !r.reliable {
			t.Fatalf("round %d: message %d is %q (reliable %v), want %q", round, i, r.m.Push.Body.Payload, r.reliable, w)
		}
	}
	p.conn.Close()
	wait(t, n.events, 5*time.Second, func(c *Closed) bool { return c.ZID == p.zid })
}

// TestDataBeforeCloseInOneRead: a peer that writes a Frame and its Close
// in one write (in two batches, or in one) has its Frame delivered
// before the session ends with the peer's reason.
func TestDataBeforeCloseInOneRead(t *testing.T) {
	closeMsg := func(b []byte) []byte {
		return codec.AppendClose(b, &codec.Close{Session: true, Reason: codec.CloseGeneric})
	}
	push := orderPush("last/words", []byte("bye"))
	for _, tc := range []struct {
		name  string
		write []byte
	}{
		{"two batches", streamBatches(frameWith(0, push), closeMsg)},
		{"one batch", streamBatches(func(b []byte) []byte { return closeMsg(frameWith(0, push)(b)) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sys := newSystem(t)
			n := startNode(t, sys, codec.Router, []string{"tcp/127.0.0.1:0"}, nil, nil)
			addr := n.listening(t, sys, 1)[0].Addr
			p := dialRaw(t, addr)
			p.handshake(10 * time.Second)
			wait(t, n.events, 5*time.Second, func(o *Opened) bool { return o.ZID == p.zid })
			if _, err := p.conn.Write(tc.write); err != nil {
				t.Fatal(err)
			}
			r := wait(t, n.events, 5*time.Second, func(r *msgCopy) bool { return r.zid == p.zid })
			if string(r.m.Push.Body.Payload) != "bye" {
				t.Fatalf("got %q, want the Push", r.m.Push.Body.Payload)
			}
			c := wait(t, n.events, 5*time.Second, func(c *Closed) bool { return c.ZID == p.zid })
			var pc *PeerClosedError
			if !errors.As(c.Reason, &pc) || pc.Reason != codec.CloseGeneric {
				t.Fatalf("closed with %v", c.Reason)
			}
		})
	}
}
