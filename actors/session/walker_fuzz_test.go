package session

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/vectors"
)

// walkerFuzzInput is the FuzzWalker input format: a session byte (bit 0
// QoS, bit 1 patch, bits 2..3 the SN resolution code, at most 2; bit 4
// ends a read after every batch), the peer's initial SN (4 bytes, little
// endian, masked), then batches, each behind a 2-byte little-endian
// length (the last one takes what is left); a zero length ends a read.
func walkerFuzzInput(session byte, initialSN uint32, batches ...[]byte) []byte {
	out := binary.LittleEndian.AppendUint32([]byte{session}, initialSN)
	for _, b := range batches {
		out = binary.LittleEndian.AppendUint16(out, uint16(len(b)))
		out = append(out, b...)
	}
	return out
}

// walkerFuzzSeeds are the seeds made here: what a TX sends (Frames of
// several channels and Fragments), a Close after data, data the walk
// must refuse.
func walkerFuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, session := range []byte{0x0b, 0x19} { // QoS and patch, 28-bit SNs; patch only, a read per batch
		est := coreEst(256, session&1 != 0, uint64(session>>1&1), 0, 1000)
		sender := coreMirror(est, coreZID(f, 9))
		tx, err := NewTX(sender, false, DefaultTXConfig())
		if err != nil {
			f.Fatal(err)
		}
		p := codec.PriorityData
		if est.QoS {
			p = codec.PriorityInteractiveHigh
		}
		for i, n := range []int{3, 600, 10, 300, 1} {
			m := corePush(n, codec.NewQoS(p, i%2 == 0, false))
			if err := tx.Push(m, i != 3); err != nil {
				f.Fatal(err)
			}
		}
		var batches [][]byte
		for b := tx.Pull(); b != nil; b = tx.Pull() {
			batches = append(batches, bytes.Clone(b))
			tx.Release(b)
		}
		seeds = append(seeds, walkerFuzzInput(session, 1000, batches...))
	}
	push := wPush("x")
	frame := func(sn uint32) []byte {
		return codec.AppendFrame(nil, &codec.Frame{Reliable: true, SN: sn, Priority: codec.PriorityData, Payload: push})
	}
	closeBatch := codec.AppendClose(nil, &codec.Close{Session: true, Reason: codec.CloseGeneric})
	seeds = append(seeds,
		walkerFuzzInput(0x08, 5, frame(5), nil, frame(5), frame(6), closeBatch),
		walkerFuzzInput(0x08, 5, codec.AppendKeepAlive(nil, &codec.KeepAlive{}), []byte{0x0c, 0, 0}),
		walkerFuzzInput(0x00, 0x7f, frame(0x7f), frame(0), frame(0x40)),
	)
	return seeds
}

// walkerVectorSeeds are the data phases of the zenoh-pico captures, one
// seed per connection and direction.
func walkerVectorSeeds(f *testing.F) [][]byte {
	if !vectors.Available() && os.Getenv("CI") != "true" {
		return nil
	}
	type dir struct{ conn, dir string }
	byDir := map[dir][][]byte{}
	var order []dir
	for _, b := range vectors.Load(f) {
		k := dir{b.File + b.Conn, b.Dir}
		if _, ok := byDir[k]; !ok {
			order = append(order, k)
		}
		byDir[k] = append(byDir[k], b.Data)
	}
	var seeds [][]byte
	for _, k := range order {
		bs := byDir[k]
		if len(bs) < 3 {
			continue
		}
		// The second batch is this direction's OpenSyn or OpenAck: its
		// initial SN is where the data starts. pico agrees patch 1
		// without QoS.
		var m codec.TransportMessage
		if _, err := codec.DecodeTransport(bs[1], &m); err != nil || m.ID != codec.MidOpen {
			continue
		}
		// Small seeds only: the fuzzer minimizes every new input it
		// finds, and minimizing one grown from a 64 KiB batch stalls it
		// for its whole minimization budget.
		var data [][]byte
		size := 0
		for _, b := range bs[2:] {
			if size += 2 + len(b); size > maxWalkerSeed {
				break
			}
			data = append(data, b)
		}
		if len(data) > 0 {
			seeds = append(seeds, walkerFuzzInput(0x0a, m.Open.InitialSN, data...))
		}
	}
	return seeds
}

// maxWalkerSeed bounds the batches of a seed taken from the captures.
const maxWalkerSeed = 4096

// FuzzWalker walks arbitrary batches through a Walker, as a link's
// reader would: nothing may panic, a walk ends only with a *CloseError or
// a *PeerClosedError, every message handed over re-encodes and decodes
// back equal, and reassembly memory stays within its caps.
func FuzzWalker(f *testing.F) {
	for _, s := range walkerFuzzSeeds(f) {
		f.Add(s)
	}
	for _, s := range walkerVectorSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 5 {
			return
		}
		session := data[0]
		code := min(session>>2&3, 2)
		est := coreEst(65535, session&1 != 0, uint64(session>>1&1), 0, 0)
		est.Resolution = codec.Resolution(code | 2<<2)
		est.SNMask = codec.SNMask(code)
		est.PeerInitialSN = binary.LittleEndian.Uint32(data[1:5]) & est.SNMask
		h := &fuzzHandler{t: t}
		w, err := NewWalker(est, RXConfig{MaxMessage: fuzzMaxMessage, MaxBuffered: fuzzMaxBuffered}, h, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			w.Close()
			if n := w.rx.Buffered(); n != 0 {
				t.Fatalf("%d bytes held after Close", n)
			}
		}()
		perBatch := session&0x10 != 0
		data = data[5:]
		for len(data) >= 2 {
			n := min(int(binary.LittleEndian.Uint16(data)), len(data)-2)
			b := data[2 : 2+n]
			data = data[2+n:]
			err := w.Batch(b)
			if err == nil && (n == 0 || perBatch) {
				err = w.EndRead()
			}
			if err != nil {
				checkWalkErr(t, err)
				return // the reader stops
			}
			if held := w.rx.Buffered(); held > fuzzMaxBuffered {
				t.Fatalf("reassembly holds %d bytes, cap %d", held, fuzzMaxBuffered)
			}
		}
		if err := w.EndRead(); err != nil {
			checkWalkErr(t, err)
		}
	})
}

// checkWalkErr requires an error that closes the session with a reason
// (ours, or the peer's Close).
func checkWalkErr(t *testing.T, err error) {
	t.Helper()
	var ce *CloseError
	var pc *PeerClosedError
	switch {
	case errors.As(err, &ce):
		if ce.Reason != codec.CloseInvalid {
			t.Fatalf("walk closed with reason %d: %v", ce.Reason, err)
		}
	case errors.As(err, &pc):
	default:
		t.Fatalf("walk ended with %v (%T): no Close reason", err, err)
	}
}

// fuzzHandler checks that what it is handed encodes and decodes back to
// the same value, and that the encoding is stable.
type fuzzHandler struct {
	t   *testing.T
	buf []byte
	m   codec.NetworkMessage
}

func (h *fuzzHandler) Handle(m *codec.NetworkMessage, reliable bool) error {
	h.buf = codec.AppendNetwork(h.buf[:0], m)
	n, err := codec.DecodeNetwork(h.buf, &h.m)
	if err != nil || n != len(h.buf) {
		h.t.Fatalf("handed %#x does not decode back: n %d of %d, %v", m.ID, n, len(h.buf), err)
	}
	if h.m.ID != m.ID || !reflect.DeepEqual(netValue(&h.m), netValue(m)) {
		h.t.Fatalf("message %#x differs after re-encoding\n %#v\n %#v", m.ID, netValue(m), netValue(&h.m))
	}
	if again := codec.AppendNetwork(nil, &h.m); !bytes.Equal(again, h.buf) {
		h.t.Fatalf("encoding not stable\n %x\n %x", h.buf, again)
	}
	return nil
}

func (h *fuzzHandler) EndRead() error { return nil }

// netValue is the field of m that its ID names (the decoder resets only
// that one).
func netValue(m *codec.NetworkMessage) any {
	switch m.ID {
	case codec.MidPush:
		return m.Push
	case codec.MidRequest:
		return m.Request
	case codec.MidResponse:
		return m.Response
	case codec.MidResponseFinal:
		return m.ResponseFinal
	case codec.MidInterest:
		return m.Interest
	case codec.MidDeclare:
		return m.Declare
	case codec.MidOAM:
		return m.OAM
	}
	return nil
}
