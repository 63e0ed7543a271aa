package session

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/actortest"
)

// The Walker's tests feed it batches built with the codec (or by a TX
// playing the peer) as a link's reader would, and look at what reaches
// its Handler.

// got is one message a recorder was handed.
type got struct {
	payload  string
	reliable bool
}

// recorder is a Handler that records what it is handed. failAt (from 1)
// makes the failAt-th Handle return err; endErr is EndRead's result.
type recorder struct {
	msgs    []got
	reads   int
	failAt  int
	err     error
	endErr  error
	w       *Walker // when set, Handle records whether LastRead says reading
	reading []bool
}

func (r *recorder) Handle(m *codec.NetworkMessage, reliable bool) error {
	if r.w != nil {
		_, reading := r.w.LastRead()
		r.reading = append(r.reading, reading)
	}
	r.msgs = append(r.msgs, got{payload: string(m.Push.Body.Payload), reliable: reliable})
	if len(r.msgs) == r.failAt {
		return r.err
	}
	return nil
}

func (r *recorder) EndRead() error {
	r.reads++
	return r.endErr
}

func (r *recorder) payloads() []string {
	var out []string
	for _, m := range r.msgs {
		out = append(out, m.payload)
	}
	return out
}

// walkerEst is the session the walker's tests receive on: the peer's
// first SN is 100.
func walkerEst(qos bool) Established { return coreEst(65535, qos, 1, 0, 100) }

func newTestWalker(t *testing.T, est Established, cfg RXConfig, h Handler, logger *slog.Logger) *Walker {
	t.Helper()
	w, err := NewWalker(est, cfg, h, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// wPush encodes a Push carrying payload.
func wPush(payload string) []byte {
	return codec.AppendNetwork(nil, &codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{
		WireExpr: codec.WireExpr{Suffix: []byte("w")}, QoS: codec.DefaultQoS,
		Body: codec.Data{Kind: codec.MidPut, Payload: []byte(payload)}}})
}

// wFrame appends a Frame of channel (p, reliable) with SN sn carrying a
// Push per payload.
func wFrame(p codec.Priority, reliable bool, sn uint32, payloads ...string) func([]byte) []byte {
	return func(b []byte) []byte {
		var body []byte
		for _, s := range payloads {
			body = append(body, wPush(s)...)
		}
		return codec.AppendFrame(b, &codec.Frame{Reliable: reliable, SN: sn, Priority: p, Payload: body})
	}
}

// rFrame is a reliable Frame of priority Data.
func rFrame(sn uint32, payloads ...string) func([]byte) []byte {
	return wFrame(codec.PriorityData, true, sn, payloads...)
}

func wTransport(m codec.TransportMessage) func([]byte) []byte {
	return func(b []byte) []byte { return codec.AppendTransport(b, &m) }
}

// batch builds one batch of the transport messages encs append.
func batch(encs ...func([]byte) []byte) []byte {
	var b []byte
	for _, enc := range encs {
		b = enc(b)
	}
	return b
}

// TestWalkerFrames: Frames pass the SN window of their channel (spec
// 6.3); the Pushes of an accepted Frame reach the handler in order,
// tagged with its reliability; duplicates and old SNs are dropped.
func TestWalkerFrames(t *testing.T) {
	rt := codec.PriorityRealTime
	data := codec.PriorityData
	for _, tc := range []struct {
		name    string
		qos     bool
		batches [][]byte
		want    []got
		stats   Stats
	}{
		{"in order", false, [][]byte{batch(rFrame(100, "a", "b")), batch(rFrame(101, "c"))},
			[]got{{"a", true}, {"b", true}, {"c", true}}, Stats{Frames: 2}},
		{"duplicates and old dropped", false,
			[][]byte{batch(rFrame(100, "a")), batch(rFrame(100, "dup")), batch(rFrame(99, "old")), batch(rFrame(101, "b"))},
			[]got{{"a", true}, {"b", true}}, Stats{Frames: 2, Duplicates: 2}},
		{"gaps accepted", false, [][]byte{batch(rFrame(100, "a")), batch(rFrame(105, "b"))},
			[]got{{"a", true}, {"b", true}}, Stats{Frames: 2, Lost: 4}},
		{"reliable and best effort apart", false, [][]byte{
			batch(rFrame(100, "a")), batch(wFrame(data, false, 100, "b")),
			batch(rFrame(101, "c")), batch(wFrame(data, false, 100, "dup"))},
			[]got{{"a", true}, {"b", false}, {"c", true}}, Stats{Frames: 3, Duplicates: 1}},
		{"priorities apart", true, [][]byte{
			batch(rFrame(100, "a")), batch(wFrame(rt, true, 100, "rt")), batch(wFrame(rt, true, 100, "dup"))},
			[]got{{"a", true}, {"rt", true}}, Stats{Frames: 2, Duplicates: 1}},
		{"two Frames in a batch", false, [][]byte{batch(rFrame(100, "a", "b"), wFrame(data, false, 100, "c"))},
			[]got{{"a", true}, {"b", true}, {"c", false}}, Stats{Frames: 2}},
		{"a dropped Frame's messages skipped", false, [][]byte{batch(rFrame(100, "a"), rFrame(100, "dup"), rFrame(101, "b"))},
			[]got{{"a", true}, {"b", true}}, Stats{Frames: 2, Duplicates: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{}
			w := newTestWalker(t, walkerEst(tc.qos), DefaultRXConfig(), r, nil)
			for i, b := range tc.batches {
				if err := w.Batch(b); err != nil {
					t.Fatalf("batch %d: %v", i, err)
				}
			}
			if err := w.EndRead(); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(r.msgs) != fmt.Sprint(tc.want) {
				t.Fatalf("handled %v, want %v", r.msgs, tc.want)
			}
			if s := w.Stats(); s != tc.stats {
				t.Fatalf("stats %+v, want %+v", s, tc.stats)
			}
		})
	}
}

// txBatches pushes msgs (payload, reliable) through a TX playing the
// peer of a walker on est, with batches of size bytes, and returns the
// batches it sends (datagram style: no length prefix).
func txBatches(t *testing.T, est Established, size uint16, msgs []got) [][]byte {
	t.Helper()
	sender := coreMirror(est, coreZID(t, 9))
	sender.BatchSize = size
	tx := newTestTX(t, sender, false, DefaultTXConfig())
	for _, m := range msgs {
		var nm codec.NetworkMessage
		if _, err := codec.DecodeNetwork(wPush(m.payload), &nm); err != nil {
			t.Fatal(err)
		}
		if err := tx.Push(&nm, m.reliable); err != nil {
			t.Fatal(err)
		}
	}
	var out [][]byte
	for b := tx.Pull(); b != nil; b = tx.Pull() {
		out = append(out, bytes.Clone(b))
		tx.Release(b)
	}
	return out
}

// TestWalkerFragments: a message larger than a batch, sent by a TX as
// Fragments, is reassembled and handed over in its place between the
// messages of the Frames around it, whether the batches come in one read
// or in a read each.
func TestWalkerFragments(t *testing.T) {
	big1 := strings.Repeat("1", 1000)
	big2 := strings.Repeat("2", 700)
	msgs := []got{{"a", true}, {big1, true}, {"b", true}, {big2, false}, {"c", true}, {"d", false}}
	for _, tc := range []struct {
		name    string
		perRead int // batches per read
	}{
		{"one read", 1 << 10},
		{"a read each", 1},
		{"two per read", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			est := walkerEst(true)
			batches := txBatches(t, est, 256, msgs)
			if len(batches) < 8 {
				t.Fatalf("only %d batches: the big ones were not fragmented", len(batches))
			}
			r := &recorder{}
			w := newTestWalker(t, est, DefaultRXConfig(), r, nil)
			for i, b := range batches {
				if err := w.Batch(b); err != nil {
					t.Fatalf("batch %d: %v", i, err)
				}
				if (i+1)%tc.perRead == 0 || i == len(batches)-1 {
					if err := w.EndRead(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if fmt.Sprint(r.msgs) != fmt.Sprint(msgs) {
				t.Fatalf("handled %q, want %q", r.payloads(), []string{"a", "1...", "b", "2...", "c", "d"})
			}
			// Four Frames (a, b, c, d), the other batches one Fragment each.
			if s := w.Stats(); s.Frames != 4 || s.Messages != 2 || s.Fragments != uint64(len(batches)-4) ||
				s.Duplicates+s.Lost+s.Incomplete+s.FragmentsDropped != 0 {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

// TestWalkerDropsBadMessages: a reassembled message over the limit, or
// one that does not decode, is dropped and logged; the walk goes on.
func TestWalkerDropsBadMessages(t *testing.T) {
	est := walkerEst(false)
	frag := func(sn uint32, more, first bool, payload []byte) func([]byte) []byte {
		return wTransport(codec.TransportMessage{ID: codec.MidFragment, Fragment: codec.Fragment{
			Reliable: true, SN: sn, Priority: codec.PriorityData, More: more, First: first, Payload: payload}})
	}
	for _, tc := range []struct {
		name    string
		batches [][]byte
		log     string
		stats   func(Stats) bool
	}{
		{"oversized", txBatches(t, est, 256, []got{{strings.Repeat("x", 1000), true}, {"after", true}}),
			"over the reassembly limit", func(s Stats) bool { return s.Oversized == 1 }},
		{"undecodable", [][]byte{
			batch(frag(100, true, true, []byte{0xff, 0xff})), batch(frag(101, false, false, []byte{0xff})),
			batch(rFrame(102, "after"))},
			"undecodable", func(s Stats) bool { return s.Messages == 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs actortest.Buffer
			r := &recorder{}
			w := newTestWalker(t, est, RXConfig{MaxMessage: 500, MaxBuffered: 1000}, r,
				slog.New(slog.NewTextHandler(&logs, nil)))
			for i, b := range tc.batches {
				if err := w.Batch(b); err != nil {
					t.Fatalf("batch %d: %v", i, err)
				}
			}
			if err := w.EndRead(); err != nil {
				t.Fatal(err)
			}
			if p := r.payloads(); len(p) != 1 || p[0] != "after" {
				t.Fatalf("handled %d messages, want only \"after\"", len(p))
			}
			if !strings.Contains(logs.String(), tc.log) {
				t.Fatalf("log %q lacks %q", logs.String(), tc.log)
			}
			if s := w.Stats(); !tc.stats(s) {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

// TestWalkerTransportMessages: KeepAlive, Join and transport OAM mean
// nothing to the walk; a Close ends it with the peer's reason, after the
// messages before it; a handshake message or an undecodable one ends it
// with a CloseError(INVALID).
func TestWalkerTransportMessages(t *testing.T) {
	init := codec.TransportMessage{ID: codec.MidInit, Init: codec.Init{Version: codec.ProtoVersion,
		WhatAmI: codec.Client, ZID: coreZID(t, 7), Resolution: codec.DefaultResolution, BatchSize: 65535}}
	open := codec.TransportMessage{ID: codec.MidOpen, Open: codec.Open{Lease: time.Second, Cookie: []byte{1}}}
	join := codec.TransportMessage{ID: codec.MidJoin, Join: codec.Join{Version: codec.ProtoVersion,
		WhatAmI: codec.Peer, ZID: coreZID(t, 7), Resolution: codec.DefaultResolution,
		BatchSize: codec.DefaultJoinBatchSize, Lease: time.Second}}
	oam := codec.TransportMessage{ID: codec.MidTransportOAM, OAM: codec.TransportOAM{ID: 1, Enc: codec.OAMZ64, Value: 7}}
	keepAlive := codec.TransportMessage{ID: codec.MidKeepAlive}
	closeMsg := func(reason byte) codec.TransportMessage {
		return codec.TransportMessage{ID: codec.MidClose, Close: codec.Close{Session: true, Reason: reason}}
	}
	truncated := batch(rFrame(100, "a", "b"))
	truncated = truncated[:len(truncated)-1]

	peerClosed := func(reason byte) func(error) bool {
		return func(err error) bool {
			var pc *PeerClosedError
			return errors.As(err, &pc) && pc.Reason == reason && errors.Is(err, ErrClosedByPeer)
		}
	}
	invalid := func(cause error) func(error) bool {
		return func(err error) bool {
			var ce *CloseError
			return errors.As(err, &ce) && ce.Reason == codec.CloseInvalid && (cause == nil || errors.Is(err, cause))
		}
	}
	for _, tc := range []struct {
		name  string
		qos   bool
		batch []byte
		want  []string // handled
		err   func(error) bool
	}{
		{"KeepAlive", false, batch(wTransport(keepAlive)), nil, nil},
		{"Join", false, batch(wTransport(join)), nil, nil},
		{"transport OAM", false, batch(wTransport(oam)), nil, nil},
		{"KeepAlive and Frame", false, batch(wTransport(keepAlive), rFrame(100, "a")), []string{"a"}, nil},
		{"Close", false, batch(wTransport(closeMsg(codec.CloseExpired))), nil, peerClosed(codec.CloseExpired)},
		{"Frame then Close", false, batch(rFrame(100, "a", "b"), wTransport(closeMsg(codec.CloseGeneric)), rFrame(101, "c")),
			[]string{"a", "b"}, peerClosed(codec.CloseGeneric)},
		{"InitSyn", false, batch(wTransport(init)), nil, invalid(ErrUnexpectedMessage)},
		{"OpenSyn after a Frame", false, batch(rFrame(100, "a"), wTransport(open)), []string{"a"}, invalid(ErrUnexpectedMessage)},
		{"unknown transport id", false, []byte{0x0c, 0, 0}, nil, invalid(codec.ErrUnknownMessage)},
		{"truncated message", false, truncated, []string{"a"}, invalid(nil)},
		{"priority not negotiated", false, batch(wFrame(codec.PriorityRealTime, true, 100, "a")), nil, invalid(ErrPriority)},
		{"SN above the mask", true, batch(rFrame(0x1000_0000, "a")), nil, invalid(ErrSN)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{}
			w := newTestWalker(t, walkerEst(tc.qos), DefaultRXConfig(), r, nil)
			err := w.Batch(tc.batch)
			if tc.err == nil && err != nil || tc.err != nil && !tc.err(err) {
				t.Fatalf("Batch: %v (%T)", err, err)
			}
			if p := r.payloads(); strings.Join(p, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("handled %q, want %q", p, tc.want)
			}
		})
	}
}

// TestWalkerHandlerErrors: an error from the handler (Handle or EndRead)
// ends the walk at once; it becomes a CloseError(INVALID), except a
// *CloseError, which keeps its reason, and ErrCanceled (the session's own
// stop), which passes as it is.
func TestWalkerHandlerErrors(t *testing.T) {
	boom := errors.New("handler failed")
	unresponsive := &CloseError{Reason: codec.CloseUnresponsive, Err: ErrUnresponsive}
	canceled := fmt.Errorf("waiting for room: %w", ErrCanceled)
	check := map[string]func(error) bool{
		"plain": func(err error) bool {
			var ce *CloseError
			return errors.As(err, &ce) && ce.Reason == codec.CloseInvalid && errors.Is(err, boom)
		},
		"CloseError": func(err error) bool { return err == error(unresponsive) },
		"canceled": func(err error) bool {
			var ce *CloseError
			return errors.Is(err, ErrCanceled) && !errors.As(err, &ce)
		},
	}
	errs := map[string]error{"plain": boom, "CloseError": unresponsive, "canceled": canceled}
	est := walkerEst(false)
	fragmented := txBatches(t, est, 256, []got{{"a", true}, {strings.Repeat("f", 600), true}, {"b", true}})
	for _, kind := range []string{"plain", "CloseError", "canceled"} {
		for _, tc := range []struct {
			name    string
			batches [][]byte
			failAt  int
			endRead bool
			handled int
		}{
			{"Handle in a Frame", [][]byte{batch(rFrame(100, "a", "b", "c"))}, 2, false, 2},
			{"Handle of a reassembled message", fragmented, 2, false, 2},
			{"EndRead", [][]byte{batch(rFrame(100, "a"))}, 0, true, 1},
		} {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				r := &recorder{failAt: tc.failAt, err: errs[kind]}
				if tc.endRead {
					r.endErr = errs[kind]
				}
				w := newTestWalker(t, est, DefaultRXConfig(), r, nil)
				var err error
				for _, b := range tc.batches {
					if err = w.Batch(b); err != nil {
						break
					}
				}
				if err == nil {
					err = w.EndRead()
				}
				if !check[kind](err) {
					t.Fatalf("walk ended with %v (%T)", err, err)
				}
				if len(r.msgs) != tc.handled {
					t.Fatalf("handled %d messages, want %d", len(r.msgs), tc.handled)
				}
			})
		}
	}
}

// TestWalkerLastRead: a read is timed from its first batch, and until its
// EndRead the walker says it is reading (a handler waiting for room
// elsewhere does not make the peer silent); counters are published at
// EndRead.
func TestWalkerLastRead(t *testing.T) {
	clk := &fakeClock{t: coreT0}
	r := &recorder{}
	w := newTestWalker(t, walkerEst(false), DefaultRXConfig(), r, nil)
	w.now = clk.now
	r.w = w
	last := func(want time.Time, reading bool) {
		t.Helper()
		if at, rd := w.LastRead(); !at.Equal(want) || rd != reading {
			t.Fatalf("LastRead %v %v, want %v %v", at, rd, want, reading)
		}
	}
	start := clk.add(time.Second)
	if err := w.Batch(batch(rFrame(100, "a"))); err != nil {
		t.Fatal(err)
	}
	last(start, true)
	clk.add(time.Second) // later batches of the read do not move it
	if err := w.Batch(batch(wTransport(codec.TransportMessage{ID: codec.MidKeepAlive}))); err != nil {
		t.Fatal(err)
	}
	last(start, true)
	if s := w.Stats(); s.Frames != 0 {
		t.Fatalf("counters published before EndRead: %+v", s)
	}
	end := clk.add(time.Second)
	if err := w.EndRead(); err != nil {
		t.Fatal(err)
	}
	last(end, false)
	if s := w.Stats(); s.Frames != 1 || r.reads != 1 {
		t.Fatalf("after EndRead: stats %+v, %d reads", s, r.reads)
	}
	if len(r.reading) != 1 || !r.reading[0] {
		t.Fatalf("Handle saw reading %v", r.reading)
	}
}

// TestWalkerSetHandler: a walker made without a handler, or given a nil
// one, discards; SetHandler takes effect with the next message.
func TestWalkerSetHandler(t *testing.T) {
	w := newTestWalker(t, walkerEst(false), DefaultRXConfig(), nil, nil)
	if err := w.Batch(batch(rFrame(100, "dropped"))); err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	w.SetHandler(r)
	if err := w.Batch(batch(rFrame(101, "kept"))); err != nil {
		t.Fatal(err)
	}
	w.SetHandler(nil)
	if err := w.Batch(batch(rFrame(102, "dropped"))); err != nil {
		t.Fatal(err)
	}
	if err := w.EndRead(); err != nil {
		t.Fatal(err)
	}
	if p := r.payloads(); len(p) != 1 || p[0] != "kept" || r.reads != 0 {
		t.Fatalf("handled %q, %d reads", p, r.reads)
	}
	if s := w.Stats(); s.Frames != 3 {
		t.Fatalf("stats %+v", s)
	}
}
