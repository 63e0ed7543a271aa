package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// System IDs, as -only takes them.
const (
	sysGoPeer     = "gozenoh-peer"
	sysGoRouter   = "gozenoh-router"
	sysNATS       = "nats"
	sysPicoPeer   = "pico-peer"
	sysPicoRouter = "pico-router"
)

// system is one of the compared setups.
type system struct {
	id    string
	label string // in the tables
	short string // in the chart
	setup string // what runs, for the setups table
}

// allSystems lists every setup in table order. The gozenoh and pico
// figures come from separate OS processes each; NATS's server runs in the
// harness process, its clients in processes of their own.
var allSystems = []system{
	{sysGoPeer, "gozenoh peer ↔ peer", "gozenoh p2p",
		"`node bench pub-thr` / `ping` (peer, connects) → `node bench sub-thr` / `pong` (peer, listens): 2 processes, one TCP session"},
	{sysGoRouter, "gozenoh via router", "gozenoh router",
		"`node bench` clients → `node` router → `node bench` clients: 3 processes"},
	{sysNATS, "NATS", "NATS",
		"nats-server embedded in the harness process (127.0.0.1, random port); nats.go publisher and subscriber (or ping and pong) in 2 processes of their own"},
	{sysPicoPeer, "zenoh-pico peer ↔ peer", "pico p2p",
		"`z_pub_thr` / `z_ping` (peer, connects) → `z_sub_thr` / `z_pong` (peer, listens): 2 processes"},
	{sysPicoRouter, "zenoh-pico via gozenoh router", "pico via gozenoh",
		"`z_pub_thr` / `z_ping` clients → gozenoh `node` router → `z_sub_thr` / `z_pong` clients: 3 processes"},
}

// cell names one figure: a system at a payload size.
type cell struct {
	sys     string
	payload int
}

// report is everything a run measured, and what the tables say about it.
type report struct {
	machine  string // one line: CPU, cores, Go, date
	versions string // one line: the compared software
	settings string // one line: warm-up, window, rounds
	wall     time.Duration
	payloads []int
	systems  []system // those run, in table order
	thr      map[cell]float64
	rtt      map[cell]rttStats
	failures []string // one line each: what failed and why
	notes    []string // one line each
}

func newReport(systems []system, payloads []int) *report {
	return &report{systems: systems, payloads: payloads,
		thr: map[cell]float64{}, rtt: map[cell]rttStats{}}
}

// picoRef is the system the "vs zenoh-pico" columns divide by: pico peer
// to peer (pico alone) when it ran, else pico clients through our router.
func (r *report) picoRef() string {
	for _, id := range []string{sysPicoPeer, sysPicoRouter} {
		for _, s := range r.systems {
			if s.id == id {
				return id
			}
		}
	}
	return ""
}

// ratio formats x/ref as "1.8× name": two significant digits, "—" when
// either figure is missing or zero.
func ratio(x, ref float64, name string) string {
	if x <= 0 || ref <= 0 || math.IsNaN(x) || math.IsNaN(ref) {
		return "—"
	}
	q := x / ref
	var s string
	switch {
	case q >= 9.95:
		s = fmt.Sprintf("%.0f", q)
	case q >= 0.995:
		s = fmt.Sprintf("%.1f", q)
	default:
		s = fmt.Sprintf("%.2f", q)
	}
	return s + "× " + name
}

// fmtRate formats msg/s: "3.12 M", "876 k", "950".
func fmtRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0f k", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.1f k", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

// fmtMBps formats the payload bandwidth in MB/s (10⁶ bytes).
func fmtMBps(rate float64, payload int) string {
	mb := rate * float64(payload) / 1e6
	if mb >= 100 {
		return fmt.Sprintf("%.0f", mb)
	}
	return fmt.Sprintf("%.1f", mb)
}

// fmtMicros formats a duration given in µs.
func fmtMicros(us float64) string {
	switch {
	case us >= 10000:
		return fmt.Sprintf("%.1f ms", us/1000)
	case us >= 1000:
		return fmt.Sprintf("%.2f ms", us/1000)
	case us >= 100:
		return fmt.Sprintf("%.0f µs", us)
	default:
		return fmt.Sprintf("%.1f µs", us)
	}
}

// fmtPayload formats a payload size: "8 B", "1 KiB", "8 KiB".
func fmtPayload(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

// ratioCell is the ratio of a figure to a reference system's, or "—" on
// the reference's own row.
func ratioCell(sys, ref string, x float64, refVal float64, ok bool, name string) string {
	if sys == ref || !ok {
		return "—"
	}
	return ratio(x, refVal, name)
}

// markdown renders the report: machine line, throughput and round-trip
// tables with their ratios, the setups, failures and notes.
func (r *report) markdown() string {
	var b strings.Builder
	ref := r.picoRef()
	refName := ""
	for _, s := range r.systems {
		if s.id == ref {
			refName = s.label
		}
	}
	fmt.Fprintf(&b, "Machine: %s\n\n", r.machine)
	if r.versions != "" {
		fmt.Fprintf(&b, "Software: %s\n\n", r.versions)
	}
	if r.settings != "" {
		fmt.Fprintf(&b, "Run: %s", r.settings)
		if r.wall > 0 {
			fmt.Fprintf(&b, "; wall time %v", r.wall.Round(time.Second))
		}
		b.WriteString("\n\n")
	}
	hasNATS := r.has(sysNATS)
	picoHdr := ""
	if ref != "" {
		picoHdr = " | vs zenoh-pico"
	}
	natsHdr := ""
	if hasNATS {
		natsHdr = " | vs NATS"
	}

	b.WriteString("### Throughput (messages per second received by the subscriber)\n\n")
	fmt.Fprintf(&b, "| payload | system | msg/s | MB/s%s%s |\n", natsHdr, picoHdr)
	b.WriteString("|---:|---|---:|---:|" + strings.Repeat("---:|", btoi(hasNATS)+btoi(ref != "")) + "\n")
	for _, p := range r.payloads {
		nats, natsOK := r.thr[cell{sysNATS, p}]
		pico, picoOK := r.thr[cell{ref, p}]
		for _, s := range r.systems {
			v, ok := r.thr[cell{s.id, p}]
			fig, mb := "failed", "—"
			if ok {
				fig, mb = fmtRate(v), fmtMBps(v, p)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s", fmtPayload(p), s.label, fig, mb)
			if hasNATS {
				fmt.Fprintf(&b, " | %s", ratioCell(s.id, sysNATS, v, nats, ok && natsOK, "NATS"))
			}
			if ref != "" {
				fmt.Fprintf(&b, " | %s", ratioCell(s.id, ref, v, pico, ok && picoOK, "pico"))
			}
			b.WriteString(" |\n")
		}
	}

	b.WriteString("\n### Ping-pong round trip (publish, echo, receive; lower is better)\n\n")
	fmt.Fprintf(&b, "| payload | system | median | p99%s%s |\n", natsHdr, picoHdr)
	b.WriteString("|---:|---|---:|---:|" + strings.Repeat("---:|", btoi(hasNATS)+btoi(ref != "")) + "\n")
	for _, p := range r.payloads {
		nats, natsOK := r.rtt[cell{sysNATS, p}]
		pico, picoOK := r.rtt[cell{ref, p}]
		for _, s := range r.systems {
			v, ok := r.rtt[cell{s.id, p}]
			med, p99 := "failed", "—"
			if ok {
				med, p99 = fmtMicros(v.median), fmtMicros(v.p99)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s", fmtPayload(p), s.label, med, p99)
			if hasNATS {
				fmt.Fprintf(&b, " | %s", ratioCell(s.id, sysNATS, v.median, nats.median, ok && natsOK, "NATS"))
			}
			if ref != "" {
				fmt.Fprintf(&b, " | %s", ratioCell(s.id, ref, v.median, pico.median, ok && picoOK, "pico"))
			}
			b.WriteString(" |\n")
		}
	}

	var refs []string
	if hasNATS {
		refs = append(refs, "NATS's")
	}
	if ref != "" {
		refs = append(refs, refName+"'s")
	}
	if len(refs) > 0 {
		fmt.Fprintf(&b, "\nRatios divide the row's figure by %s at the same payload: above 1× is more messages per second in the throughput table, a longer median round trip in the ping-pong table.\n",
			strings.Join(refs, " or by "))
	}
	b.WriteString("\n")

	b.WriteString("| system | what runs |\n|---|---|\n")
	for _, s := range r.systems {
		fmt.Fprintf(&b, "| %s | %s |\n", s.label, s.setup)
	}
	if len(r.notes) > 0 {
		b.WriteString("\nNotes:\n\n")
		for _, n := range r.notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	if len(r.failures) > 0 {
		b.WriteString("\nFailures:\n\n")
		for _, f := range r.failures {
			fmt.Fprintf(&b, "- %s\n", strings.ReplaceAll(f, "\n", " "))
		}
	}
	return b.String()
}

func (r *report) has(id string) bool {
	for _, s := range r.systems {
		if s.id == id {
			return true
		}
	}
	return false
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
