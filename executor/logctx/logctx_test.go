package logctx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/logctx"
)

func TestHandler(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(logctx.NewHandler(slog.NewJSONHandler(&buf, nil))).With("component", "jobs")

	ctx := logctx.With(context.Background(), slog.String(logctx.KeyRequestID, "r1"))
	ctx = logctx.With(ctx, slog.String(logctx.KeyJob, "j1"), slog.String(logctx.KeyTenant, "acme"))
	ctx = logctx.With(ctx, slog.String(logctx.KeyJob, "j2")) // replaces j1
	log.InfoContext(ctx, "step done", "step", 3)
	log.Info("no context")

	dec := json.NewDecoder(&buf)
	var first, second map[string]any
	if err := dec.Decode(&first); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&second); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"msg": "step done", "component": "jobs", "request_id": "r1", "job": "j2", "tenant": "acme", "step": 3.0} {
		if first[k] != want {
			t.Errorf("%s = %v, want %v in %v", k, first[k], want, first)
		}
	}
	for _, k := range []string{"request_id", "job", "tenant"} {
		if _, ok := second[k]; ok {
			t.Errorf("a line without context has %s: %v", k, second)
		}
	}
	if got := logctx.Attrs(context.Background()); got != nil {
		t.Errorf("empty context carries %v", got)
	}
}
