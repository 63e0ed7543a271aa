package session

import (
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/codec"
)

// Handler takes the network messages a session receives in its data
// phase. The link's reader goroutine calls it (the session actor does for
// the batches that came in the read that ended the handshake), never two
// calls at once.
type Handler interface {
	// Handle takes one network message, decoded in place: m and every
	// slice in it alias the read buffer and are valid only during the
	// call. reliable says the channel it came on. An error closes the
	// session with Close(INVALID), or with the reason of a *CloseError.
	Handle(m *codec.NetworkMessage, reliable bool) error
	// EndRead is called after the messages of one read of the link.
	EndRead() error
}

// WalkerHandler is a Handler that wants the session's Walker (given when
// the handler is set): during Handle, Walker.Keep tells whether it may
// keep the message's bytes, and Walker.Framed whether they stay valid
// until the end of the batch. Its EndBatch is called after the messages
// of each batch: what it held of the batch without keeping must be done
// with by then.
type WalkerHandler interface {
	Handler
	SetWalker(w *Walker)
	EndBatch() error
}

// Discard is a Handler that drops everything.
type Discard struct{}

// Handle drops m.
func (Discard) Handle(*codec.NetworkMessage, bool) error { return nil }

// EndRead does nothing.
func (Discard) EndRead() error { return nil }

// Walker walks the batches a session receives in its data phase
// (spec/transport.md 6.3, 6.4): it decodes each batch once, applies the
// sequence-number window of each channel to Frames and Fragments,
// reassembles fragmented messages, and hands every accepted network
// message to its Handler in order, in place. KeepAlives only refresh the
// lease; a Close ends the walk with a *PeerClosedError; anything else a
// peer should not send is a *CloseError. It holds no goroutine and does
// no I/O: the link's reader calls Batch and EndRead (the link.Sink
// interface).
type Walker struct {
	rx     *RX
	h      Handler
	logger *slog.Logger
	peer   codec.ZenohID
	now    func() time.Time

	br codec.BatchReader
	tm codec.TransportMessage
	nm codec.NetworkMessage

	lastRX  atomic.Int64 // unix nanoseconds of the last read
	reading atomic.Bool  // inside a read: a handler may be waiting
	stats   atomic.Pointer[Stats]

	keeper   link.Keeper   // the link's reader, once switched to the walker
	keepable bool          // the message being handled lies in a link buffer
	wh       WalkerHandler // h, when it is one
}

// Framed reports whether the message being handled lies in a Frame of
// the current batch (valid until EndBatch), not in a reassembly buffer.
func (w *Walker) Framed() bool { return w.keepable }

// SetKeeper takes the link reader's Keeper (the link.KeeperSink
// interface).
func (w *Walker) SetKeeper(k link.Keeper) { w.keeper = k }

// Keep reports whether the handler may keep the bytes of the message it
// is handling (the link.Keeper interface, for the handler).
func (w *Walker) Keep() bool { return w.keepable && w.keeper != nil && w.keeper.Keep() }

// NewWalker returns the walker of a session established as est, handing
// messages to h. logger (may be nil) hears of dropped oversized messages.
func NewWalker(est Established, cfg RXConfig, h Handler, logger *slog.Logger) (*Walker, error) {
	rx, err := NewRX(est, cfg)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if h == nil {
		h = Discard{}
	}
	w := &Walker{rx: rx, h: h, logger: logger, peer: est.ZID, now: time.Now}
	w.lastRX.Store(w.now().UnixNano())
	st := rx.Stats()
	w.stats.Store(&st)
	return w, nil
}

// SetHandler replaces the handler; call it before handing the walker to
// the reader, or from the reader's goroutine.
func (w *Walker) SetHandler(h Handler) {
	if h == nil {
		h = Discard{}
	}
	w.h = h
	w.wh, _ = h.(WalkerHandler)
	if w.wh != nil {
		w.wh.SetWalker(w)
	}
}

// Batch walks one batch.
func (w *Walker) Batch(b []byte) error {
	if !w.reading.Load() {
		w.reading.Store(true)
		w.lastRX.Store(w.now().UnixNano())
	}
	w.br.Reset(b)
	for w.br.Next(&w.tm) {
		switch w.tm.ID {
		case codec.MidFrame:
			f := &w.tm.Frame
			ok, err := w.rx.Frame(f)
			if err != nil {
				return err
			}
			if !ok {
				continue // Next skips the Frame's messages
			}
			w.keepable = true
			for w.br.NextNetwork(&w.nm) {
				if err := w.h.Handle(&w.nm, f.Reliable); err != nil {
					w.keepable = false
					return handlerErr(err)
				}
			}
			w.keepable = false
		case codec.MidFragment:
			if err := w.fragment(&w.tm.Fragment); err != nil {
				return err
			}
		case codec.MidKeepAlive, codec.MidTransportOAM, codec.MidJoin:
			// KeepAlive only refreshes the lease; OAM and Join mean
			// nothing on a unicast session.
		case codec.MidClose:
			// What came before the Close is handed over first.
			if w.wh != nil {
				if err := w.wh.EndBatch(); err != nil {
					return handlerErr(err)
				}
			}
			return &PeerClosedError{Reason: w.tm.Close.Reason}
		default:
			return &CloseError{Reason: codec.CloseInvalid,
				Err: fmt.Errorf("%w: %s in the data phase", ErrUnexpectedMessage, midName(w.tm.ID))}
		}
	}
	if err := w.br.Err(); err != nil {
		return &CloseError{Reason: codec.CloseInvalid, Err: err}
	}
	if w.wh != nil {
		if err := w.wh.EndBatch(); err != nil {
			return handlerErr(err)
		}
	}
	return nil
}

// fragment adds a Fragment to its channel's reassembly and hands the
// message it completes, if any, to the handler.
func (w *Walker) fragment(f *codec.Fragment) error {
	over := w.rx.Stats().Oversized
	msg, rel, err := w.rx.Fragment(f)
	if err != nil {
		return err
	}
	if w.rx.Stats().Oversized != over {
		w.logger.Warn("dropping a fragmented message: over the reassembly limit",
			"peer", w.peer, "limit", w.rx.Config().MaxMessage, "dropped", w.rx.Stats().Oversized)
	}
	if msg == nil {
		return nil
	}
	if n, err := codec.DecodeNetwork(msg, &w.nm); err != nil || n != len(msg) {
		// A message that does not decode as exactly one network message
		// is dropped, not the link: its fragments were accepted one by
		// one (spec 6.4).
		if err == nil {
			err = fmt.Errorf("%d bytes after the message", len(msg)-n)
		}
		w.logger.Warn("dropping an undecodable reassembled message", "peer", w.peer, "err", err)
		return nil
	}
	if err := w.h.Handle(&w.nm, rel); err != nil {
		return handlerErr(err)
	}
	return nil
}

// handlerErr makes a handler's error one that closes the session (but
// ErrCanceled, which the session's own stop caused).
func handlerErr(err error) error {
	var ce *CloseError
	if errors.As(err, &ce) || errors.Is(err, ErrCanceled) {
		return err
	}
	return &CloseError{Reason: codec.CloseInvalid, Err: err}
}

// EndRead ends one read: the handler's EndRead runs, and the lease counts
// the read.
func (w *Walker) EndRead() error {
	err := w.h.EndRead()
	w.lastRX.Store(w.now().UnixNano())
	w.reading.Store(false)
	st := w.rx.Stats()
	w.stats.Store(&st)
	if err != nil {
		return handlerErr(err)
	}
	return nil
}

// LastRead returns when the last read began or ended, and whether one is
// in progress now (its handler may be waiting for room elsewhere: the
// peer is not silent then).
func (w *Walker) LastRead() (time.Time, bool) {
	return time.Unix(0, w.lastRX.Load()), w.reading.Load()
}

// Stats returns the receive counters as of the last completed read.
func (w *Walker) Stats() Stats { return *w.stats.Load() }

// Close returns the reassembly buffers to the node's budget. Call it once
// the reader has stopped.
func (w *Walker) Close() { w.rx.Close() }

func midName(id byte) string {
	switch id {
	case codec.MidInit:
		return "Init"
	case codec.MidOpen:
		return "Open"
	}
	return fmt.Sprintf("message %#x", id)
}
