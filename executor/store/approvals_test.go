package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

func TestApprovalsCountOncePerKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	if err := s.CreateJob(ctx, job("j1", "acme", t0)); err != nil {
		t.Fatal(err)
	}
	deadline := t0.Add(24 * time.Hour)
	if err := s.SetJobTrust(ctx, "j1", store.JobTrust{Submitter: "k-ci", Required: 2, ApprovalDeadline: deadline}); err != nil {
		t.Fatal(err)
	}
	alice := api.JobApproval{KeyID: "k-alice", Name: "alice", Time: t0.Add(time.Minute)}
	if err := s.AddApproval(ctx, "j1", alice, "tok-a"); err != nil {
		t.Fatal(err)
	}
	again := alice
	again.Time = t0.Add(2 * time.Minute)
	if err := s.AddApproval(ctx, "j1", again, "tok-a2"); !errors.Is(err, store.ErrDuplicateApproval) {
		t.Fatalf("second approval by the same key: %v", err)
	}
	bob := api.JobApproval{KeyID: "k-bob", Name: "bob", Time: t0.Add(3 * time.Minute)}
	if err := s.AddApproval(ctx, "j1", bob, "tok-b"); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetJob(ctx, "j1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Submitter != "k-ci" || got.RequiredApprovals != 2 || !got.ApprovalDeadline.Equal(deadline) {
		t.Errorf("trust %q %d %v", got.Submitter, got.RequiredApprovals, got.ApprovalDeadline)
	}
	if diff := cmp.Diff([]api.JobApproval{alice, bob}, got.Approvals); diff != "" {
		t.Errorf("approvals (-want +got):\n%s", diff)
	}
	list, err := s.ListJobs(ctx, "acme", 10)
	if err != nil || len(list) != 1 || len(list[0].Approvals) != 2 {
		t.Fatalf("list: %v %+v", err, list)
	}
	toks, err := s.ApprovalTokens(ctx, "j1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"k-alice": "tok-a", "k-bob": "tok-b"}, toks); diff != "" {
		t.Errorf("tokens (-want +got):\n%s", diff)
	}
}
