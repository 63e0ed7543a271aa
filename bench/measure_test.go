package main

import (
	"math"
	"testing"
	"time"
)

// reportsEvery builds reports every period from t0, with the given rates.
func reportsEvery(t0 time.Time, period time.Duration, rates ...float64) []rateReport {
	rs := make([]rateReport, len(rates))
	for i, v := range rates {
		rs[i] = rateReport{t: t0.Add(time.Duration(i) * period), rate: v}
	}
	return rs
}

func TestThrWindow(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		w       thrWindow
		reports []rateReport
		want    float64
		n       int
	}{
		{
			// The node reports every second: the first report (the
			// first second) is warm-up, the next three are the window.
			name:    "node",
			w:       thrWindow{period: time.Second, warm: time.Second, window: 3 * time.Second},
			reports: reportsEvery(t0, time.Second, 100, 200, 300, 400, 999),
			want:    300, n: 3,
		},
		{
			name:    "jitter",
			w:       thrWindow{period: time.Second, warm: time.Second, window: 3 * time.Second},
			reports: []rateReport{{t0, 1}, {t0.Add(1010 * time.Millisecond), 10}, {t0.Add(1990 * time.Millisecond), 20}, {t0.Add(3040 * time.Millisecond), 30}, {t0.Add(3980 * time.Millisecond), 999}},
			want:    20, n: 3,
		},
		{
			// z_sub_thr skipped the periods without messages: they count
			// as zero once more than one is missing.
			name:    "pico gaps",
			w:       thrWindow{period: 100 * time.Millisecond, warm: 200 * time.Millisecond, window: 500 * time.Millisecond},
			reports: []rateReport{{t0, 1}, {t0.Add(200 * time.Millisecond), 100}, {t0.Add(300 * time.Millisecond), 100}, {t0.Add(600 * time.Millisecond), 100}},
			want:    300.0 / 4, n: 3,
		},
		{
			name:    "one missing report",
			w:       thrWindow{period: 100 * time.Millisecond, warm: 200 * time.Millisecond, window: 500 * time.Millisecond},
			reports: append(reportsEvery(t0, 100*time.Millisecond, 1, 100, 100, 100, 100), rateReport{t0.Add(600 * time.Millisecond), 100}),
			want:    100, n: 4,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, n, err := tc.w.rate(tc.reports)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > 1e-9 || n != tc.n {
				t.Errorf("rate = %v over %d reports, want %v over %d", got, n, tc.want, tc.n)
			}
		})
	}
	w := thrWindow{period: time.Second, warm: time.Second, window: 3 * time.Second}
	if _, _, err := w.rate(nil); err == nil {
		t.Error("no reports: no error")
	}
	if _, _, err := w.rate(reportsEvery(t0, time.Second, 5)); err == nil {
		t.Error("only the warm-up report: no error")
	}
}

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"5272561.4 msg/s", 5272561.4, true},
		{"2024136.829", 2024136.829, true},
		{"  0.0\r", 0, true},
		{"median 5.0 msg/s over 3 reports", 0, false},
		{"Pong app is running", 0, false},
		{"-1", 0, false},
		{"NaN", 0, false},
	} {
		got, ok := parseRate(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRate(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRTT(t *testing.T) {
	st, err := rttFromSamples([]float64{5, 1, 4, 2, 3})
	if err != nil || st.median != 3 || st.p99 != 5 || st.rounds != 5 {
		t.Errorf("rttFromSamples = %+v, %v", st, err)
	}
	s := make([]float64, 1000)
	for i := range s {
		s[i] = float64(i + 1)
	}
	if p := percentile(s, 0.99); p != 990 {
		t.Errorf("p99 of 1..1000 = %v, want 990", p)
	}
	if p := percentile(s, 0.5); p != 500 {
		t.Errorf("median of 1..1000 = %v, want 500", p)
	}
	if _, err := rttFromSamples(nil); err == nil {
		t.Error("no samples: no error")
	}
	ls := []line{{s: "Pong app is running"}, {s: "41"}, {s: "3.5"}, {s: "Tx failed"}}
	if got := rttSamples(ls); len(got) != 2 || got[0] != 41 || got[1] != 3.5 {
		t.Errorf("rttSamples = %v", got)
	}

	out := []line{{s: "something"}, {s: "rtt min/median/p90/p99/max = 50.9/163.8/235.2/339.4/2810.8 us over 1000 rounds of 8 B, 0 lost"}}
	st, ok := parseNodePing(out)
	if !ok || st.median != 163.8 || st.p99 != 339.4 || st.rounds != 1000 {
		t.Errorf("parseNodePing = %+v, %v", st, ok)
	}
	if _, ok := parseNodePing(out[:1]); ok {
		t.Error("parseNodePing without a summary: ok")
	}
}
