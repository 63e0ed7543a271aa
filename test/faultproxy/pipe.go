package faultproxy

import (
	"bytes"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// readSize is the size of each direction's read buffer, and so the
	// largest chunk.
	readSize = 32 << 10
	// queueLen is how many chunks a direction holds before its reader stops
	// reading. With readSize it bounds a direction's memory.
	queueLen = 64
	// burstTime sets the token bucket's size: this long at the set rate.
	burstTime = 20 * time.Millisecond
)

// chunk is what one read returned, copied out of the read buffer, with the
// time it was read (the base of its delay).
type chunk struct {
	at   time.Time
	data []byte
}

// pipe is one proxied connection: a client accepted by the proxy and the
// connection the proxy dialed to the target for it. Four goroutines serve
// it, a reader and a writer per direction; all of them end once done is
// closed.
type pipe struct {
	p      *Proxy
	client net.Conn
	server net.Conn
	done   chan struct{} // closed by close
	once   sync.Once
}

func newPipe(p *Proxy, client, server net.Conn) *pipe {
	return &pipe{p: p, client: client, server: server, done: make(chan struct{})}
}

// start starts forwarding in both directions.
func (c *pipe) start() {
	c.startDirection(c.client, c.server, &c.p.up)
	c.startDirection(c.server, c.client, &c.p.down)
}

// startDirection starts the reader and writer that forward src to dst and
// add what they write to count.
func (c *pipe) startDirection(src, dst net.Conn, count *atomic.Int64) {
	q := make(chan chunk, queueLen)
	c.p.wg.Go(func() { c.read(src, q) })
	w := &writer{c: c, dst: dst, count: count, timer: time.NewTimer(time.Hour)}
	w.timer.Stop()
	c.p.wg.Go(func() { w.run(q) })
}

// close closes both connections, abruptly (RST) or not, and stops the
// pipe's goroutines. Only the first call has an effect.
func (c *pipe) close(abrupt bool) {
	c.once.Do(func() {
		close(c.done)
		if abrupt {
			reset(c.client)
			reset(c.server)
		} else {
			_ = c.client.Close()
			_ = c.server.Close()
		}
		c.p.remove(c)
	})
}

// read reads src into q until src fails or closes, or the pipe closes; then
// it closes q so that the writer, once it has drained q, closes the pipe.
// It does not read while the proxy is stalled or q is full.
func (c *pipe) read(src net.Conn, q chan<- chunk) {
	defer close(q)
	buf := make([]byte, readSize)
	for {
		if !c.waitUnstalled() {
			return
		}
		n, err := src.Read(buf)
		if n > 0 {
			ch := chunk{at: time.Now(), data: bytes.Clone(buf[:n])}
			select {
			case q <- ch:
			case <-c.done:
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// waitUnstalled waits until the proxy is not stalled. It returns false if
// the pipe closed first.
func (c *pipe) waitUnstalled() bool {
	for {
		s := c.p.settings()
		if !s.stalled {
			return true
		}
		select {
		case <-s.changed:
		case <-c.done:
			return false
		}
	}
}

// writer writes one direction's chunks to dst once they are due.
type writer struct {
	c      *pipe
	dst    net.Conn
	count  *atomic.Int64
	timer  *time.Timer // reused by wait; stopped between waits
	bucket bucket
}

// run writes the chunks from q in order until q closes (the reader is done)
// or a write fails, then closes the pipe; or until the pipe closes.
func (w *writer) run(q <-chan chunk) {
	defer w.timer.Stop()
	for {
		select {
		case ch, ok := <-q:
			if !ok || !w.send(ch) {
				w.c.close(false)
				return
			}
		case <-w.c.done:
			return
		}
	}
}

// send writes ch to dst, waiting while the proxy is stalled, until the
// chunk's delay has passed, and for tokens when the bandwidth is capped.
// Settings are read again after every wait, so a change applies to the
// chunk in hand. It returns false if the pipe closed or a write failed.
func (w *writer) send(ch chunk) bool {
	data := ch.data
	for len(data) > 0 {
		s := w.c.p.settings()
		if s.stalled {
			if !w.wait(s.changed, -1) {
				return false
			}
			continue
		}
		if d := time.Until(ch.at.Add(s.delay)); d > 0 {
			if !w.wait(s.changed, d) {
				return false
			}
			continue
		}
		n := len(data)
		if s.rate > 0 {
			var d time.Duration
			if n, d = w.bucket.take(time.Now(), s.rate, n); n == 0 {
				if !w.wait(s.changed, d) {
					return false
				}
				continue
			}
		}
		m, err := w.dst.Write(data[:n])
		w.count.Add(int64(m))
		if err != nil {
			return false
		}
		data = data[n:]
	}
	return true
}

// wait waits for d (forever if d < 0) or a settings change. It returns
// false if the pipe closed first.
func (w *writer) wait(changed <-chan struct{}, d time.Duration) bool {
	var fired <-chan time.Time
	if d >= 0 {
		w.timer.Reset(d)
		defer w.timer.Stop()
		fired = w.timer.C
	}
	select {
	case <-fired:
		return true
	case <-changed:
		return true
	case <-w.c.done:
		return false
	}
}

// bucket is a token bucket counting bytes. Its size is burstTime at the
// rate, so a new or idle direction may send that much at once.
type bucket struct {
	tokens float64
	last   time.Time // zero until the first take, which fills the bucket
}

// take refills the bucket for the time since the last take and takes up to
// want tokens. It takes nothing until min(want, size) tokens are there, so
// that low rates don't write a byte at a time; it then returns 0 and how
// long to wait for them.
func (b *bucket) take(now time.Time, rate, want int) (int, time.Duration) {
	r := float64(rate)
	size := max(r*burstTime.Seconds(), 1)
	b.tokens = min(size, b.tokens+now.Sub(b.last).Seconds()*r)
	b.last = now
	need := min(float64(want), size)
	if b.tokens < need {
		wait := math.Ceil((need - b.tokens) / r * float64(time.Second))
		return 0, time.Duration(wait)
	}
	n := min(want, int(b.tokens))
	b.tokens -= float64(n)
	return n, 0
}
