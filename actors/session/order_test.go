package session

import (
	"bytes"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// TestDataInTheReadOfTheHandshake: a peer writes its OpenSyn and its first
// Frame in one TCP write. The Frame is delivered, and after Opened: the
// handler never sees a Received of a session it does not know yet.
func TestDataInTheReadOfTheHandshake(t *testing.T) {
	sys := newSystem(t)
	n := startNode(t, sys, codec.Router, []string{"tcp/127.0.0.1:0"}, nil, nil)
	addr := n.listening(t, sys, 1)[0].Addr
	for round := range 20 {
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
		push := codec.AppendNetwork(nil, &codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{
			WireExpr: codec.WireExpr{Suffix: []byte("first/read")}, QoS: codec.DefaultQoS,
			Body: codec.Data{Kind: codec.MidPut, Payload: []byte{byte(round)}}}})
		var w []byte
		for _, enc := range []func([]byte) []byte{
			func(b []byte) []byte {
				return codec.AppendOpen(b, &codec.Open{Lease: 10 * time.Second, Cookie: cookie})
			},
			func(b []byte) []byte {
				return codec.AppendFrame(b, &codec.Frame{Reliable: true, SN: 0, Priority: codec.PriorityData, Payload: push})
			},
		} {
			start := len(w)
			w = enc(append(w, 0, 0))
			l := len(w) - start - 2
			w[start], w[start+1] = byte(l), byte(l>>8)
		}
		if _, err := p.conn.Write(w); err != nil {
			t.Fatal(err)
		}
		opened := false
		for !opened {
			switch m := wait[any](t, n.events, 5*time.Second, nil).(type) {
			case *Opened:
				opened = m.ZID == p.zid
			case *receivedCopy:
				if m.zid == p.zid {
					t.Fatalf("round %d: Received before Opened", round)
				}
			}
		}
		r := wait(t, n.events, 5*time.Second, func(r *receivedCopy) bool { return r.zid == p.zid })
		if len(r.frames) != 1 || !bytes.Equal(r.frames[0], push) {
			t.Fatalf("round %d: got frames %x, want the Push %x", round, r.frames, push)
		}
		p.conn.Close()
		wait(t, n.events, 5*time.Second, func(c *Closed) bool { return c.ZID == p.zid })
	}
}

// TestDataBeforeCloseInOneRead: a peer that writes a Frame and its Close
// in one write has its Frame delivered before the session ends.
func TestDataBeforeCloseInOneRead(t *testing.T) {
	sys := newSystem(t)
	n := startNode(t, sys, codec.Router, []string{"tcp/127.0.0.1:0"}, nil, nil)
	addr := n.listening(t, sys, 1)[0].Addr
	p := dialRaw(t, addr)
	p.handshake(10 * time.Second)
	wait(t, n.events, 5*time.Second, func(o *Opened) bool { return o.ZID == p.zid })
	push := codec.AppendNetwork(nil, &codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{
		WireExpr: codec.WireExpr{Suffix: []byte("last/words")}, QoS: codec.DefaultQoS,
		Body: codec.Data{Kind: codec.MidPut, Payload: []byte("bye")}}})
	var w []byte
	for _, enc := range []func([]byte) []byte{
		func(b []byte) []byte {
			return codec.AppendFrame(b, &codec.Frame{Reliable: true, SN: 0, Priority: codec.PriorityData, Payload: push})
		},
		func(b []byte) []byte {
			return codec.AppendClose(b, &codec.Close{Session: true, Reason: codec.CloseGeneric})
		},
	} {
		start := len(w)
		w = enc(append(w, 0, 0))
		l := len(w) - start - 2
		w[start], w[start+1] = byte(l), byte(l>>8)
	}
	if _, err := p.conn.Write(w); err != nil {
		t.Fatal(err)
	}
	r := wait(t, n.events, 5*time.Second, func(r *receivedCopy) bool { return r.zid == p.zid })
	if len(r.frames) != 1 || !bytes.Equal(r.frames[0], push) {
		t.Fatalf("got frames %x, want the Push", r.frames)
	}
	wait(t, n.events, 5*time.Second, func(c *Closed) bool { return c.ZID == p.zid })
}
