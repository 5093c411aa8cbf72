package store_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

// The benchmarks cover the store calls a 50-tenant apply makes most: job
// reads and writes of the queue, tenant reads of the planner and the
// server, nonces of signed requests, and the health monitor's reads.

// benchStore opens a store holding 50 tenants and, for tenant t07, a job
// "j1" with its trust, two approvals and 20 events.
func benchStore(b *testing.B) *store.Store {
	b.Helper()
	ctx := context.Background()
	s := openStore(b)
	for i := range 50 {
		if err := s.PutTenant(ctx, tenant(fmt.Sprintf("t%02d", i), 20001+i, 18000+10*i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.CreateJob(ctx, job("j1", "t07", t0)); err != nil {
		b.Fatal(err)
	}
	if err := s.SetJobTrust(ctx, "j1", store.JobTrust{Submitter: "k-ci", Required: 2, ApprovalDeadline: t0.Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	for _, k := range []string{"alice", "bob"} {
		if err := s.AddApproval(ctx, "j1", api.JobApproval{KeyID: "k-" + k, Name: k, Time: t0}, "tok-"+k); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 20 {
		ev := api.Event{Type: api.EventStepDone, Step: i % 3, Time: t0.Add(time.Duration(i) * time.Second), Stdout: "ok"}
		if _, err := s.AppendEvent(ctx, "j1", ev); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 3 {
		tr := api.HealthTransition{Tenant: "t07", Time: t0.Add(time.Duration(i) * time.Minute), Status: api.HealthHealthy}
		if err := s.AppendHealthTransition(ctx, tr); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func BenchmarkGetJob(b *testing.B) {
	s, ctx := benchStore(b), context.Background()
	for b.Loop() {
		if _, err := s.GetJob(ctx, "j1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetJobParallel reads from several goroutines, so from several
// pooled connections.
func BenchmarkGetJobParallel(b *testing.B) {
	s, ctx := benchStore(b), context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.GetJob(ctx, "j1"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkGetJobRequest(b *testing.B) {
	s, ctx := benchStore(b), context.Background()
	for b.Loop() {
		if _, err := s.GetJobRequest(ctx, "j1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJobsInState builds its IN list per call and stays unprepared.
func BenchmarkJobsInState(b *testing.B) {
	s, ctx := benchStore(b), context.Background()
	for b.Loop() {
		if _, err := s.JobsInState(ctx, api.JobQueued, api.JobAwaitingApproval, api.JobRunning); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendEvent(b *testing.B) {
	s, ctx := benchStore(b), context.Background()
	ev := api.Event{Type: api.EventStepStart, Step: 1, Time: t0, Argv: []string{"/usr/sbin/useradd"}}
	for b.Loop() {
		if _, err := s.AppendEvent(ctx, "j1", ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSetJobState(b *testing.B) {
	s, ctx := benchStore(b), context.Background()
	for b.Loop() {
		if err := s.SetJobState(ctx, "j1", api.JobRunning, "", t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetTenant(b *testing.B) {
	s, ctx := benchStore(b), context.Background()
	for b.Loop() {
		if _, ok, err := s.GetTenant(ctx, "t07"); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkListTenants(b *testing.B) {
	s, ctx := benchStore(b), context.Background()
	for b.Loop() {
		if _, err := s.ListTenants(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUseNonce(b *testing.B) {
	s, ctx := benchStore(b), context.Background()
	i := 0
	for b.Loop() {
		i++
		if err := s.UseNonce(ctx, "k-ci", strconv.Itoa(i), t0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHealthRead is the health monitor's read of one tenant.
func BenchmarkHealthRead(b *testing.B) {
	s, ctx := benchStore(b), context.Background()
	for b.Loop() {
		if _, _, err := s.LastHealthTransition(ctx, "t07"); err != nil {
			b.Fatal(err)
		}
		if _, err := s.HealthTransitions(ctx, "t07", t0, t0.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Incidents(ctx, "t07", true, 0); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Incidents(ctx, "t07", false, 10); err != nil {
			b.Fatal(err)
		}
	}
}
