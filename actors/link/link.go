package link

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/codec"
)

// Config tunes a link actor.
type Config struct {
	// Buffers is the size of the link's receive pool: how many Inbound
	// messages can be with the owner, unreleased, before the reader stops
	// reading the socket. More buffers ride out a busy owner; fewer push
	// back on the peer sooner and hold less memory. Buffers are allocated
	// on first use. Default 4.
	Buffers int

	// BufferSize is the size of each receive buffer, and of the reader's
	// read buffer on stream links. It is raised to hold the largest batch
	// the link can carry (Info.MTU, plus room for the prefix on
	// datagrams). Default 64 KiB + 2.
	BufferSize int

	// WriteTimeout bounds each Write. A write that times out fails the
	// link: the peer is not reading. Zero means no deadline. Default 10 s.
	WriteTimeout time.Duration

	// Logger receives the link's debug events. Nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns the defaults described on Config.
func DefaultConfig() Config {
	return Config{Buffers: 4, BufferSize: 64<<10 + 2, WriteTimeout: 10 * time.Second}
}

// validate fills zero fields with defaults and sizes buffers for info.
func (c *Config) validate(info Info) error {
	if c.Buffers < 0 || c.BufferSize < 0 || c.WriteTimeout < 0 {
		return fmt.Errorf("%w: negative Buffers, BufferSize or WriteTimeout", ErrConfig)
	}
	d := DefaultConfig()
	if c.Buffers == 0 {
		c.Buffers = d.Buffers
	}
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
	return nil
}

// Props returns the props of a link actor over conn, which it owns from
// then on. The link must be spawned as a child of its owner (the session
// actor): Inbound and Failed go to ctx.Parent(), which also gets
// *actor.Terminated when the link stops. Until a SetBatchSize, the reader
// accepts batches up to info.MTU (when zero, the protocol's: 65535 on
// streams). Zero fields of cfg take the defaults; Props panics on a
// negative one.
//
// The reader never has more than cfg.Buffers Inbound messages out, so an
// owner with a bounded mailbox needs room for those beside its other
// traffic; a full mailbox blocks the reader, and stopping the link waits
// for the reader.
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

// readFailed is sent by the reader goroutine to its link actor when the
// connection cannot be read any more.
type readFailed struct{ err error }

// IgnoreDeadLetterLogging: the link may be gone by the time it arrives.
func (*readFailed) IgnoreDeadLetterLogging() {}

// linkActor owns one connection: its reader goroutine delivers what
// arrives to the owner, and Receive writes what the owner sends.
type linkActor struct {
	conn net.Conn
	info Info
	cfg  Config

	size    atomic.Uint32 // batch limit for the reader (SetBatchSize)
	vec     [][]byte      // scratch for vectored writes
	done    chan struct{} // closed on Stopping: the reader exits
	wg      sync.WaitGroup
	failed  bool // Failed was sent; ignore further errors
	stopped bool // conn closed, reader gone
}

func (a *linkActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.start(ctx)
	case *Write:
		a.write(ctx, m)
	case *SetBatchSize:
		a.size.Store(uint32(min(m.Size, a.info.MTU)))
	case *readFailed:
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
	if tc, ok := a.conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	a.size.Store(uint32(a.info.MTU))
	a.done = make(chan struct{})
	root, self := ctx.ActorSystem().Root, ctx.Self()
	r := &reader{
		conn:   a.conn,
		stream: a.info.Stream,
		size:   &a.size,
		pool:   newBufPool(a.cfg.Buffers, a.cfg.BufferSize, self, a.done),
		send:   func(m *Inbound) { root.Send(owner, m) },
	}
	if r.stream {
		r.rbuf = make([]byte, a.cfg.BufferSize)
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		err := r.run()
		select {
		case <-a.done:
			return // stopping: the error is our own Close
		default:
		}
		root.Send(self, &readFailed{err: fmt.Errorf("link %s: read: %w", a.info.Remote, err)})
	}()
}

// write writes one batch and answers Written; a failed write fails the
// link.
func (a *linkActor) write(ctx actor.Context, m *Write) {
	var err error
	gone := a.failed || a.stopped
	if gone {
		err = ErrClosed
	} else {
		if a.cfg.WriteTimeout > 0 {
			_ = a.conn.SetWriteDeadline(time.Now().Add(a.cfg.WriteTimeout))
		}
		if len(m.More) == 0 {
			_, err = a.conn.Write(m.Batch)
		} else {
			a.vec = append(append(a.vec[:0], m.Batch), m.More...)
			bufs := net.Buffers(a.vec) // WriteTo consumes its copy
			_, err = bufs.WriteTo(a.conn)
			clear(a.vec)
		}
		if err != nil {
			err = fmt.Errorf("link %s: write: %w", a.info.Remote, err)
		}
	}
	if ctx.Sender() != nil {
		ctx.Respond(&Written{Batch: m.Batch, More: m.More, Err: err})
	}
	if err != nil && !gone {
		a.fail(ctx, err)
	}
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

// shutdown closes the connection and waits for the reader to exit.
func (a *linkActor) shutdown() {
	if a.stopped {
		return
	}
	a.stopped = true
	if a.done != nil {
		close(a.done)
	}
	_ = a.conn.Close()
	a.wg.Wait()
}

// reader is the state of a link's reader goroutine. It sends one Inbound
// per read (two when a read completes a batch that no longer fits the
// current buffer) and never touches the actor's context.
type reader struct {
	conn   net.Conn
	stream bool
	size   *atomic.Uint32 // batch limit, written by the actor
	pool   *bufPool
	send   func(*Inbound) // to the owner

	rbuf   []byte              // stream read buffer
	framer *codec.StreamFramer // stream framing state
	limit  uint32              // the framer's current limit
	m      *Inbound            // message being filled
	emitFn func([]byte) error  // r.emit, bound once
}

// errStopping ends a Feed when the link stops while the reader waits for
// a buffer.
var errStopping = errors.New("link: stopping")

// run reads until the connection fails or the link stops (then it returns
// nil or errStopping, which the caller ignores).
func (r *reader) run() error {
	if !r.stream {
		return r.runDatagrams()
	}
	r.limit = r.size.Load()
	r.framer = codec.NewStreamFramer(uint16(r.limit))
	r.emitFn = r.emit
	for {
		if r.m == nil {
			if r.m = r.pool.get(); r.m == nil {
				return errStopping
			}
		}
		n, err := r.conn.Read(r.rbuf)
		if n > 0 {
			if ferr := r.process(r.rbuf[:n]); ferr != nil {
				return ferr
			}
		}
		if err != nil {
			return err
		}
	}
}

// process frames the bytes of one read and sends the complete batches.
func (r *reader) process(p []byte) error {
	if s := r.size.Load(); s != r.limit {
		r.limit = s
		r.framer.SetBatchSize(uint16(s))
	}
	err := r.framer.Feed(p, r.emitFn)
	if r.m != nil && len(r.m.Data) > 0 {
		r.send(r.m)
		r.m = nil
	}
	return err
}

// emit copies one batch, with its prefix, into the message being filled,
// sending that message first if the batch does not fit.
func (r *reader) emit(b []byte) error {
	if len(r.m.Data)+codec.StreamPrefixLen+len(b) > cap(r.m.Data) {
		r.send(r.m)
		if r.m = r.pool.get(); r.m == nil {
			return errStopping
		}
	}
	r.m.Data = append(r.m.Data, byte(len(b)), byte(len(b)>>8))
	r.m.Data = append(r.m.Data, b...)
	return nil
}

// runDatagrams reads each datagram straight into a pool buffer, after
// room for the prefix that Inbound.Batches expects.
func (r *reader) runDatagrams() error {
	for {
		m := r.pool.get()
		if m == nil {
			return errStopping
		}
		n, err := r.conn.Read(m.buf[codec.StreamPrefixLen:])
		for n == 0 && err == nil { // empty datagram: nothing to deliver
			n, err = r.conn.Read(m.buf[codec.StreamPrefixLen:])
		}
		if n > int(r.size.Load()) {
			m.Release()
			return fmt.Errorf("%w: datagram of %d bytes, limit %d", codec.ErrBatchTooLarge, n, r.size.Load())
		}
		if n > 0 {
			m.buf[0], m.buf[1] = byte(n), byte(n>>8)
			m.Data = m.buf[:codec.StreamPrefixLen+n]
			r.send(m)
		} else {
			m.Release()
		}
		if err != nil {
			return err
		}
	}
}
