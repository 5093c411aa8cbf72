package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/audit"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/store"
)

// auditDB creates a database with n audit records and returns its path.
func auditDB(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "executor.db")
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l := audit.New(s.DB(), func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) })
	for range n {
		if _, err := l.Append(context.Background(), audit.Record{
			Type: audit.TypeRequest, Actor: "executor", Outcome: audit.OutcomeAllowed, Data: json.RawMessage(`{"n":1}`),
		}); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// breakRecord changes record seq behind the log's back.
func breakRecord(t *testing.T, path string, seq int) {
	t.Helper()
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.DB().Exec(`DROP TRIGGER audit_no_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`UPDATE audit SET outcome = 'denied' WHERE seq = ?`, seq); err != nil {
		t.Fatal(err)
	}
}

func runAudit(args ...string) (string, error) {
	var out bytes.Buffer
	cmd := newRootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append([]string{"audit", "verify"}, args...))
	err := cmd.Execute()
	return out.String(), err
}

func TestAuditVerify(t *testing.T) {
	t.Parallel()
	intact := auditDB(t, 42)
	empty := auditDB(t, 0)
	broken := auditDB(t, 50)
	breakRecord(t, broken, 42)
	missing := filepath.Join(t.TempDir(), "missing.db")

	tests := map[string]struct {
		args    []string
		wantOut string // exact, or a JSON object compared field by field
		wantErr string
	}{
		"intact":         {args: []string{"--db", intact}, wantOut: "audit: 42 records, chain intact\n"},
		"empty":          {args: []string{"--db", empty}, wantOut: "audit: 0 records, chain intact\n"},
		"broken":         {args: []string{"--db", broken}, wantErr: "audit chain broken at record 42: hash mismatch"},
		"missing file":   {args: []string{"--db", missing}, wantErr: "no such file"},
		"json intact":    {args: []string{"--db", intact, "--json"}, wantOut: `{"db":"` + intact + `","records":42,"ok":true}`},
		"json broken":    {args: []string{"--db", broken, "--json"}, wantOut: `{"db":"` + broken + `","records":50,"ok":false,"first_bad":42,"reason":"hash mismatch"}`, wantErr: "audit chain broken at record 42"},
		"extra argument": {args: []string{"--db", intact, "x"}, wantErr: "unknown command"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := runAudit(tc.args...)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if strings.HasPrefix(tc.wantOut, "{") {
				var got, want map[string]any
				if err := json.Unmarshal([]byte(out), &got); err != nil {
					t.Fatalf("output %q is not JSON: %v", out, err)
				}
				if err := json.Unmarshal([]byte(tc.wantOut), &want); err != nil {
					t.Fatal(err)
				}
				delete(got, "head") // a hash; TestAuditVerifyJSONHead checks it
				gb, _ := json.Marshal(got)
				wb, _ := json.Marshal(want)
				if !bytes.Equal(gb, wb) {
					t.Errorf("output %s, want %s", gb, wb)
				}
				return
			}
			if tc.wantErr == "" && out != tc.wantOut {
				t.Errorf("output %q, want %q", out, tc.wantOut)
			}
		})
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Error("verify created the missing database")
	}
}

func TestAuditVerifyJSONHead(t *testing.T) {
	t.Parallel()
	path := auditDB(t, 3)
	out, err := runAudit("--db", path, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep audit.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	s, err := store.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var last string
	if err := s.DB().QueryRow(`SELECT hash FROM audit WHERE seq = 3`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if rep.Head != last {
		t.Errorf("head = %q, want the last record's hash %q", rep.Head, last)
	}
}

func TestAuditVerifyDefaultPath(t *testing.T) {
	t.Parallel()
	cmd := newAuditVerifyCmd()
	if got := cmd.Flags().Lookup("db").DefValue; got != "/var/lib/missioncontrol/executor.db" {
		t.Errorf("--db default = %q", got)
	}
}
