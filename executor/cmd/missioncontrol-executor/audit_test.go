package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// distinctAuditDB creates a database with n records whose data differ
// ({"n":1} ... {"n":n}), closes it (SQLite folds the WAL into the file) and
// returns its path.
func distinctAuditDB(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "executor.db")
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l := audit.New(s.DB(), func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) })
	for i := 1; i <= n; i++ {
		if _, err := l.Append(context.Background(), audit.Record{
			Type: audit.TypeStep, Actor: "executor", Outcome: audit.OutcomeOK, Data: json.RawMessage(fmt.Sprintf(`{"n":"record-%03d"}`, i)),
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// sqlTamper changes the audit tables behind the log's back, with the
// triggers that refuse updates and deletes dropped first.
func sqlTamper(t *testing.T, path string, stmts ...string) {
	t.Helper()
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.DB().Query(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('audit', 'audit_head')`)
	if err != nil {
		t.Fatal(err)
	}
	var triggers []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		triggers = append(triggers, name)
	}
	rows.Close()
	for _, tr := range triggers {
		stmts = append([]string{`DROP TRIGGER "` + tr + `"`}, stmts...)
	}
	for _, st := range stmts {
		if _, err := s.DB().Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
}

// TestAuditVerifyNamesFirstBadRecord tampers with a closed log in the ways
// an attacker with the file could (a byte flipped in the file itself, a
// record deleted, two records swapped, the tail cut off) and checks that
// `audit verify` names the first bad record each time.
func TestAuditVerifyNamesFirstBadRecord(t *testing.T) {
	t.Parallel()
	const n = 30
	tests := map[string]struct {
		tamper func(t *testing.T, path string)
		want   string
	}{
		// The record's text may also sit in a free page (a copy left by a
		// page split); flipping that one changes nothing SQLite reads. So
		// flip each copy in turn: the log stays intact or names record 17,
		// and the live copy is caught.
		"byte flipped in the database file": {
			tamper: func(t *testing.T, path string) {
				pristine, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				needle := []byte(`record-017`)
				caught := 0
				for off := 0; ; {
					i := bytes.Index(pristine[off:], needle)
					if i < 0 {
						break
					}
					off += i + len(needle)
					b := bytes.Clone(pristine)
					b[off-1] ^= 0x01 // '7' -> '6': still valid text and JSON
					if err := os.WriteFile(path, b, 0o600); err != nil {
						t.Fatal(err)
					}
					out, err := runAudit("--db", path)
					switch {
					case err == nil && strings.Contains(out, "chain intact"):
					case err != nil && strings.Contains(err.Error(), "audit chain broken at record 17: hash mismatch"):
						caught++
					default:
						t.Fatalf("flip at offset %d: %v %q", off-1, err, out)
					}
				}
				if caught == 0 {
					t.Fatal("no flip of record 17's bytes in the file was detected")
				}
				// every copy flipped, for the common check
				if err := os.WriteFile(path, bytes.ReplaceAll(pristine, needle, []byte(`record-016`)), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			want: "audit chain broken at record 17: hash mismatch",
		},
		"record deleted": {
			tamper: func(t *testing.T, path string) { sqlTamper(t, path, `DELETE FROM audit WHERE seq = 12`) },
			want:   "audit chain broken at record 12: record missing",
		},
		"records reordered": {
			tamper: func(t *testing.T, path string) {
				sqlTamper(t, path, `UPDATE audit SET seq = -1 WHERE seq = 20`, `UPDATE audit SET seq = 20 WHERE seq = 21`,
					`UPDATE audit SET seq = 21 WHERE seq = -1`)
			},
			want: "audit chain broken at record 20: broken link",
		},
		"tail truncated": {
			tamper: func(t *testing.T, path string) { sqlTamper(t, path, `DELETE FROM audit WHERE seq > 25`) },
			want:   "audit chain broken at record 26: log truncated",
		},
		"tail truncated and the head moved back": {
			tamper: func(t *testing.T, path string) {
				sqlTamper(t, path, `DELETE FROM audit WHERE seq > 25`, `UPDATE audit_head SET seq = 25`)
			},
			want: "audit chain broken at record 25: head hash mismatch",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := distinctAuditDB(t, n)
			if out, err := runAudit("--db", path); err != nil {
				t.Fatalf("intact log: %v %s", err, out)
			}
			tc.tamper(t, path)
			_, err := runAudit("--db", path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("audit verify: %v; want %q", err, tc.want)
			}
		})
	}
}

// A database file cut short is not a log that verifies: the command fails
// with the database error instead of reporting a chain.
func TestAuditVerifyTruncatedFile(t *testing.T) {
	t.Parallel()
	path := distinctAuditDB(t, 200)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	out, err := runAudit("--db", path)
	if err == nil || strings.Contains(out, "chain intact") {
		t.Fatalf("verify of a truncated file: %v %q", err, out)
	}
	t.Logf("verify of a truncated file: %v", err)
}
