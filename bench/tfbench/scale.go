package tfbench

import (
	"context"
	"fmt"
	"io"
	"time"
)

// ScaleRow is one point of the scaling curve: n tenants registered (all
// applied by terraform).
type ScaleRow struct {
	N int
	// Apply is the terraform apply that grew the set to n tenants (from the
	// previous row's n).
	Apply time.Duration
	// NoChange and Change are terraform plans of all n tenants: with no
	// changes, and with one workspace file changed (one resource to update).
	NoChange, Change []time.Duration
	// Floor is the no-change plan of the same graph over terraform_data:
	// what Terraform itself takes at this size.
	Floor []time.Duration
	// RSSKiB is the executor's resident set after the plans.
	RSSKiB int
}

// Scale grows one host's tenants through ns (ascending) with terraform
// apply and at each point times runs no-change and small-change plans, and
// the no-change plan of the terraform_data floor, and reads the executor's
// RSS.
func (e *Env) Scale(ctx context.Context, ns []int, runs int) ([]ScaleRow, error) {
	t, err := e.BootExecutor(ctx, ns[len(ns)-1])
	if err != nil {
		return nil, err
	}
	defer t.Close()
	dir, err := e.Workdir("scale-missioncontrol", Tenants)
	if err != nil {
		return nil, err
	}
	floor, err := e.Workdir("scale-floor", Floor)
	if err != nil {
		return nil, err
	}
	var rows []ScaleRow
	idle, err := ExecutorRSS(ctx, t)
	if err != nil {
		return nil, err
	}
	e.logf("scale: executor idle RSS %d KiB", idle)
	for _, n := range ns {
		row := ScaleRow{N: n}
		a, err := e.Apply(ctx, dir, t, n)
		if err != nil {
			return rows, err
		}
		row.Apply = a.Took
		if _, err := e.Apply(ctx, floor, nil, n); err != nil {
			return rows, err
		}
		for i := 0; i < runs; i++ {
			p, err := e.Plan(ctx, dir, t, n, "", 0)
			if err != nil {
				return rows, err
			}
			c, err := e.Plan(ctx, dir, t, n, fmt.Sprintf("change %d\n", i+1), 2)
			if err != nil {
				return rows, err
			}
			f, err := e.Plan(ctx, floor, nil, n, "", 0)
			if err != nil {
				return rows, err
			}
			row.NoChange, row.Change = append(row.NoChange, p.Took), append(row.Change, c.Took)
			row.Floor = append(row.Floor, f.Took)
		}
		if row.RSSKiB, err = ExecutorRSS(ctx, t); err != nil {
			return rows, err
		}
		e.logf("scale: n=%d apply %v, plan no change %v, one change %v, terraform_data %v, executor RSS %d KiB", n,
			a.Took.Round(time.Millisecond), Median(row.NoChange).Round(time.Millisecond),
			Median(row.Change).Round(time.Millisecond), Median(row.Floor).Round(time.Millisecond), row.RSSKiB)
		rows = append(rows, row)
	}
	return rows, nil
}

// WriteScaleTable prints rows as a Markdown table.
func WriteScaleTable(w io.Writer, rows []ScaleRow) {
	fmt.Fprintln(w, "| tenants (resources) | apply to reach it | plan, no change | plan, one change | terraform_data plan | ratio | per tenant (no change) | executor RSS |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	prev := 0
	for _, r := range rows {
		nc, fl := Median(r.NoChange), Median(r.Floor)
		fmt.Fprintf(w, "| %d (%d) | %s s (+%d) | %s s | %s s | %s s | %.2f | %.1f ms | %.1f MiB |\n", r.N, 3*r.N, Seconds(r.Apply), r.N-prev,
			Seconds(nc), Seconds(Median(r.Change)), Seconds(fl), nc.Seconds()/fl.Seconds(),
			float64(nc.Milliseconds())/float64(r.N), float64(r.RSSKiB)/1024)
		prev = r.N
	}
}

// ScaleChart draws plan times (left axis, seconds) and executor RSS (right
// axis, MiB) against tenants.
func ScaleChart(rows []ScaleRow) *Chart {
	c := &Chart{Title: "missioncontrol scaling: plan time and executor RSS vs tenants", XLabel: "tenants",
		YLabel: "plan s", Y2Label: "RSS MiB"}
	var nc, ch, fl, rss Series
	nc.Name, ch.Name, fl.Name, rss.Name = "plan, no change (s)", "plan, one change (s)", "terraform_data plan (s)", "executor RSS (MiB, right)"
	rss.Right = true
	for _, r := range rows {
		x := float64(r.N)
		nc.Points = append(nc.Points, [2]float64{x, Median(r.NoChange).Seconds()})
		ch.Points = append(ch.Points, [2]float64{x, Median(r.Change).Seconds()})
		fl.Points = append(fl.Points, [2]float64{x, Median(r.Floor).Seconds()})
		rss.Points = append(rss.Points, [2]float64{x, float64(r.RSSKiB) / 1024})
	}
	c.Series = []Series{nc, ch, fl, rss}
	return c
}
