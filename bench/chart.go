package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// systemColors gives each system the same colour in every panel, in
// allSystems order.
var systemColors = map[string]color.RGBA{
	sysGoPeer:     {R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	sysGoRouter:   {R: 0x6b, G: 0xae, B: 0xd6, A: 0xff},
	sysNATS:       {R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	sysPicoPeer:   {R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	sysPicoRouter: {R: 0xff, G: 0x98, B: 0x96, A: 0xff},
}

// chartDPI sets the PNG's pixel size: about 1,600 pixels wide for four
// payloads.
const chartDPI = 96

// metric is one row of panels in the chart.
type metric struct {
	title string
	value func(r *report, c cell) (float64, bool)
	label func(v float64) string
}

var chartMetrics = []metric{
	{"throughput, msg/s (higher is better)",
		func(r *report, c cell) (float64, bool) { v, ok := r.thr[c]; return v, ok },
		fmtRate},
	{"median round trip, µs (lower is better)",
		func(r *report, c cell) (float64, bool) { v, ok := r.rtt[c]; return v.median, ok },
		fmtMicros},
	{"p99 round trip, µs (lower is better)",
		func(r *report, c cell) (float64, bool) { v, ok := r.rtt[c]; return v.p99, ok },
		fmtMicros},
}

// writeChart draws one panel per metric (rows) and payload (columns),
// each with a bar per system, and writes it as a PNG.
func writeChart(path string, r *report) error {
	rows := make([][]*plot.Plot, len(chartMetrics))
	for i, m := range chartMetrics {
		rows[i] = make([]*plot.Plot, len(r.payloads))
		for j, p := range r.payloads {
			pl, err := panel(r, m, p)
			if err != nil {
				return fmt.Errorf("chart: %w", err)
			}
			rows[i][j] = pl
		}
	}
	width := vg.Length(max(2, len(r.payloads))) * 4.2 * vg.Inch
	height := vg.Length(len(chartMetrics))*3.6*vg.Inch + 0.6*vg.Inch
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(chartDPI))
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())

	// A title strip with the machine line above the panels.
	title := text.Style{Color: color.Black, Font: plot.DefaultFont, Handler: plot.DefaultTextHandler,
		XAlign: draw.XCenter, YAlign: draw.YTop}
	title.Font.Size = vg.Points(13)
	dc.FillText(title, vg.Point{X: width / 2, Y: height - 0.1*vg.Inch}, "gozenoh vs NATS vs zenoh-pico on loopback")
	title.Font.Size = vg.Points(9)
	dc.FillText(title, vg.Point{X: width / 2, Y: height - 0.35*vg.Inch}, r.machine)

	body := draw.Crop(dc, 0, 0, 0, -0.6*vg.Inch)
	tiles := draw.Tiles{Rows: len(chartMetrics), Cols: len(r.payloads),
		PadTop: 2, PadBottom: 2, PadLeft: 4, PadRight: 4, PadX: 0.25 * vg.Inch, PadY: 0.2 * vg.Inch}
	canvases := plot.Align(rows, tiles, body)
	for i := range rows {
		for j := range rows[i] {
			rows[i][j].Draw(canvases[i][j])
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("chart %s: %w", path, err)
	}
	return f.Close()
}

// panel is one metric at one payload: a bar per system, labelled.
func panel(r *report, m metric, payload int) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmtPayload(payload) + ": " + m.title
	p.Title.TextStyle.Font.Size = vg.Points(10)
	p.Y.Tick.Label.Font.Size = vg.Points(8)
	p.Y.Tick.Marker = siTicks{}
	p.X.Tick.Label.Font.Size = vg.Points(8)
	p.X.Tick.Label.Rotation = math.Pi / 7
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter

	names := make([]string, len(r.systems))
	var xys plotter.XYs
	var labels []string
	top := 0.0
	for k, s := range r.systems {
		names[k] = s.short
		v, ok := m.value(r, cell{s.id, payload})
		lbl := "failed"
		if ok {
			lbl = m.label(v)
		} else {
			v = 0
		}
		bc, err := plotter.NewBarChart(plotter.Values{v}, vg.Points(22))
		if err != nil {
			return nil, err
		}
		bc.XMin = float64(k)
		bc.Color = systemColors[s.id]
		bc.LineStyle.Width = 0
		p.Add(bc)
		xys = append(xys, plotter.XY{X: float64(k), Y: v})
		labels = append(labels, lbl)
		top = max(top, v)
	}
	if top <= 0 {
		top = 1
	}
	p.Y.Min, p.Y.Max = 0, top*1.18
	lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return nil, err
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i].Font.Size = vg.Points(7.5)
		lb.TextStyle[i].XAlign = draw.XCenter
	}
	lb.Offset = vg.Point{Y: 2}
	p.Add(lb)
	p.NominalX(names...)
	return p, nil
}

// siTicks are the default ticks with labels like 1.5M, 200k, 40.
type siTicks struct{}

func (siTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label == "" {
			continue
		}
		v := ts[i].Value
		switch {
		case math.Abs(v) >= 1e6:
			ts[i].Label = trimZeros(fmt.Sprintf("%.2f", v/1e6)) + "M"
		case math.Abs(v) >= 1e3:
			ts[i].Label = trimZeros(fmt.Sprintf("%.1f", v/1e3)) + "k"
		default:
			ts[i].Label = trimZeros(fmt.Sprintf("%.1f", v))
		}
	}
	return ts
}

// trimZeros drops a fraction's trailing zeros: "1.50" → "1.5", "2.0" → "2".
func trimZeros(s string) string {
	for len(s) > 1 && s[len(s)-1] == '0' && strings.Contains(s, ".") {
		s = s[:len(s)-1]
	}
	if len(s) > 1 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}
