// Command tfbench runs the Terraform benchmarks of BENCHMARKS.md (issue 10)
// in throwaway hosts. Run it as root from the module root (the bench/*.sh
// scripts do):
//
//	tfbench plan  -n 50,200 -runs 5     plan overhead vs terraform_data
//	tfbench apply -n 50 -runs 1         apply vs scripts and Ansible
//	tfbench scale -n 10,100,1000 -png bench/scale.png
//	tfbench hold  -n 50                 keep a host with 50 tenants for profiling
//
// Results go to stdout as Markdown tables; progress to stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/bench/tfbench"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: tfbench plan|apply|scale|hold [flags]")
	}
	fs := flag.NewFlagSet("tfbench "+args[0], flag.ContinueOnError)
	ns := fs.String("n", "", "tenant counts, comma-separated, ascending")
	runs := fs.Int("runs", 3, "timed runs per measurement")
	work := fs.String("work", "/tmp/mc-tfbench", "work dir (terraform dirs, provider build)")
	ansible := fs.Bool("ansible", true, "apply: include Ansible (needs ansible-core installed)")
	pngOut := fs.String("png", "", "scale: write the chart here")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	counts, err := parseCounts(*ns)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Hour)
	defer cancel()
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(wd, "bench/baseline")); err != nil {
		return fmt.Errorf("run tfbench from the module root: %w", err)
	}
	env, err := tfbench.New(ctx, wd, *work, os.Stderr)
	if err != nil {
		return err
	}
	switch args[0] {
	case "plan":
		rows, err := env.PlanOverhead(ctx, counts, *runs)
		tfbench.WritePlanTable(os.Stdout, rows)
		fmt.Println()
		tfbench.WriteCPUTable(os.Stdout, rows)
		return err
	case "apply":
		if len(counts) != 1 {
			return fmt.Errorf("apply takes one -n")
		}
		res, err := env.ApplyThroughput(ctx, counts[0], *runs, *ansible)
		tfbench.WriteApplyTable(os.Stdout, counts[0], res)
		return err
	case "scale":
		rows, err := env.Scale(ctx, counts, *runs)
		tfbench.WriteScaleTable(os.Stdout, rows)
		if *pngOut != "" && len(rows) > 0 {
			f, ferr := os.Create(*pngOut)
			if ferr != nil {
				return ferr
			}
			if ferr := tfbench.ScaleChart(rows).WritePNG(f); ferr != nil {
				f.Close()
				return ferr
			}
			if ferr := f.Close(); ferr != nil {
				return ferr
			}
			fmt.Fprintf(os.Stderr, "chart: %s\n", *pngOut)
		}
		return err
	case "hold":
		if len(counts) != 1 {
			return fmt.Errorf("hold takes one -n")
		}
		return env.Hold(ctx, counts[0], os.Stdout)
	}
	return fmt.Errorf("unknown benchmark %q: plan, apply, scale or hold", args[0])
}

func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || (len(out) > 0 && n <= out[len(out)-1]) {
			return nil, fmt.Errorf("-n %q: want ascending positive counts like 50,200", s)
		}
		out = append(out, n)
	}
	return out, nil
}
