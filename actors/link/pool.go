package link

import "github.com/asynkron/protoactor-go/actor"

// bufPool is a link's bounded set of Inbound messages, each with its own
// receive buffer. The reader goroutine takes one before each read and the
// owner gives it back with Inbound.Release; when all are out the reader
// blocks, stops reading the socket, and the peer's writes back up (back
// pressure). Buffers are allocated on first use, so an idle link holds
// one.
type bufPool struct {
	free chan *Inbound   // released messages; capacity = pool size
	done <-chan struct{} // closed when the link stops
	link *actor.PID      // stamped on every message
	size int             // bytes per buffer
	made int             // messages allocated so far; reader goroutine only
}

func newBufPool(n, size int, link *actor.PID, done <-chan struct{}) *bufPool {
	return &bufPool{free: make(chan *Inbound, n), done: done, link: link, size: size}
}

// get returns an empty message, blocking while all are with the owner. It
// returns nil once the link stops. Only the reader goroutine calls it.
func (p *bufPool) get() *Inbound {
	var m *Inbound
	select {
	case m = <-p.free:
	default:
		if p.made < cap(p.free) {
			p.made++
			m = &Inbound{buf: make([]byte, p.size)}
		} else {
			select {
			case m = <-p.free:
			case <-p.done:
				return nil
			}
		}
	}
	m.Link, m.pool, m.Data = p.link, p, m.buf[:0]
	return m
}

// put takes a message back (from Release, on any goroutine). The channel
// has room for every message the pool made, so it never blocks. (Release
// clears m.pool, so a second Release of the same delivery is a no-op.)
func (p *bufPool) put(m *Inbound) {
	select {
	case p.free <- m:
	default:
	}
}
