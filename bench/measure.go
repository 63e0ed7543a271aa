package main

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// rateReport is one throughput figure a subscriber printed: msg/s over
// the period that ended when it was printed.
type rateReport struct {
	t    time.Time
	rate float64
}

// thrWindow says which reports make a throughput figure. The first report
// ends the first period after the first message; reports are then taken
// from warm after the first message, for window. Both are measured from
// the first message, so a slow start-up never eats into the window.
type thrWindow struct {
	period time.Duration // the subscriber's reporting period
	warm   time.Duration
	window time.Duration
}

// bounds returns the times (lo, hi] in which reports count.
func (w thrWindow) bounds(first time.Time) (lo, hi time.Time) {
	start := first.Add(-w.period) // about when the first message came
	lo = start.Add(w.warm + w.period/2)
	return lo, lo.Add(w.window)
}

// rate is the mean rate over the window: the number of messages the
// window's reports count, divided by its length. zenoh-pico's z_sub_thr
// prints nothing for a period without messages, so a report missing from
// the window counts as zero: the divisor is at least the number of
// periods in the window, less one for the jitter at its edges. n is the
// number of reports used.
func (w thrWindow) rate(reports []rateReport) (rate float64, n int, err error) {
	if len(reports) == 0 {
		return 0, 0, fmt.Errorf("no throughput report")
	}
	lo, hi := w.bounds(reports[0].t)
	sum := 0.0
	for _, r := range reports {
		if r.t.After(lo) && !r.t.After(hi) {
			sum += r.rate
			n++
		}
	}
	if n == 0 {
		if last := reports[len(reports)-1].t; !last.After(hi) {
			return 0, 0, fmt.Errorf("messages stopped: %d reports, none in the %v window (the stream stalled)", len(reports), w.window)
		}
		return 0, 0, fmt.Errorf("no report within the %v window (%d reports in all)", w.window, len(reports))
	}
	expected := int(math.Round(float64(w.window) / float64(w.period)))
	return sum / float64(max(n, expected-1, 1)), n, nil
}

// parseRate reads a plain number line (zenoh-pico's z_sub_thr, our NATS
// subscriber) or the node's "N msg/s" line; ok is false for other lines.
func parseRate(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, " msg/s")
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// rateReports picks the rate reports out of a child's output.
func rateReports(ls []line) []rateReport {
	var rs []rateReport
	for _, l := range ls {
		if v, ok := parseRate(l.s); ok {
			rs = append(rs, rateReport{t: l.t, rate: v})
		}
	}
	return rs
}

// rttStats are the round-trip figures of a ping run, in microseconds.
type rttStats struct {
	median, p99 float64
	rounds      int
}

// percentile returns the nearest-rank q-quantile (q in [0, 1]) of sorted,
// as the node's ping does.
func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// rttFromSamples computes the figures from single round trips in µs.
func rttFromSamples(us []float64) (rttStats, error) {
	if len(us) == 0 {
		return rttStats{}, fmt.Errorf("no round trip measured")
	}
	s := slices.Clone(us)
	slices.Sort(s)
	return rttStats{median: percentile(s, 0.5), p99: percentile(s, 0.99), rounds: len(s)}, nil
}

// rttSamples reads one round trip in µs per line (zenoh-pico's z_ping and
// our NATS ping print them so); other lines are skipped.
func rttSamples(ls []line) []float64 {
	var us []float64
	for _, l := range ls {
		if v, err := strconv.ParseFloat(strings.TrimSpace(l.s), 64); err == nil && v >= 0 {
			us = append(us, v)
		}
	}
	return us
}

// nodePingLine is the summary the node's `bench ping` prints.
var nodePingLine = regexp.MustCompile(`rtt min/median/p90/p99/max = ([0-9.]+)/([0-9.]+)/([0-9.]+)/([0-9.]+)/([0-9.]+) us over (\d+) rounds of \d+ B, (\d+) lost`)

// parseNodePing reads the node ping's summary from its output.
func parseNodePing(ls []line) (rttStats, bool) {
	for _, l := range ls {
		m := nodePingLine.FindStringSubmatch(l.s)
		if m == nil {
			continue
		}
		med, err1 := strconv.ParseFloat(m[2], 64)
		p99, err2 := strconv.ParseFloat(m[4], 64)
		n, err3 := strconv.Atoi(m[6])
		if err1 != nil || err2 != nil || err3 != nil {
			return rttStats{}, false
		}
		return rttStats{median: med, p99: p99, rounds: n}, true
	}
	return rttStats{}, false
}
