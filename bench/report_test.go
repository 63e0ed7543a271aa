package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRatio(t *testing.T) {
	for _, tc := range []struct {
		x, ref float64
		want   string
	}{
		{3.6e6, 2e6, "1.8× NATS"},
		{2e6, 2e6, "1.0× NATS"},
		{1e6, 3e6, "0.33× NATS"},
		{0.994, 1, "0.99× NATS"},
		{0.996, 1, "1.0× NATS"},
		{9.94, 1, "9.9× NATS"},
		{9.96, 1, "10× NATS"},
		{123, 1, "123× NATS"},
		{0, 1, "—"},
		{1, 0, "—"},
		{math.NaN(), 1, "—"},
	} {
		if got := ratio(tc.x, tc.ref, "NATS"); got != tc.want {
			t.Errorf("ratio(%v, %v) = %q, want %q", tc.x, tc.ref, got, tc.want)
		}
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{fmtRate(3_123_456), "3.12 M"},
		{fmtRate(876_310), "876 k"},
		{fmtRate(5_105), "5.1 k"},
		{fmtRate(950), "950"},
		{fmtMBps(1e6, 8), "8.0"},
		{fmtMBps(210_000, 8192), "1720"},
		{fmtMicros(41), "41.0 µs"},
		{fmtMicros(310.4), "310 µs"},
		{fmtMicros(1965), "1.97 ms"},
		{fmtMicros(12_500), "12.5 ms"},
		{fmtPayload(8), "8 B"},
		{fmtPayload(1024), "1 KiB"},
		{fmtPayload(1000), "1000 B"},
		{trimZeros("1.50"), "1.5"},
		{trimZeros("2.0"), "2"},
		{trimZeros("100"), "100"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// fixedReport has every system at 8 B and a failed gozenoh router
// throughput at 1 KiB.
func fixedReport() *report {
	r := newReport(allSystems, []int{8, 1024})
	r.machine = "Test CPU, 2 cores"
	r.versions = "test"
	r.settings = "fixed numbers"
	r.wall = 95 * time.Second
	for id, v := range map[string]float64{sysGoPeer: 3.6e6, sysGoRouter: 2.6e6, sysNATS: 2e6, sysPicoPeer: 3e6, sysPicoRouter: 1.5e6} {
		r.thr[cell{id, 8}] = v
	}
	for id, v := range map[string]float64{sysGoPeer: 400e3, sysNATS: 300e3, sysPicoPeer: 800e3, sysPicoRouter: 500e3} {
		r.thr[cell{id, 1024}] = v
	}
	for id, v := range map[string]rttStats{
		sysGoPeer:     {median: 100, p99: 300, rounds: 10},
		sysGoRouter:   {median: 320, p99: 570, rounds: 10},
		sysNATS:       {median: 200, p99: 400, rounds: 10},
		sysPicoPeer:   {median: 50, p99: 120, rounds: 10},
		sysPicoRouter: {median: 150, p99: 2000, rounds: 10},
	} {
		r.rtt[cell{id, 8}] = v
		r.rtt[cell{id, 1024}] = v
	}
	r.failures = []string{"gozenoh via router, 1 KiB, throughput: boom\n    | last line"}
	return r
}

func TestMarkdownTables(t *testing.T) {
	md := fixedReport().markdown()
	for _, want := range []string{
		"Machine: Test CPU, 2 cores\n",
		"Run: fixed numbers; wall time 1m35s\n",
		"| payload | system | msg/s | MB/s | vs NATS | vs zenoh-pico |\n|---:|---|---:|---:|---:|---:|\n",
		"| 8 B | gozenoh peer ↔ peer | 3.60 M | 28.8 | 1.8× NATS | 1.2× pico |\n",
		"| 8 B | gozenoh via router | 2.60 M | 20.8 | 1.3× NATS | 0.87× pico |\n",
		"| 8 B | NATS | 2.00 M | 16.0 | — | 0.67× pico |\n",
		"| 8 B | zenoh-pico peer ↔ peer | 3.00 M | 24.0 | 1.5× NATS | — |\n",
		"| 8 B | zenoh-pico via gozenoh router | 1.50 M | 12.0 | 0.75× NATS | 0.50× pico |\n",
		"| 1 KiB | gozenoh peer ↔ peer | 400 k | 410 | 1.3× NATS | 0.50× pico |\n",
		"| 1 KiB | gozenoh via router | failed | — | — | — |\n",
		"| payload | system | median | p99 | vs NATS | vs zenoh-pico |\n",
		"| 8 B | gozenoh peer ↔ peer | 100 µs | 300 µs | 0.50× NATS | 2.0× pico |\n",
		"| 8 B | gozenoh via router | 320 µs | 570 µs | 1.6× NATS | 6.4× pico |\n",
		"| 8 B | zenoh-pico via gozenoh router | 150 µs | 2.00 ms | 0.75× NATS | 3.0× pico |\n",
		"by NATS's or by zenoh-pico peer ↔ peer's at the same payload",
		"- gozenoh via router, 1 KiB, throughput: boom     | last line\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q; it is:\n%s", want, md)
		}
	}
	// Every table row has as many cells as its header.
	for l := range strings.Lines(md) {
		if strings.HasPrefix(l, "| payload") || strings.HasPrefix(l, "| 8 B") || strings.HasPrefix(l, "| 1 KiB") {
			if n := strings.Count(l, "|"); n != 7 {
				t.Errorf("row has %d pipes, want 7: %q", n, l)
			}
		}
	}
}

func TestMarkdownWithoutReferences(t *testing.T) {
	r := fixedReport()
	r.systems = allSystems[:2] // gozenoh only: no ratio columns
	md := r.markdown()
	if strings.Contains(md, "vs NATS") || strings.Contains(md, "vs zenoh-pico") || strings.Contains(md, "Ratios divide") {
		t.Errorf("ratio columns without NATS or pico:\n%s", md)
	}
	if !strings.Contains(md, "| 8 B | gozenoh peer ↔ peer | 3.60 M | 28.8 |\n") {
		t.Errorf("bad row:\n%s", md)
	}

	// Without pico peer to peer, pico through our router is the reference.
	r.systems = []system{allSystems[0], allSystems[2], allSystems[4]}
	if got := r.picoRef(); got != sysPicoRouter {
		t.Errorf("picoRef = %q, want %q", got, sysPicoRouter)
	}
	if md := r.markdown(); !strings.Contains(md, "| 8 B | gozenoh peer ↔ peer | 3.60 M | 28.8 | 1.8× NATS | 2.4× pico |\n") {
		t.Errorf("bad ratio to pico via router:\n%s", md)
	}
}

func TestWriteChart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.png")
	if err := writeChart(path, fixedReport()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 1000 || string(b[1:4]) != "PNG" {
		t.Errorf("%s is not a PNG (%d bytes)", path, len(b))
	}
}

func TestSelectSystems(t *testing.T) {
	for _, tc := range []struct {
		only string
		want []string
		err  bool
	}{
		{"", []string{sysGoPeer, sysGoRouter, sysNATS, sysPicoPeer, sysPicoRouter}, false},
		{"nats", []string{sysNATS}, false},
		{"pico, gozenoh-router", []string{sysGoRouter, sysPicoPeer, sysPicoRouter}, false},
		{"gozenoh,nats", []string{sysGoPeer, sysGoRouter, sysNATS}, false},
		{"zeromq", nil, true},
	} {
		got, err := selectSystems(tc.only)
		if (err != nil) != tc.err {
			t.Errorf("selectSystems(%q) error %v, want error %v", tc.only, err, tc.err)
			continue
		}
		var ids []string
		for _, s := range got {
			ids = append(ids, s.id)
		}
		if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
			t.Errorf("selectSystems(%q) = %v, want %v", tc.only, ids, tc.want)
		}
	}
}

func TestParsePayloads(t *testing.T) {
	got, err := parsePayloads("8, 64,8,1024")
	if err != nil || len(got) != 3 || got[0] != 8 || got[1] != 64 || got[2] != 1024 {
		t.Errorf("parsePayloads = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "-8", "x", "8,,64", "1048576"} {
		if _, err := parsePayloads(bad); err == nil {
			t.Errorf("parsePayloads(%q): no error", bad)
		}
	}
}
