package faultproxy

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// acceptBackoff is how long the accept loop waits after an accept error
// other than a closed listener (such as running out of file descriptors).
const acceptBackoff = 5 * time.Millisecond

// Proxy forwards TCP connections from its own listener to a target address
// and injects the faults set by its methods. All methods are safe for
// concurrent use.
type Proxy struct {
	ln     net.Listener
	target string
	ctx    context.Context // cancelled by Close; cancels dials in progress
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the proxy starts

	up, down atomic.Int64 // bytes written to the target, to the client

	mu          sync.Mutex
	closed      bool
	partitioned bool
	conns       map[*pipe]struct{}
	delay       time.Duration
	rate        int // bytes per second per direction, 0 = unlimited
	stalled     bool
	changed     chan struct{} // closed and replaced when a setting changes
}

// settings is a snapshot of the faults that apply to a chunk.
type settings struct {
	delay   time.Duration
	rate    int
	stalled bool
	changed <-chan struct{} // closed when any of the above changes
}

// New starts a proxy listening on 127.0.0.1 (an ephemeral port) that
// forwards each connection to target, a "host:port" address. It does not
// dial target until a client connects; if that dial fails, the proxy
// closes the client's connection.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		ln:      ln,
		target:  target,
		ctx:     ctx,
		cancel:  cancel,
		conns:   make(map[*pipe]struct{}),
		changed: make(chan struct{}),
	}
	p.wg.Go(p.acceptLoop)
	return p, nil
}

// Addr returns the proxy's listening address, "127.0.0.1:PORT".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Endpoint returns the proxy's listening address as a Zenoh locator,
// "tcp/127.0.0.1:PORT".
func (p *Proxy) Endpoint() string { return "tcp/" + p.Addr() }

// SetDelay sets the one-way latency added to every chunk in both
// directions; 0 removes it. A chunk is due its read time plus the delay
// current when it is written, so lowering the delay releases queued chunks
// sooner. Chunks keep their order.
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	p.delay = max(d, 0)
	p.notifyLocked()
	p.mu.Unlock()
}

// SetBandwidth caps each direction of each connection at bytesPerSec with
// a token bucket holding 20 ms worth of bytes; 0 (or less) removes the
// cap.
func (p *Proxy) SetBandwidth(bytesPerSec int) {
	p.mu.Lock()
	p.rate = max(bytesPerSec, 0)
	p.notifyLocked()
	p.mu.Unlock()
}

// Stall stops (on) or resumes (off) forwarding on every connection, current
// and new. While stalled, connections stay open and the proxy stops reading
// from them, so senders feel back pressure; nothing read before is lost.
func (p *Proxy) Stall(on bool) {
	p.mu.Lock()
	p.stalled = on
	p.notifyLocked()
	p.mu.Unlock()
}

// Cut resets every current connection, on both sides, and keeps accepting
// new ones. A connection still dialing the target when Cut is called is
// not cut.
func (p *Proxy) Cut() {
	p.mu.Lock()
	cut := make([]*pipe, 0, len(p.conns))
	for c := range p.conns {
		cut = append(cut, c)
	}
	p.mu.Unlock()
	for _, c := range cut {
		c.close(true)
	}
}

// Partition, when on, cuts every current connection and resets new ones
// right after accepting them, until Partition(false).
func (p *Proxy) Partition(on bool) {
	p.mu.Lock()
	p.partitioned = on
	p.mu.Unlock()
	if on {
		p.Cut()
	}
}

// Conns returns the number of connections currently forwarded (accepted
// and connected to the target, not yet closed).
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Bytes returns the bytes forwarded so far, over all connections: up from
// clients to the target, down from the target to clients.
func (p *Proxy) Bytes() (up, down int64) { return p.up.Load(), p.down.Load() }

// Close stops listening, closes every connection and waits for all the
// proxy's goroutines to end. Data still queued is dropped. Calling Close
// again does nothing and returns nil.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	open := make([]*pipe, 0, len(p.conns))
	for c := range p.conns {
		open = append(open, c)
	}
	p.mu.Unlock()

	err := p.ln.Close()
	p.cancel()
	for _, c := range open {
		c.close(false)
	}
	p.wg.Wait()
	return err
}

// notifyLocked wakes every goroutine waiting on the settings. p.mu is held.
func (p *Proxy) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// settings returns the current faults for one forwarding step.
func (p *Proxy) settings() settings {
	p.mu.Lock()
	defer p.mu.Unlock()
	return settings{delay: p.delay, rate: p.rate, stalled: p.stalled, changed: p.changed}
}

// acceptLoop accepts connections until the listener closes and hands each
// to its own goroutine, which dials the target.
func (p *Proxy) acceptLoop() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-p.ctx.Done():
				return
			case <-time.After(acceptBackoff):
			}
			continue
		}
		p.mu.Lock()
		refuse := p.partitioned || p.closed
		p.mu.Unlock()
		if refuse {
			reset(c)
			continue
		}
		p.wg.Go(func() { p.connect(c) })
	}
}

// connect dials the target for the accepted client connection and, unless
// the proxy was partitioned or closed meanwhile, starts forwarding.
func (p *Proxy) connect(client net.Conn) {
	var d net.Dialer
	server, err := d.DialContext(p.ctx, "tcp", p.target)
	if err != nil {
		reset(client)
		return
	}
	c := newPipe(p, client, server)
	p.mu.Lock()
	if p.closed || p.partitioned {
		p.mu.Unlock()
		reset(client)
		reset(server)
		return
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()
	c.start()
}

// remove forgets a closed pipe.
func (p *Proxy) remove(c *pipe) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// reset closes c abruptly: the peer gets a TCP RST, not a FIN, and data
// not yet sent is dropped.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
