package link

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/codec"
)

// Source is what a link's writer goroutine writes: the session's send
// stage. Ready is signalled when Pull has batches after it returned
// none; Pull appends the batches to write next (each whole, with its
// length prefix on streams) and never blocks; Written gives them back
// once written, or with the error that failed the link.
type Source interface {
	Ready() <-chan struct{}
	Pull(dst [][]byte) [][]byte
	Written(bufs [][]byte, err error)
}

// DirectSource is a Source that lets the goroutines filling it write
// themselves when the link is quiet: the link gives it a function that
// writes batches without blocking. The function reports true when it
// wrote them all (the caller then calls Written itself); otherwise the
// link's writer goroutine writes the rest and calls Written.
type DirectSource interface {
	Source
	SetDirect(write func(bufs [][]byte) bool)
}

// Sink takes the batches of a link directly on its reader goroutine once
// the owner switched the link to it (Inbound.Switch): Batch for each
// complete batch of a read, in order, aliasing the read buffer (valid
// only during the call), then EndRead. An error stops the reader and is
// reported to the owner as *Rejected; the connection stays open so that
// the owner can still write (a Close). EndRead follows a refused batch
// too (its error then ignored), so that what the sink took before it is
// not held back.
type Sink interface {
	Batch(b []byte) error
	EndRead() error
}

// Keeper is what a reader offers its sink: Keep reports whether the sink
// may keep the bytes of the batch being handed to it past the call (they
// lie in the read buffer, not in the copy of a batch split across two
// reads) and, if so, the reader reads the next time into a new buffer
// instead of over them. Keeping costs a buffer per read: it pays for
// large payloads only.
type Keeper interface {
	Keep() bool
}

// KeeperSink is a Sink that wants a Keeper: the reader gives itself when
// it switches to the sink.
type KeeperSink interface {
	Sink
	SetKeeper(k Keeper)
}

// Config tunes a link actor.
type Config struct {
	// BufferSize is the largest read buffer of a busy stream link: the
	// reader starts with one batch's worth (Info.MTU, plus room for the
	// prefix on datagrams) and grows to BufferSize while reads fill its
	// buffer, so that a busy link reads many batches per system call and
	// few batches straddle two reads; it shrinks back when the link calms
	// down. Default 256 KiB.
	BufferSize int

	// WriteTimeout bounds each write system call. A write that times out
	// fails the link: the peer is not reading. Zero means no deadline.
	// Default 10 s.
	WriteTimeout time.Duration

	// Out is what the writer goroutine writes. Nil: the link never
	// writes.
	Out Source

	// Done, if set, is closed by the link when it stops, before it waits
	// for its reader: a Sink that waits for something (room in another
	// session's queue) must give up on it.
	Done chan struct{}

	// Logger receives the link's debug events. Nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns the defaults described on Config.
func DefaultConfig() Config {
	return Config{BufferSize: 256 << 10, WriteTimeout: 10 * time.Second}
}

// validate fills zero fields with defaults and sizes buffers for info.
func (c *Config) validate(info Info) error {
	if c.BufferSize < 0 || c.WriteTimeout < 0 {
		return fmt.Errorf("%w: negative BufferSize or WriteTimeout", ErrConfig)
	}
	d := DefaultConfig()
	if c.BufferSize == 0 {
		c.BufferSize = d.BufferSize
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = d.WriteTimeout
	}
	// A stream buffer holds one batch with its prefix. A datagram buffer
	// holds the prefix and one byte more than the largest datagram, so that
	// an over-size datagram shows as such instead of being truncated.
	need := int(info.MTU)
	if !info.Stream {
		need += codec.StreamPrefixLen + 1
	}
	c.BufferSize = max(c.BufferSize, need)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Done == nil {
		c.Done = make(chan struct{})
	}
	return nil
}

// Props returns the props of a link actor over conn, which it owns from
// then on. The link must be spawned as a child of its owner (the session
// actor): Inbound, Rejected and Failed go to ctx.Parent(), which also
// gets *actor.Terminated when the link stops. Until a SetBatchSize, the
// reader accepts batches up to info.MTU (when zero, the protocol's: 65535
// on streams). Zero fields of cfg take the defaults; Props panics on a
// negative one.
//
// The reader starts by handing each read to the owner as one *Inbound and
// waits for the owner to release it: that is the handshake, where the
// owner decides what each batch means. The owner switches the reader to
// a Sink with Inbound.Switch; from the next batch on, the reader hands
// batches to the sink itself, with no actor message per read.
func Props(conn net.Conn, info Info, cfg Config) *actor.Props {
	if info.MTU == 0 {
		info.MTU = udpLinkMTU
		if info.Stream {
			info.MTU = TCPMTU
		}
	}
	if err := cfg.validate(info); err != nil {
		panic(err)
	}
	return actor.PropsFromProducer(func() actor.Actor {
		return &linkActor{conn: conn, info: info, cfg: cfg}
	})
}

// ioFailed is sent by the reader or writer goroutine to its link actor
// when the connection cannot be used any more.
type ioFailed struct{ err error }

// IgnoreDeadLetterLogging: the link may be gone by the time it arrives.
func (*ioFailed) IgnoreDeadLetterLogging() {}

// linkActor owns one connection and its reader and writer goroutines.
type linkActor struct {
	conn net.Conn
	info Info
	cfg  Config

	size     atomic.Uint32 // batch limit for the reader (SetBatchSize)
	wg       sync.WaitGroup
	failed   bool // Failed was sent; ignore further errors
	stopped  bool // conn closed, goroutines gone
	doneOnce sync.Once
}

func (a *linkActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.start(ctx)
	case *SetBatchSize:
		a.size.Store(uint32(min(m.Size, a.info.MTU)))
	case *ioFailed:
		a.fail(ctx, m.err)
	case *actor.Stopping, *actor.Restarting:
		a.shutdown()
	}
}

func (a *linkActor) start(ctx actor.Context) {
	owner := ctx.Parent()
	if owner == nil {
		panic("link: spawned without a parent to own it")
	}
	select {
	case <-a.cfg.Done:
		// Restarted after a failure: the connection is closed and its
		// goroutines gone. A link does not come back; it stops.
		a.stopped = true
		ctx.Send(owner, &Failed{Link: ctx.Self(), Err: ErrClosed})
		ctx.Stop(ctx.Self())
		return
	default:
	}
	if tc, ok := a.conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	a.size.Store(uint32(a.info.MTU))
	root, self := ctx.ActorSystem().Root, ctx.Self()
	done := a.cfg.Done
	report := func(what string, err error) {
		select {
		case <-done:
			return // stopping: the error is our own Close
		default:
		}
		root.Send(self, &ioFailed{err: fmt.Errorf("link %s: %s: %w", a.info.Remote, what, err)})
	}
	r := &reader{
		minBuf: a.minBuffer(),
		conn:   a.conn,
		stream: a.info.Stream,
		size:   &a.size,
		done:   done,
		link:   self,
		buf:    make([]byte, a.minBuffer()),
		rbuf:   make([]byte, a.minBuffer()),
		maxBuf: a.cfg.BufferSize,
		send:   func(m any) { root.Send(owner, m) },
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		err := r.run()
		var rej *rejected
		if errors.As(err, &rej) {
			select {
			case <-done:
				return // stopping: the sink gave up because of it
			default:
			}
			root.Send(owner, &Rejected{Link: self, Err: rej.err})
			return
		}
		if err != errStopping {
			report("read", err)
		}
	}()
	if src := a.cfg.Out; src != nil {
		w := &writer{conn: a.conn, stream: a.info.Stream, timeout: a.cfg.WriteTimeout, src: src, done: done,
			carry: make(chan carried, 1)}
		if ds, ok := src.(DirectSource); ok && a.info.Stream {
			if raw := rawWriter(a.conn); raw != nil {
				w.raw = raw
				ds.SetDirect(w.direct)
			}
		}
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			err := w.run()
			w.close(err)
			if err != nil {
				report("write", err)
			}
		}()
	}
}

// minBuffer is the size of a quiet link's read buffer: one batch.
func (a *linkActor) minBuffer() int {
	n := int(a.info.MTU)
	if a.info.Stream {
		n += codec.StreamPrefixLen
	} else {
		n += codec.StreamPrefixLen + 1
	}
	return min(n, a.cfg.BufferSize)
}

// fail tells the owner once and stops the link.
func (a *linkActor) fail(ctx actor.Context, err error) {
	if a.failed || a.stopped {
		return
	}
	a.failed = true
	a.cfg.Logger.Debug("link failed", "remote", a.info.Remote, "err", err)
	ctx.Send(ctx.Parent(), &Failed{Link: ctx.Self(), Err: err})
	ctx.Stop(ctx.Self())
}

// shutdown closes the connection and waits for the reader and writer.
func (a *linkActor) shutdown() {
	if a.stopped {
		return
	}
	a.stopped = true
	a.doneOnce.Do(func() { close(a.cfg.Done) })
	_ = a.conn.Close()
	a.wg.Wait()
}

// writer is the state of a link's writer goroutine.
type writer struct {
	conn    net.Conn
	stream  bool
	timeout time.Duration
	src     Source
	done    <-chan struct{}
	bufs    [][]byte
	vec     net.Buffers
	raw     func([]byte) (int, error) // non-blocking write, for direct
	carry   chan carried
	wv      net.Buffers // w.vec as handed to writev (a field: no allocation)

	mu     sync.Mutex // guards closed against direct
	closed error      // the writer goroutine ended (ErrClosed, or its error)
}

// carried is what a direct write left for the writer goroutine: bufs,
// of which the first off bytes are written, or the error it met.
type carried struct {
	bufs [][]byte
	off  int
	err  error
}

// direct writes bufs on the caller's goroutine without blocking: all of
// them (true), or as much of the first as the socket takes, the rest
// going to the writer goroutine (false).
func (w *writer) direct(bufs [][]byte) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed != nil {
		w.src.Written(bufs, w.closed)
		return false
	}
	n, err := w.raw(bufs[0])
	if err == nil && n == len(bufs[0]) && len(bufs) == 1 {
		return true
	}
	w.carry <- carried{bufs: bufs, off: n, err: err}
	return false
}

// close marks the writer goroutine ended and fails what a direct write
// left it: every batch the source handed out gets its Written.
func (w *writer) close(err error) {
	if err == nil {
		err = ErrClosed
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = err
	select {
	case c := <-w.carry:
		w.src.Written(c.bufs, err)
	default:
	}
}

// finish writes what a direct write left.
func (w *writer) finish(c carried) error {
	if c.err != nil {
		return c.err
	}
	rest := append(w.bufs[:0], c.bufs[0][c.off:])
	rest = append(rest, c.bufs[1:]...)
	err := w.write(rest)
	clear(rest)
	return err
}

// run writes what the source has until the link stops (nil) or a write
// fails (its error).
func (w *writer) run() error {
	for {
		select {
		case <-w.src.Ready():
		case c := <-w.carry:
			err := w.finish(c)
			w.src.Written(c.bufs, err)
			if err != nil {
				return err
			}
		case <-w.done:
			return nil
		}
		for {
			w.bufs = w.src.Pull(w.bufs[:0])
			if len(w.bufs) == 0 {
				break
			}
			err := w.write(w.bufs)
			w.src.Written(w.bufs, err)
			clear(w.bufs)
			if err != nil {
				return err
			}
		}
	}
}

// write writes bufs: in one system call on streams (writev), one datagram
// each otherwise.
func (w *writer) write(bufs [][]byte) error {
	if w.timeout > 0 {
		_ = w.conn.SetWriteDeadline(time.Now().Add(w.timeout))
	}
	if !w.stream || len(bufs) == 1 {
		for _, b := range bufs {
			if _, err := w.conn.Write(b); err != nil {
				return err
			}
		}
		return nil
	}
	w.vec = append(w.vec[:0], bufs...)
	w.wv = w.vec // WriteTo consumes its receiver
	_, err := w.wv.WriteTo(w.conn)
	clear(w.vec)
	return err
}

// reader is the state of a link's reader goroutine. It never touches the
// actor's context.
type reader struct {
	conn   net.Conn
	stream bool
	size   *atomic.Uint32 // batch limit, written by the actor
	done   <-chan struct{}
	link   *actor.PID
	send   func(any) // to the owner

	buf    []byte              // the Inbound buffer of the handshake
	rbuf   []byte              // read buffer
	framer *codec.StreamFramer // stream framing state
	limit  uint32              // the framer's current limit
	sink   Sink                // set by Inbound.Switch
	in     *Inbound            // handshake batches of the current read
	fed    bool                // the sink got a batch in this read
	emitFn func([]byte) error  // r.emit, bound once
	cur    []byte              // the batch being handed to the sink
	n      int                 // bytes in rbuf from the current read
	kept   bool                // the sink kept bytes of rbuf
	maxBuf int                 // the largest read buffer (Config.BufferSize)
	minBuf int                 // the quiet link's read buffer
}

// Keep lets the sink keep the batch it is being handed, if it lies in the
// read buffer (the Keeper interface), and the read filled a quarter of it
// at least: a new buffer for a small read would cost more than copying.
func (r *reader) Keep() bool {
	if len(r.cur) == 0 || len(r.rbuf) == 0 || r.n < len(r.rbuf)/4 {
		return false
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(r.rbuf)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(r.cur)))
	if p < base || p >= base+uintptr(len(r.rbuf)) {
		return false // in the framer's copy of a split batch
	}
	r.kept = true
	return true
}

// errStopping ends the reader when the link stops while it waits for the
// owner.
var errStopping = errors.New("link: stopping")

// rejected wraps a sink's error.
type rejected struct{ err error }

func (r *rejected) Error() string { return r.err.Error() }

// run reads until the connection fails, the sink refuses a batch or the
// link stops.
func (r *reader) run() error {
	r.emitFn = r.emit
	r.limit = r.size.Load()
	if r.stream {
		r.framer = codec.NewStreamFramer(uint16(r.limit))
	}
	for {
		n, err := r.conn.Read(r.rbuf)
		if n > 0 {
			if perr := r.process(r.rbuf[:n]); perr != nil {
				return perr
			}
		}
		if err != nil {
			return err
		}
	}
}

// process handles the bytes of one read.
func (r *reader) process(p []byte) error {
	r.n = len(p)
	if s := r.size.Load(); s != r.limit {
		r.limit = s
		if r.framer != nil {
			r.framer.SetBatchSize(uint16(s))
		}
	}
	var err error
	if r.stream {
		err = r.framer.Feed(p, r.emitFn)
	} else {
		switch {
		case len(p) > int(r.limit):
			err = fmt.Errorf("%w: datagram of %d bytes, limit %d", codec.ErrBatchTooLarge, len(p), r.limit)
		default:
			err = r.emit(p)
		}
	}
	if err == nil {
		err = r.flush()
	} else if r.fed {
		// What the sink took before the bad batch still goes on.
		r.fed = false
		_ = r.sink.EndRead()
	}
	// A read that filled the buffer means a busy link: read more at a
	// time. The sink keeping bytes of the buffer means a new one anyway;
	// then a read that used little of it means a calm link: read less.
	size := len(r.rbuf)
	switch {
	case len(p) == size && size < r.maxBuf:
		size = min(4*size, r.maxBuf)
	case r.kept && len(p) < size/8 && size > r.minBuf:
		size = max(size/4, r.minBuf)
	}
	if r.kept || size != len(r.rbuf) {
		// The sink keeps bytes of this buffer: read into a new one.
		r.kept = false
		r.rbuf = make([]byte, size)
	}
	return err
}

// emit takes one complete batch: to the sink, or copied into the
// handshake Inbound (handed over first when the batch does not fit).
func (r *reader) emit(b []byte) error {
	if r.sink != nil {
		r.fed = true
		r.cur = b
		err := r.sink.Batch(b)
		r.cur = nil
		if err != nil {
			return &rejected{err: err}
		}
		return nil
	}
	if r.in == nil {
		r.in = &Inbound{Link: r.link, Data: r.buf[:0]}
	}
	if len(r.in.Data)+codec.StreamPrefixLen+len(b) > cap(r.in.Data) {
		if err := r.handOver(); err != nil {
			return err
		}
		if r.sink != nil {
			return r.emit(b)
		}
		r.in = &Inbound{Link: r.link, Data: r.buf[:0]}
	}
	r.in.Data = append(r.in.Data, byte(len(b)), byte(len(b)>>8))
	r.in.Data = append(r.in.Data, b...)
	return nil
}

// flush ends one read: the handshake Inbound goes to the owner, or the
// sink's EndRead runs.
func (r *reader) flush() error {
	if r.in != nil && len(r.in.Data) > 0 {
		if err := r.handOver(); err != nil {
			return err
		}
	}
	if r.fed {
		r.fed = false
		if err := r.sink.EndRead(); err != nil {
			return &rejected{err: err}
		}
	}
	return nil
}

// handOver sends the handshake Inbound to the owner and waits until it is
// released (perhaps switching the reader to a sink).
func (r *reader) handOver() error {
	in := r.in
	r.in = nil
	back := make(chan Sink, 1)
	in.back = back
	r.send(in)
	select {
	case s := <-back:
		if s != nil {
			r.sink = s
			if ks, ok := s.(KeeperSink); ok {
				ks.SetKeeper(r)
			}
		}
		return nil
	case <-r.done:
		return errStopping
	}
}
