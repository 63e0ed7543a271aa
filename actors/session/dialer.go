package session

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/link"
)

// DialerConfig configures a dialer.
type DialerConfig struct {
	// Session is the template of the sessions the dialer opens.
	Session ActorConfig
	// MinBackoff and MaxBackoff bound the wait between attempts, which
	// doubles after each failure, with jitter (defaults 100 ms and 4 s).
	MinBackoff, MaxBackoff time.Duration
	// DialTimeout bounds one connection attempt (default 5 s).
	DialTimeout time.Duration
	// Discover, when set, finds the endpoints to try before each attempt
	// (scouting for a router); the dialer's own endpoint is then unused.
	// It must return when ctx ends.
	Discover func(ctx context.Context) ([]link.Endpoint, error)
}

// DialerProps returns the props of a dialer: it connects to ep, opens a
// session over the connection as its child, and when that session ends,
// or the connection cannot be made, tries again after a backoff.
func DialerProps(ep link.Endpoint, cfg DialerConfig) *actor.Props {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 4 * time.Second
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.Session.Logger == nil {
		cfg.Session.Logger = slog.New(slog.DiscardHandler)
	}
	return actor.PropsFromProducer(func() actor.Actor { return &dialer{ep: ep, cfg: cfg} })
}

// dialed reports the outcome of one connection attempt.
type dialed struct {
	conn net.Conn
	info link.Info
	err  error
}

// redial is the dialer's backoff timer.
type redial struct{}

// quiesce tells a dialer to stop dialing: its session, if any, lives on
// until it ends by itself, and is not replaced.
type quiesce struct{}

type dialer struct {
	ep      link.Endpoint
	cfg     DialerConfig
	backoff time.Duration
	session *actor.PID
	opened  bool // the current session reached its data phase
	quiet   bool // quiesced: no more attempts

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	timer   *time.Timer
	mu      sync.Mutex
	stopped bool // set on Stopping: a late connection is closed, not reported
	self    *actor.PID
	system  *actor.ActorSystem
	log     *slog.Logger
}

func (d *dialer) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		d.self, d.system = ctx.Self(), ctx.ActorSystem()
		d.log = d.cfg.Session.Logger.With("endpoint", d.ep.String())
		d.dial()
	case *quiesce:
		d.quiet = true
		if d.timer != nil {
			d.timer.Stop()
			d.timer = nil
		}
	case *dialed:
		d.wg.Wait()
		if d.quiet {
			if m.conn != nil {
				_ = m.conn.Close()
			}
			return
		}
		if m.err != nil {
			d.log.Debug("connect failed", "err", m.err)
			d.retry()
			return
		}
		c := d.cfg.Session
		c.Acceptor = nil
		c.Conn, c.Info = m.conn, m.info
		d.opened = false
		d.session = ctx.Spawn(Props(c))
	case *Opened:
		// The session reached its data phase: the next failure starts
		// from the shortest backoff again.
		d.backoff = 0
	case *actor.Terminated:
		if d.session != nil && m.Who.Equal(d.session) {
			d.session = nil
			d.retry()
		}
	case *redial:
		d.timer = nil
		if d.session == nil && !d.quiet {
			d.dial()
		}
	case *actor.Stopping:
		if d.timer != nil {
			d.timer.Stop()
		}
		if d.cancel != nil {
			d.cancel()
		}
		d.mu.Lock()
		d.stopped = true
		d.mu.Unlock()
		d.wg.Wait()
	}
}

// dial connects in a goroutine (a connect blocks) and reports dialed.
func (d *dialer) dial() {
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.DialTimeout)
	d.cancel = cancel
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer cancel()
		conn, info, err := d.connect(ctx)
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.stopped {
			if conn != nil {
				_ = conn.Close()
			}
			return
		}
		d.system.Root.Send(d.self, &dialed{conn: conn, info: info, err: err})
	}()
}

// connect dials the dialer's endpoint, or the first endpoint Discover
// finds that accepts a connection.
func (d *dialer) connect(ctx context.Context) (net.Conn, link.Info, error) {
	if d.cfg.Discover == nil {
		return link.Dial(ctx, d.ep)
	}
	eps, err := d.cfg.Discover(ctx)
	if err != nil {
		return nil, link.Info{}, err
	}
	err = errNothingFound
	for _, ep := range eps {
		var conn net.Conn
		var info link.Info
		if conn, info, err = link.Dial(ctx, ep); err == nil {
			return conn, info, nil
		}
	}
	return nil, link.Info{}, err
}

// errNothingFound: scouting found no endpoint to dial.
var errNothingFound = errors.New("session: scouting found no endpoint")

// retry arms the backoff timer: full jitter between half and all of the
// current backoff, which doubles up to MaxBackoff.
func (d *dialer) retry() {
	if d.quiet {
		return
	}
	if d.backoff == 0 {
		d.backoff = d.cfg.MinBackoff
	} else {
		d.backoff = min(2*d.backoff, d.cfg.MaxBackoff)
	}
	wait := d.backoff/2 + rand.N(d.backoff/2+1)
	self, sys := d.self, d.system
	d.timer = time.AfterFunc(wait, func() { sys.Root.Send(self, &redial{}) })
}
