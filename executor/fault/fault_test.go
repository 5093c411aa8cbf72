package fault

import (
	"strings"
	"testing"
)

func TestParsePoint(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in      string
		want    Point
		wantErr string
	}{
		"before":          {in: "acme before 3\n", want: Point{"acme", Before, 3}},
		"after":           {in: "  acme after 12 ", want: Point{"acme", After, 12}},
		"missing step":    {in: "acme before", wantErr: "want"},
		"extra field":     {in: "acme before 1 x", wantErr: "want"},
		"step zero":       {in: "acme after 0", wantErr: "from 1"},
		"step not number": {in: "acme after x", wantErr: "from 1"},
		"unknown phase":   {in: "acme during 2", wantErr: "before or after"},
		"empty":           {in: "", wantErr: "want"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePoint(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParsePoint(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParsePoint(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}
