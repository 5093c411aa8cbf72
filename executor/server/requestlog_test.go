package server_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/logctx"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/server"
)

// TestRequestLog: every request gets an id (the client's when well formed),
// answered in X-Request-Id and carried by each log line about the request.
func TestRequestLog(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		sent string
		want *regexp.Regexp
	}{
		"client id kept":       {sent: "tf-0123abcd", want: regexp.MustCompile(`^tf-0123abcd$`)},
		"none: a fresh id":     {sent: "", want: regexp.MustCompile(`^[0-9a-f]{32}$`)},
		"forged line replaced": {sent: "x\" level=ERROR msg=fake", want: regexp.MustCompile(`^[0-9a-f]{32}$`)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			s := &server.Server{GID: -1, Logger: slog.New(logctx.NewHandler(slog.NewJSONHandler(&buf, nil)))}
			req := httptest.NewRequest(http.MethodGet, "/v1/info", nil)
			if tc.sent != "" {
				req.Header.Set(api.HeaderRequestID, tc.sent)
			}
			rec := httptest.NewRecorder()
			// No peer credentials: refused, which logs a line of its own.
			s.Handler().ServeHTTP(rec, req)
			id := rec.Header().Get(api.HeaderRequestID)
			if !tc.want.MatchString(id) {
				t.Fatalf("X-Request-Id %q does not match %s", id, tc.want)
			}
			if rec.Code != http.StatusForbidden {
				t.Fatalf("status %d, want 403 (no peer)", rec.Code)
			}
			var msgs []string
			for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("log line %q: %v", line, err)
				}
				if m["request_id"] != id {
					t.Errorf("line %s lacks request_id %s", line, id)
				}
				msgs = append(msgs, m["msg"].(string))
				if m["msg"] == "request" && (m["status"] != 403.0 || m["path"] != "/v1/info" || m["method"] != "GET") {
					t.Errorf("request line %s", line)
				}
			}
			if strings.Join(msgs, ",") != "refused peer,request" {
				t.Errorf("log lines %q, want the refusal then the request", msgs)
			}
		})
	}
}
