package session

import (
	"bytes"
	"testing"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/vectors"
)

// vecBatch is one captured batch of ../shared/vectors.
type vecBatch = vectors.Batch

// loadVectorFiles groups the captured batches by file.
func loadVectorFiles(t *testing.T) map[string][]vecBatch {
	t.Helper()
	out := map[string][]vecBatch{}
	for _, b := range vectors.Load(t) {
		out[b.File] = append(out[b.File], b)
	}
	return out
}

// TestVectorsHandshakeAndRX replays every zenoh-pico capture: our Opener
// accepts the listener's answers, our Acceptor the connector's InitSyn,
// and an RX per direction accepts every Frame and reassembles every
// fragmented message, which then decodes as exactly one network message.
// The fragments are then rebuilt by TX and must match pico's bytes.
func TestVectorsHandshakeAndRX(t *testing.T) {
	for name, batches := range loadVectorFiles(t) {
		conns := map[string][]vecBatch{}
		var order []string
		for _, b := range batches {
			if _, ok := conns[b.Conn]; !ok {
				order = append(order, b.Conn)
			}
			conns[b.Conn] = append(conns[b.Conn], b)
		}
		for _, conn := range order {
			t.Run(name+conn, func(t *testing.T) { replayConn(t, conns[conn]) })
		}
	}
}

func decodeOne(t *testing.T, b vecBatch) *codec.TransportMessage {
	t.Helper()
	var m codec.TransportMessage
	if _, err := codec.DecodeTransport(b.Data, &m); err != nil {
		t.Fatalf("line %d: %v", b.Line, err)
	}
	return &m
}

func replayConn(t *testing.T, batches []vecBatch) {
	var cs, sc []vecBatch
	for _, b := range batches {
		if b.Dir == "C>S" {
			cs = append(cs, b)
		} else {
			sc = append(sc, b)
		}
	}
	if len(cs) == 0 || len(sc) == 0 {
		t.Skip("one-sided capture")
	}
	syn, err := ExpectInit(decodeOne(t, cs[0]))
	if err != nil {
		t.Fatal(err)
	}
	synCopy := *syn

	// Our acceptor answers the captured InitSyn.
	acfg := coreConfig(t, 2)
	acc, _ := NewAcceptor(acfg)
	ourAck, _, err := acc.HandleInitSyn(coreT0, coreRand(1), coreLink, &synCopy)
	if err != nil {
		t.Fatalf("acceptor: %v", err)
	}
	if ourAck.BatchSize != synCopy.BatchSize || ourAck.QoS || ourAck.Patch != min(1, synCopy.Patch) {
		t.Fatalf("acceptor agreed %+v", ourAck)
	}

	// Our opener, configured as the captured connector, takes the
	// listener's InitAck and OpenAck.
	ocfg := coreConfig(t, 1)
	ocfg.BatchSize, ocfg.QoS, ocfg.Patch = synCopy.BatchSize, synCopy.QoS, synCopy.Patch
	op, err := NewOpener(ocfg, coreLink)
	if err != nil {
		t.Fatal(err)
	}
	op.InitSyn()
	ack, err := ExpectInit(decodeOne(t, sc[0]))
	if err != nil {
		t.Fatal(err)
	}
	ackCopy := *ack
	if _, err := op.HandleInitAck(&ackCopy, coreRand(2)); err != nil {
		t.Fatalf("opener InitAck: %v", err)
	}
	if len(cs) < 2 || len(sc) < 2 {
		return // the handshake failed on pico's side (batch-size mismatch)
	}
	osyn, err := ExpectOpen(decodeOne(t, cs[1]))
	if err != nil {
		t.Fatal(err)
	}
	synSN := osyn.InitialSN
	oack, err := ExpectOpen(decodeOne(t, sc[1]))
	if err != nil {
		t.Fatal(err)
	}
	est, err := op.HandleOpenAck(oack)
	if err != nil {
		t.Fatalf("opener OpenAck: %v", err)
	}
	if want := min(synCopy.BatchSize, ackCopy.BatchSize); est.BatchSize != want || est.QoS || est.Patch != ackCopy.Patch {
		t.Fatalf("opener agreed %+v", est)
	}

	// Data, each direction through its own RX.
	toS := est
	toS.PeerInitialSN = synSN
	for _, dir := range []struct {
		name    string
		est     Established
		batches []vecBatch
	}{{"C>S", toS, cs[2:]}, {"S>C", est, sc[2:]}} {
		rx := newTestRX(t, dir.est, DefaultRXConfig())
		var br codec.BatchReader
		var tm codec.TransportMessage
		var nm codec.NetworkMessage
		var frags [][]byte // the current run of fragment batches
		for _, b := range dir.batches {
			br.Reset(b.Data)
			for br.Next(&tm) {
				switch tm.ID {
				case codec.MidFrame:
					ok, err := rx.Frame(&tm.Frame)
					if !ok || err != nil {
						t.Fatalf("%s line %d: Frame SN %d refused: %v", dir.name, b.Line, tm.Frame.SN, err)
					}
					for br.NextNetwork(&nm) {
					}
				case codec.MidFragment:
					frags = append(frags, b.Data)
					msg, _, err := rx.Fragment(&tm.Fragment)
					if err != nil {
						t.Fatalf("%s line %d: %v", dir.name, b.Line, err)
					}
					if msg == nil {
						continue
					}
					if n, err := codec.DecodeNetwork(msg, &nm); err != nil || n != len(msg) {
						t.Fatalf("%s line %d: reassembled %d bytes: n %d err %v", dir.name, b.Line, len(msg), n, err)
					}
					checkTXFragments(t, dir.est, msg, frags)
					frags = frags[:0]
				case codec.MidKeepAlive, codec.MidClose:
				default:
					t.Fatalf("%s line %d: transport id %#x", dir.name, b.Line, tm.ID)
				}
			}
			if br.Err() != nil {
				t.Fatalf("%s line %d: %v", dir.name, b.Line, br.Err())
			}
		}
		if s := rx.Stats(); s.Duplicates != 0 || s.FragmentsDropped != 0 || s.Oversized != 0 || s.Incomplete != 0 {
			t.Fatalf("%s: RX stats %+v", dir.name, s)
		}
	}
}

// checkTXFragments pushes msg through a TX set up as pico's sender was
// (its batch size, best effort as pico marks fragments, starting at the
// first fragment's SN) and compares the batches with pico's.
func checkTXFragments(t *testing.T, est Established, msg []byte, want [][]byte) {
	t.Helper()
	var m codec.TransportMessage
	codec.DecodeTransport(want[0], &m)
	sender := est
	sender.OwnInitialSN = m.Fragment.SN
	tx := newTestTX(t, sender, true, DefaultTXConfig())
	var nm codec.NetworkMessage
	codec.DecodeNetwork(msg, &nm)
	if err := tx.Push(&nm, m.Fragment.Reliable); err != nil {
		t.Fatal(err)
	}
	got := pullAll(tx)
	if len(got) != len(want) {
		t.Fatalf("TX made %d fragments, pico %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i][2:], want[i]) {
			t.Fatalf("fragment %d differs from pico's: %d vs %d bytes, start %x vs %x", i, len(got[i])-2, len(want[i]), got[i][2:min(len(got[i]), 10)], want[i][:min(len(want[i]), 8)])
		}
	}
	t.Logf("TX rebuilt pico's %d fragments of a %d-byte message byte for byte", len(got), len(msg))
}
