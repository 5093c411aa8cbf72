package tfbench

import (
	"context"
	"fmt"
	"io"
	"time"
)

// PlanRow is the no-change plan time of n tenants (3n resources) against
// the executor and of the same graph over terraform_data.
type PlanRow struct {
	N            int
	Tenants      []time.Duration // terraform plan of the missioncontrol configuration
	Floor        []time.Duration // terraform plan of the terraform_data configuration
	ApplyTenants time.Duration   // the apply that created the tenants added for this row
}

// Ratio is median(Tenants) / median(Floor).
func (r PlanRow) Ratio() float64 {
	return Median(r.Tenants).Seconds() / Median(r.Floor).Seconds()
}

// PlanOverhead boots one host with the executor, and for each n (ascending)
// applies n tenants with terraform (growing the set), applies the same
// graph over terraform_data, then times runs no-change plans of each,
// alternating, so that load on the machine hits both alike.
func (e *Env) PlanOverhead(ctx context.Context, ns []int, runs int) ([]PlanRow, error) {
	t, err := e.BootExecutor(ctx, ns[len(ns)-1])
	if err != nil {
		return nil, err
	}
	defer t.Close()
	mc, err := e.Workdir("plan-missioncontrol", Tenants)
	if err != nil {
		return nil, err
	}
	floor, err := e.Workdir("plan-floor", Floor)
	if err != nil {
		return nil, err
	}
	var rows []PlanRow
	for _, n := range ns {
		row := PlanRow{N: n}
		a, err := e.Apply(ctx, mc, t, n)
		if err != nil {
			return rows, err
		}
		row.ApplyTenants = a.Took
		e.logf("plan overhead: %d tenants applied in %v", n, a.Took.Round(time.Millisecond))
		if _, err := e.Apply(ctx, floor, nil, n); err != nil {
			return rows, err
		}
		for i := 0; i < runs; i++ {
			r, err := e.Plan(ctx, mc, t, n, "", 0)
			if err != nil {
				return rows, err
			}
			f, err := e.Plan(ctx, floor, nil, n, "", 0)
			if err != nil {
				return rows, err
			}
			row.Tenants, row.Floor = append(row.Tenants, r.Took), append(row.Floor, f.Took)
			e.logf("plan overhead: n=%d run %d: missioncontrol %v, terraform_data %v", n, i+1,
				r.Took.Round(time.Millisecond), f.Took.Round(time.Millisecond))
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// WritePlanTable prints rows as a Markdown table.
func WritePlanTable(w io.Writer, rows []PlanRow) {
	fmt.Fprintln(w, "| tenants (resources) | missioncontrol plan, median [min–max] | terraform_data plan, median [min–max] | ratio | runs |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, r := range rows {
		lo, hi := MinMax(r.Tenants)
		flo, fhi := MinMax(r.Floor)
		fmt.Fprintf(w, "| %d (%d) | %s s [%s–%s] | %s s [%s–%s] | %.2f | %d |\n", r.N, 3*r.N,
			Seconds(Median(r.Tenants)), Seconds(lo), Seconds(hi),
			Seconds(Median(r.Floor)), Seconds(flo), Seconds(fhi), r.Ratio(), len(r.Tenants))
	}
}
