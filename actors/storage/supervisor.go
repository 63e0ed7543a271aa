package storage

import (
	"log/slog"
	"maps"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// SupervisorConfig configures the supervisor of a node's storages.
type SupervisorConfig struct {
	Storages []Config
	// MinBackoff and MaxBackoff bound the wait before a stopped storage
	// is started again; it doubles while the storage keeps failing
	// (defaults 100 ms and 30 s).
	MinBackoff, MaxBackoff time.Duration
	Logger                 *slog.Logger
}

// SupervisorProps returns the props of the actor that runs a node's
// storages as its children and starts again, after a backoff, any that
// stops (a storage stops itself on a store error).
func SupervisorProps(cfg SupervisorConfig) *actor.Props {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	for i := range cfg.Storages {
		if cfg.Storages[i].Stats == nil {
			cfg.Storages[i].Stats = &Stats{}
		}
	}
	return actor.PropsFromProducer(func() actor.Actor {
		return &supervisor{cfg: cfg, byPID: map[string]int{}, backoff: make([]time.Duration, len(cfg.Storages)),
			started: make([]time.Time, len(cfg.Storages))}
	})
}

type restart struct{ i int }

// AwaitReady asks the supervisor to answer Ready once every storage has
// started and declared its subscriber and queryable (the first time).
type AwaitReady struct{}

// Ready answers AwaitReady.
type Ready struct{}

// ListRunning asks the supervisor for the storages running and declared
// now, answered with Running. Fault-injection tests stop them.
type ListRunning struct{}

// Running answers ListRunning: storage name → actor, and → its
// companion (aligner) when one runs.
type Running struct{ PIDs, Companions map[string]*actor.PID }

// companionStarted tells the supervisor a storage's companion actor.
type companionStarted struct {
	name string
	pid  *actor.PID
}

type supervisor struct {
	cfg      SupervisorConfig
	byPID    map[string]int // running child → storage index
	backoff  []time.Duration
	started  []time.Time
	stopping bool
	ready    map[string]bool
	waiters  []*actor.PID
	live     map[string]*actor.PID // name → the running child, once declared
	// companions: name → the last companion a storage started (it may
	// have stopped since; ListRunning reports it while its storage runs).
	companions map[string]*actor.PID
}

func (s *supervisor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		for i := range s.cfg.Storages {
			s.spawn(ctx, i)
		}
	case *actor.Terminated:
		i, ok := s.byPID[m.Who.Id]
		if !ok || s.stopping {
			return
		}
		delete(s.byPID, m.Who.Id)
		if p := s.live[s.cfg.Storages[i].Name]; p != nil && p.Id == m.Who.Id {
			delete(s.live, s.cfg.Storages[i].Name)
		}
		b := s.backoff[i]
		switch {
		case b == 0 || time.Since(s.started[i]) > s.cfg.MaxBackoff:
			b = s.cfg.MinBackoff // it had been running well: start again soon
		default:
			b = min(2*b, s.cfg.MaxBackoff)
		}
		s.backoff[i] = b
		s.cfg.Logger.Warn("storage stopped, restarting", "storage", s.cfg.Storages[i].Name, "after", b)
		self, sys := ctx.Self(), ctx.ActorSystem()
		time.AfterFunc(b, func() { sys.Root.Send(self, &restart{i: i}) })
	case *restart:
		if !s.stopping {
			s.spawn(ctx, m.i)
		}
	case *storageReady:
		if s.ready == nil {
			s.ready = map[string]bool{}
		}
		s.ready[m.name] = true
		if _, ok := s.byPID[ctx.Sender().GetId()]; ok {
			if s.live == nil {
				s.live = map[string]*actor.PID{}
			}
			s.live[m.name] = ctx.Sender()
		}
		s.wake(ctx)
	case *ListRunning:
		out := make(map[string]*actor.PID, len(s.live))
		maps.Copy(out, s.live)
		comp := map[string]*actor.PID{}
		for name, pid := range s.companions {
			if out[name] != nil {
				comp[name] = pid
			}
		}
		ctx.Respond(&Running{PIDs: out, Companions: comp})
	case *companionStarted:
		if s.companions == nil {
			s.companions = map[string]*actor.PID{}
		}
		s.companions[m.name] = m.pid
	case *AwaitReady:
		s.waiters = append(s.waiters, ctx.Sender())
		s.wake(ctx)
	case *actor.Stopping:
		s.stopping = true
	}
}

func (s *supervisor) spawn(ctx actor.Context, i int) {
	pid := ctx.Spawn(Props(s.cfg.Storages[i]))
	s.byPID[pid.Id] = i
	s.started[i] = time.Now()
}

// wake answers the AwaitReady requests once every storage was ready.
func (s *supervisor) wake(ctx actor.Context) {
	if len(s.ready) < len(s.cfg.Storages) {
		return
	}
	for _, w := range s.waiters {
		if w != nil {
			ctx.Send(w, &Ready{})
		}
	}
	s.waiters = nil
}
