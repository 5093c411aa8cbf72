package tfbench

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strconv"
	"strings"
)

// Chart is a small line chart drawn with the standard library only: series
// on a left axis and optionally one right axis, labels in a built-in 3×5
// pixel font.
type Chart struct {
	Title, XLabel, YLabel, Y2Label string
	Series                         []Series
}

// Series is one line; Right puts it on the right axis.
type Series struct {
	Name   string
	Points [][2]float64
	Right  bool
}

var palette = []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}}

const (
	chartW, chartH = 900, 600
	scale          = 2 // font pixel size
	left, right    = 80, 90
	top, bottom    = 50, 150
)

// WritePNG renders the chart as a PNG.
func (c *Chart) WritePNG(w io.Writer) error {
	img := image.NewRGBA(image.Rect(0, 0, chartW, chartH))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	black, grey := color.RGBA{0, 0, 0, 255}, color.RGBA{225, 225, 225, 255}
	x0, x1, y0, y1 := left, chartW-right, chartH-bottom, top // y0 is the bottom
	var xmax, lmax, rmax float64
	for _, s := range c.Series {
		for _, p := range s.Points {
			xmax = math.Max(xmax, p[0])
			if s.Right {
				rmax = math.Max(rmax, p[1])
			} else {
				lmax = math.Max(lmax, p[1])
			}
		}
	}
	xmax, lmax, rmax = nice(xmax), nice(lmax), nice(rmax)
	px := func(x float64) int { return x0 + int(x/xmax*float64(x1-x0)) }
	py := func(y, ymax float64) int { return y0 - int(y/ymax*float64(y0-y1)) }
	// grid and ticks: 5 divisions on each axis
	for i := 0; i <= 5; i++ {
		f := float64(i) / 5
		gy := y0 - int(f*float64(y0-y1))
		line(img, x0, gy, x1, gy, grey)
		text(img, x0-8-textWidth(label(f*lmax)), gy-5, label(f*lmax), black)
		if rmax > 0 {
			text(img, x1+8, gy-5, label(f*rmax), black)
		}
		gx := x0 + int(f*float64(x1-x0))
		line(img, gx, y1, gx, y0, grey)
		text(img, gx-textWidth(label(f*xmax))/2, y0+8, label(f*xmax), black)
	}
	line(img, x0, y0, x1, y0, black)
	line(img, x0, y0, x0, y1, black)
	if rmax > 0 {
		line(img, x1, y0, x1, y1, black)
	}
	text(img, (chartW-textWidth(c.Title))/2, 15, c.Title, black)
	text(img, (x0+x1-textWidth(c.XLabel))/2, y0+28, c.XLabel, black)
	text(img, 8, y1-30, c.YLabel, black)
	text(img, x1-textWidth(c.Y2Label)+right-8, y1-30, c.Y2Label, black)
	for i, s := range c.Series {
		col := palette[i%len(palette)]
		ymax := lmax
		if s.Right {
			ymax = rmax
		}
		for j, p := range s.Points {
			x, y := px(p[0]), py(p[1], ymax)
			fill(img, x-3, y-3, x+3, y+3, col)
			if j > 0 {
				q := s.Points[j-1]
				thick(img, px(q[0]), py(q[1], ymax), x, y, col)
			}
		}
		// legend below the axis
		ly := y0 + 50 + 18*i
		fill(img, x0, ly, x0+24, ly+8, col)
		text(img, x0+32, ly-1, s.Name, black)
	}
	return png.Encode(w, img)
}

// nice rounds v up to 1, 2 or 5 times a power of ten.
func nice(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func label(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v, 'f', 2, 64), "0"), ".")
}

func fill(img *image.RGBA, xa, ya, xb, yb int, c color.Color) {
	draw.Draw(img, image.Rect(xa, ya, xb, yb), image.NewUniform(c), image.Point{}, draw.Src)
}

func line(img *image.RGBA, xa, ya, xb, yb int, c color.Color) {
	n := max(abs(xb-xa), abs(yb-ya), 1)
	for i := 0; i <= n; i++ {
		img.Set(xa+(xb-xa)*i/n, ya+(yb-ya)*i/n, c)
	}
}

func thick(img *image.RGBA, xa, ya, xb, yb int, c color.Color) {
	for d := -1; d <= 1; d++ {
		line(img, xa, ya+d, xb, yb+d, c)
		line(img, xa+d, ya, xb+d, yb, c)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// glyphs is a 3×5 pixel font: five rows of three bits per character.
var glyphs = map[rune][5]string{
	'0': {"###", "#.#", "#.#", "#.#", "###"}, '1': {".#.", "##.", ".#.", ".#.", "###"},
	'2': {"###", "..#", "###", "#..", "###"}, '3': {"###", "..#", ".##", "..#", "###"},
	'4': {"#.#", "#.#", "###", "..#", "..#"}, '5': {"###", "#..", "###", "..#", "###"},
	'6': {"###", "#..", "###", "#.#", "###"}, '7': {"###", "..#", ".#.", ".#.", ".#."},
	'8': {"###", "#.#", "###", "#.#", "###"}, '9': {"###", "#.#", "###", "..#", "###"},
	'a': {".#.", "#.#", "###", "#.#", "#.#"}, 'b': {"##.", "#.#", "##.", "#.#", "##."},
	'c': {".##", "#..", "#..", "#..", ".##"}, 'd': {"##.", "#.#", "#.#", "#.#", "##."},
	'e': {"###", "#..", "##.", "#..", "###"}, 'f': {"###", "#..", "##.", "#..", "#.."},
	'g': {".##", "#..", "#.#", "#.#", ".##"}, 'h': {"#.#", "#.#", "###", "#.#", "#.#"},
	'i': {"###", ".#.", ".#.", ".#.", "###"}, 'j': {"..#", "..#", "..#", "#.#", ".#."},
	'k': {"#.#", "#.#", "##.", "#.#", "#.#"}, 'l': {"#..", "#..", "#..", "#..", "###"},
	'm': {"#.#", "###", "###", "#.#", "#.#"}, 'n': {"##.", "#.#", "#.#", "#.#", "#.#"},
	'o': {".#.", "#.#", "#.#", "#.#", ".#."}, 'p': {"##.", "#.#", "##.", "#..", "#.."},
	'q': {".#.", "#.#", "#.#", "##.", ".##"}, 'r': {"##.", "#.#", "##.", "#.#", "#.#"},
	's': {".##", "#..", ".#.", "..#", "##."}, 't': {"###", ".#.", ".#.", ".#.", ".#."},
	'u': {"#.#", "#.#", "#.#", "#.#", "###"}, 'v': {"#.#", "#.#", "#.#", "#.#", ".#."},
	'w': {"#.#", "#.#", "###", "###", "#.#"}, 'x': {"#.#", "#.#", ".#.", "#.#", "#.#"},
	'y': {"#.#", "#.#", ".#.", ".#.", ".#."}, 'z': {"###", "..#", ".#.", "#..", "###"},
	'.': {"...", "...", "...", "...", ".#."}, ',': {"...", "...", "...", ".#.", "#.."},
	':': {"...", ".#.", "...", ".#.", "..."}, '-': {"...", "...", "###", "...", "..."},
	'(': {".#.", "#..", "#..", "#..", ".#."}, ')': {".#.", "..#", "..#", "..#", ".#."},
	'/': {"..#", "..#", ".#.", "#..", "#.."}, '%': {"#.#", "..#", ".#.", "#..", "#.#"},
	'_': {"...", "...", "...", "...", "###"}, ' ': {"...", "...", "...", "...", "..."},
}

func textWidth(s string) int { return len([]rune(s)) * 4 * scale }

// text draws s (lower-cased; unknown characters as blanks) with its top
// left corner at x, y.
func text(img *image.RGBA, x, y int, s string, c color.Color) {
	for i, r := range strings.ToLower(s) {
		g, ok := glyphs[r]
		if !ok {
			continue
		}
		for row := 0; row < 5; row++ {
			for col := 0; col < 3; col++ {
				if g[row][col] == '#' {
					fill(img, x+(i*4+col)*scale, y+row*scale, x+(i*4+col+1)*scale, y+(row+1)*scale, c)
				}
			}
		}
	}
}

// String describes the chart's data, for logs.
func (c *Chart) String() string {
	var b strings.Builder
	for _, s := range c.Series {
		fmt.Fprintf(&b, "%s: %v\n", s.Name, s.Points)
	}
	return b.String()
}
