package tfbench

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Hold boots a host with the executor, applies n tenants and their
// terraform_data floor, then writes to w how to run terraform against it by
// hand, and keeps the host until ctx ends: for profiling a plan or a
// rebuilt executor (replace the binary in the share dir and restart its
// unit) without re-creating the tenants each time.
func (e *Env) Hold(ctx context.Context, n int, w io.Writer) error {
	t, err := e.BootExecutor(ctx, n)
	if err != nil {
		return err
	}
	defer t.Close()
	mc, err := e.Workdir("hold-missioncontrol", Tenants)
	if err != nil {
		return err
	}
	floor, err := e.Workdir("hold-floor", Floor)
	if err != nil {
		return err
	}
	a, err := e.Apply(ctx, mc, t, n)
	if err != nil {
		return err
	}
	if _, err := e.Apply(ctx, floor, nil, n); err != nil {
		return err
	}
	e.logf("hold: %d tenants applied in %v; interrupt to tear the host down", n, a.Took)
	fmt.Fprintf(w, "export TF_CLI_CONFIG_FILE=%s TF_IN_AUTOMATION=1 TF_VAR_n=%d\n", e.rc, n)
	for _, kv := range t.Exec.Env() {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(w, "export %s=%q\n", k, v)
	}
	fmt.Fprintf(w, "# terraform dirs: %s %s\n# executor binary: %s (unit %s)\n", mc, floor, t.Exec.Binary(), "missioncontrol-executor.service")
	<-ctx.Done()
	return nil
}
