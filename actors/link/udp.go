package link

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// udpDemux serves a UDP listener: one socket, one receive goroutine, and
// a table of virtual connections keyed by remote address. The first
// datagram from a new remote creates its connection (handed to accept);
// later ones are queued on it. Everything is bounded: the table
// (UDPMaxRemotes), each queue (UDPQueueLen) and the queued bytes
// (UDPQueueBytes); what does not fit is dropped and counted, as UDP may
// lose it anyway. It is not an actor: the listener actor owns it.
type udpDemux struct {
	sock   *net.UDPConn
	cfg    *ListenerConfig
	accept func(*udpConn) // called on the receive goroutine

	mu     sync.Mutex
	conns  map[netip.AddrPort]*udpConn
	closed bool

	queued                    atomic.Int64 // bytes in all queues
	accepted, dropFull, dropQ atomic.Uint64
	done                      chan struct{}
	wg                        sync.WaitGroup
}

func newUDPDemux(sock *net.UDPConn, cfg *ListenerConfig, accept func(*udpConn)) *udpDemux {
	return &udpDemux{
		sock:   sock,
		cfg:    cfg,
		accept: accept,
		conns:  make(map[netip.AddrPort]*udpConn),
		done:   make(chan struct{}),
	}
}

func (d *udpDemux) start() {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.readLoop()
	}()
}

// readLoop receives until the socket closes. Other receive errors are
// transient on an unconnected socket: it backs off and goes on.
func (d *udpDemux) readLoop() {
	buf := make([]byte, 64<<10)
	var delay time.Duration
	for {
		n, from, err := d.sock.ReadFromUDPAddrPort(buf)
		if err != nil {
			select {
			case <-d.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			delay = nextBackoff(delay, d.cfg.MaxBackoff)
			d.cfg.Logger.Debug("udp receive error; backing off", "local", d.sock.LocalAddr().String(), "err", err)
			if !sleep(delay, d.done) {
				return
			}
			continue
		}
		delay = 0
		if n > 0 {
			d.deliver(from, buf[:n])
		}
	}
}

// deliver queues a copy of p on the connection for from, creating it if
// there is room in the table.
func (d *udpDemux) deliver(from netip.AddrPort, p []byte) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	c := d.conns[from]
	fresh := c == nil
	if fresh {
		if len(d.conns) >= d.cfg.UDPMaxRemotes {
			d.mu.Unlock()
			d.dropFull.Add(1)
			return
		}
		c = d.newConn(from)
		d.conns[from] = c
	}
	// Under d.mu, so that Close, which drains the queue under d.mu too,
	// never misses a datagram's bytes.
	ok := c.push(p)
	d.mu.Unlock()
	if !ok {
		d.dropQ.Add(1)
	}
	if fresh {
		d.accepted.Add(1)
		d.accept(c)
	}
}

func (d *udpDemux) newConn(remote netip.AddrPort) *udpConn {
	return &udpConn{
		d:      d,
		remote: remote,
		q:      make(chan []byte, d.cfg.UDPQueueLen),
		closed: make(chan struct{}),
		rd:     newDeadline(),
	}
}

func (d *udpDemux) fillStats(s *ListenerStats) {
	s.Accepted = d.accepted.Load()
	s.DroppedTableFull = d.dropFull.Load()
	s.DroppedQueueFull = d.dropQ.Load()
	d.mu.Lock()
	s.Remotes = len(d.conns)
	d.mu.Unlock()
}

// close closes the socket, waits for the receive goroutine, and closes
// every connection: their reads fail with ErrListenerClosed.
func (d *udpDemux) close() {
	close(d.done)
	_ = d.sock.Close()
	d.wg.Wait()
	d.mu.Lock()
	d.closed = true
	conns := make([]*udpConn, 0, len(d.conns))
	for _, c := range d.conns {
		conns = append(conns, c)
	}
	d.mu.Unlock()
	for _, c := range conns {
		c.closeWith(ErrListenerClosed)
	}
}

// udpConn is the net.Conn of one remote address on a UDP listener's
// socket. Read returns one queued datagram (truncated to the buffer, as
// on a socket); Write sends one datagram to the remote.
type udpConn struct {
	d      *udpDemux
	remote netip.AddrPort
	q      chan []byte // datagrams; the receive goroutine is the only sender

	once   sync.Once
	closed chan struct{}
	err    error // why closed; set before closed is closed

	rd deadline
	wd atomic.Int64 // write deadline, UnixNano; 0 for none
}

var _ net.Conn = (*udpConn)(nil)

// push queues a copy of p unless the queue or the byte budget is full.
// Called with d.mu held.
func (c *udpConn) push(p []byte) bool {
	if len(c.q) == cap(c.q) || c.d.queued.Load()+int64(len(p)) > int64(c.d.cfg.UDPQueueBytes) {
		return false
	}
	c.d.queued.Add(int64(len(p)))
	c.q <- append([]byte(nil), p...)
	return true
}

func (c *udpConn) info() Info {
	return Info{
		Proto:  "udp",
		Local:  c.d.sock.LocalAddr().String(),
		Remote: c.remote.String(),
		MTU:    udpLinkMTU,
	}
}

func (c *udpConn) Read(p []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, c.opError("read", c.err)
	default:
	}
	select {
	case b := <-c.q:
		c.d.queued.Add(-int64(len(b)))
		return copy(p, b), nil
	case <-c.closed:
		return 0, c.opError("read", c.err)
	case <-c.rd.wait():
		return 0, c.opError("read", os.ErrDeadlineExceeded)
	}
}

func (c *udpConn) Write(p []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, c.opError("write", c.err)
	default:
	}
	if wd := c.wd.Load(); wd != 0 && time.Now().UnixNano() >= wd {
		return 0, c.opError("write", os.ErrDeadlineExceeded)
	}
	n, err := c.d.sock.WriteToUDPAddrPort(p, c.remote)
	if err != nil {
		return n, c.opError("write", err)
	}
	return n, nil
}

// Close removes the connection from the table (a later datagram from the
// same remote makes a new one) and drops what is queued.
func (c *udpConn) Close() error {
	c.closeWith(net.ErrClosed)
	return nil
}

func (c *udpConn) closeWith(err error) {
	c.once.Do(func() {
		d := c.d
		d.mu.Lock()
		if d.conns[c.remote] == c {
			delete(d.conns, c.remote)
		}
		for drained := false; !drained; {
			select {
			case b := <-c.q:
				d.queued.Add(-int64(len(b)))
			default:
				drained = true
			}
		}
		d.mu.Unlock()
		c.err = err
		close(c.closed)
		c.rd.set(time.Time{})
	})
}

func (c *udpConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "udp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

func (c *udpConn) LocalAddr() net.Addr  { return c.d.sock.LocalAddr() }
func (c *udpConn) RemoteAddr() net.Addr { return net.UDPAddrFromAddrPort(c.remote) }

func (c *udpConn) SetDeadline(t time.Time) error {
	_ = c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

func (c *udpConn) SetReadDeadline(t time.Time) error {
	c.rd.set(t)
	return nil
}

// SetWriteDeadline is checked before each write; a write to the shared
// socket itself does not block for long.
func (c *udpConn) SetWriteDeadline(t time.Time) error {
	var ns int64
	if !t.IsZero() {
		ns = t.UnixNano()
	}
	c.wd.Store(ns)
	return nil
}

// deadline is a read deadline as a channel that closes when it passes,
// after net.Pipe's pipeDeadline.
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	cancel chan struct{} // closed when the deadline passes
}

func newDeadline() deadline { return deadline{cancel: make(chan struct{})} }

// set arms the deadline at t; the zero time disarms it.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.cancel // the timer fired: wait for it to close cancel
	}
	d.timer = nil
	closed := isClosed(d.cancel)
	if t.IsZero() {
		if closed {
			d.cancel = make(chan struct{})
		}
		return
	}
	if dur := time.Until(t); dur > 0 {
		if closed {
			d.cancel = make(chan struct{})
		}
		cancel := d.cancel
		d.timer = time.AfterFunc(dur, func() { close(cancel) })
		return
	}
	if !closed {
		close(d.cancel)
	}
}

func (d *deadline) wait() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cancel
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
