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
	// TenantsRuns and FloorRuns are the plans with their CPU accounting.
	TenantsRuns, FloorRuns []Run
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
			row.TenantsRuns, row.FloorRuns = append(row.TenantsRuns, r), append(row.FloorRuns, f)
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

// WriteCPUTable prints where the CPU of the plans went (medians per plan):
// terraform with its provider on the machine, and inside the host the
// executor (with the commands it ran), systemd, and everything.
func WriteCPUTable(w io.Writer, rows []PlanRow) {
	fmt.Fprintln(w, "| tenants | plan | wall | terraform + provider CPU | executor CPU (incl. its commands) | systemd (PID 1) CPU | host CPU total |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, r := range rows {
		for _, k := range []struct {
			name string
			runs []Run
		}{{"missioncontrol", r.TenantsRuns}, {"terraform_data", r.FloorRuns}} {
			c := CPUOf(k.runs)
			fmt.Fprintf(w, "| %d | %s | %s s | %s s | %s s | %s s | %s s |\n", r.N, k.name, Seconds(c.Wall), Seconds(c.CPU),
				Seconds(c.Host.Executor), Seconds(c.Host.Systemd), Seconds(c.Host.Total))
		}
	}
}

// CPUSummary is the median of each measure over runs.
type CPUSummary struct {
	Wall, CPU time.Duration
	Host      HostCPU
}

// CPUOf summarises runs by medians.
func CPUOf(runs []Run) CPUSummary {
	var wall, cpu, ex, sd, tot []time.Duration
	for _, r := range runs {
		wall, cpu = append(wall, r.Took), append(cpu, r.CPU)
		ex, sd, tot = append(ex, r.Host.Executor), append(sd, r.Host.Systemd), append(tot, r.Host.Total)
	}
	return CPUSummary{Wall: Median(wall), CPU: Median(cpu), Host: HostCPU{Executor: Median(ex), Systemd: Median(sd), Total: Median(tot)}}
}
