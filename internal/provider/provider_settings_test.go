package provider

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestProviderSettings(t *testing.T) {
	t.Parallel()
	null := providerModel{
		Endpoint: types.StringNull(), RequestTimeout: types.StringNull(), SigningKey: types.StringNull(),
		Approvals: types.ListNull(types.StringType), CAFile: types.StringNull(), CertFile: types.StringNull(), KeyFile: types.StringNull(),
	}
	block := null
	block.Endpoint = types.StringValue("https://host-1:8443/")
	block.RequestTimeout = types.StringValue("5s")
	block.Approvals = stringList([]string{"mcapprove.a"})
	block.CAFile = types.StringValue("/etc/mc/ca.pem")
	unknown := null
	unknown.Endpoint = types.StringUnknown()

	files := map[string]string{"/keys/apply.key": "KEY-FROM-FILE"}
	readFile := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	testCases := map[string]struct {
		model   providerModel
		env     map[string]string
		want    settings
		wantErr string
	}{
		"defaults": {model: null, want: settings{endpoint: "unix:///run/missioncontrol/executor.sock", timeout: 30 * time.Second}},
		"environment": {model: null, env: map[string]string{
			EnvEndpoint: "unix:///tmp/x.sock", EnvRequestTimeout: "2m", EnvApprovals: " mcapprove.a, ,mcapprove.b ",
			EnvSigningKeyFile: "/keys/apply.key", EnvCertFile: "/c.pem", EnvKeyFile: "/k.pem",
		}, want: settings{
			endpoint: "unix:///tmp/x.sock", timeout: 2 * time.Minute, approvals: []string{"mcapprove.a", "mcapprove.b"},
			signingKey: []byte("KEY-FROM-FILE"), certFile: "/c.pem", keyFile: "/k.pem",
		}},
		"signing key beats key file": {model: null, env: map[string]string{EnvSigningKey: "INLINE", EnvSigningKeyFile: "/keys/apply.key"},
			want: settings{endpoint: "unix:///run/missioncontrol/executor.sock", timeout: 30 * time.Second, signingKey: []byte("INLINE")}},
		"block beats environment": {model: block, env: map[string]string{EnvEndpoint: "unix:///tmp/x.sock", EnvApprovals: "mcapprove.b", EnvRequestTimeout: "1h"},
			want: settings{endpoint: "https://host-1:8443", timeout: 5 * time.Second, approvals: []string{"mcapprove.a"}, caFile: "/etc/mc/ca.pem"}},
		"bad endpoint from environment": {model: null, env: map[string]string{EnvEndpoint: "http://x:1"},
			wantErr: "The endpoint from MISSIONCONTROL_ENDPOINT is invalid"},
		"bad timeout from environment": {model: null, env: map[string]string{EnvRequestTimeout: "soon"},
			wantErr: `The request_timeout from MISSIONCONTROL_REQUEST_TIMEOUT is invalid: "soon" is not a duration`},
		"missing key file": {model: null, env: map[string]string{EnvSigningKeyFile: "/keys/missing.key"},
			wantErr: "Unable to read the signing key named by MISSIONCONTROL_SIGNING_KEY_FILE"},
		"unknown endpoint": {model: unknown, wantErr: "Either target apply the source of the value first"},
		"not an approval token": {model: null, env: map[string]string{EnvApprovals: "mcapprove.a,sha256:abc"},
			wantErr: `Approval token 2 does not start with "mcapprove."`},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, diags := tc.model.settings(context.Background(), func(k string) string { return tc.env[k] }, readFile)
			if tc.wantErr != "" {
				if !diags.HasError() || !strings.Contains(diags.Errors()[0].Detail(), tc.wantErr) {
					t.Fatalf("diagnostics = %v, want an error containing %q", diags, tc.wantErr)
				}
				return
			}
			if diags.HasError() {
				t.Fatal(diags)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(settings{})); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
		})
	}
}
