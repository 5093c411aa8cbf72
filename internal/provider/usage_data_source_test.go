package provider_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/provider"
)

const usageAddr = "data.missioncontrol_usage.acme"

// usageFixture is the real OpenClaw 2026.9.6 state dir of tenant acme: two
// agents, six messages (expected-totals.json).
const usageFixture = "../../executor/usage/testdata/openclaw/acme"

// TestAccUsageDataSource_fixture puts OpenClaw's own records into a real
// tenant's state dir and reads them back through the executor: exact
// totals, then the same totals after the executor restarts.
func TestAccUsageDataSource_fixture(t *testing.T) {
	host := realHost(t)
	// The fixture's messages are from 2026-12-04: they are this month's
	// cost only in December 2026.
	mtd := knownvalue.Float64Exact(0)
	if now := time.Now().UTC(); now.Year() == 2026 && now.Month() == time.December {
		mtd = knownvalue.Float64Exact(0.029642)
	}
	want := func() []statecheck.StateCheck {
		return []statecheck.StateCheck{
			statecheck.ExpectKnownValue("missioncontrol_tenant.acme", tfjsonpath.New("month_to_date_usd"), mtd),
			statecheck.ExpectKnownValue(usageAddr, tfjsonpath.New("totals"), knownvalue.ObjectPartial(map[string]knownvalue.Check{
				"input": knownvalue.Int64Exact(6104), "output": knownvalue.Int64Exact(336),
				"cache_read": knownvalue.Int64Exact(1200), "cache_write": knownvalue.Int64Exact(100),
				"total_tokens": knownvalue.Int64Exact(7740), "cost_usd": knownvalue.Float64Exact(0.029642),
				"messages": knownvalue.Int64Exact(6), "errors": knownvalue.Int64Exact(0), "unpriced": knownvalue.Int64Exact(0),
			})),
			statecheck.ExpectKnownValue(usageAddr, tfjsonpath.New("unpriced"), knownvalue.Int64Exact(0)),
			statecheck.ExpectKnownValue(usageAddr, tfjsonpath.New("rows"), knownvalue.ListExact([]knownvalue.Check{
				knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"agent": knownvalue.StringExact("main"), "provider": knownvalue.StringExact("fake"),
					"model": knownvalue.StringExact("fake-model-1"), "day": knownvalue.Null(),
					"messages": knownvalue.Int64Exact(4), "cost_usd": knownvalue.Float64Exact(0.016008),
				}),
				knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"agent": knownvalue.StringExact("ops"), "model": knownvalue.StringExact("fake-model-2"),
					"messages": knownvalue.Int64Exact(2), "cost_usd": knownvalue.Float64Exact(0.013634),
					"cache_write": knownvalue.Int64Exact(100),
				}),
			})),
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             tenantDecommissioned(host, "acme"),
		Steps: []resource.TestStep{
			// A tenant whose gateway has recorded nothing yet.
			{ConfigFile: testConfig("usage_data_source", "tenant.tf")},
			// OpenClaw's stores appear in its state dir: the next ingestion
			// counts them, exactly.
			{
				PreConfig: func() {
					copyUsageFixture(t, host, usageFixture, acmeHome+"/.openclaw", "mc-acme")
					waitForUsage(t, "acme", 6)
				},
				ConfigFile:        testConfig("usage_data_source", "basic.tf"),
				ConfigStateChecks: want(),
			},
			// The executor restarts and scans everything again: nothing is
			// counted twice.
			{
				PreConfig: func() {
					host.mustExec(t, "systemctl", "restart", "missioncontrol-executor.service")
					waitForUsage(t, "acme", 6)
					time.Sleep(3 * time.Second) // past the first tick after the restart
					waitForUsage(t, "acme", 6)
				},
				ConfigFile:        testConfig("usage_data_source", "basic.tf"),
				ConfigStateChecks: want(),
			},
		},
	})
}

// TestAccUsageDataSource_invalid needs only terraform: bad queries are
// refused at validation, on the attribute, before any executor is asked.
func TestAccUsageDataSource_invalid(t *testing.T) {
	t.Setenv(provider.EnvEndpoint, "unix:///tmp/missioncontrol-test-nowhere/executor.sock")
	for name, tc := range map[string]struct {
		config string
		want   *regexp.Regexp
	}{
		"unknown group": {`data "missioncontrol_usage" "bad" {
  group_by = ["week"]
}`, regexp.MustCompile(`(?s)Invalid Attribute Value Match.*group_by\[0\] value must be one of`)},
		"repeated group": {`data "missioncontrol_usage" "bad" {
  group_by = ["day", "day"]
}`, regexp.MustCompile(`(?s)Duplicate List Value.*group_by`)},
		"not a day": {`data "missioncontrol_usage" "bad" {
  from = "December"
}`, regexp.MustCompile(`(?s)Invalid Attribute Value Match.*from.*must be a UTC day like 2026-12-01`)},
	} {
		t.Run(name, func(t *testing.T) {
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: tc.config, PlanOnly: true, ExpectError: tc.want}},
			})
		})
	}
}

// copyUsageFixture unpacks the agents/ tree of a fixture state dir into
// stateDir on the host, owned by owner, in one rename so that ingestion
// never sees a half-written store.
func copyUsageFixture(t *testing.T, host testHost, fixture, stateDir, owner string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	err := filepath.WalkDir(filepath.Join(fixture, "agents"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(fixture, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = rel
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatalf("pack %s: %v", fixture, err)
	}
	// One argument may hold 128 KiB: send the archive in pieces.
	const b64 = "/tmp/usage-fixture.tgz.b64"
	host.mustExec(t, "rm", "-f", b64)
	enc := base64.StdEncoding.EncodeToString(buf.Bytes())
	for len(enc) > 0 {
		n := min(len(enc), 64<<10)
		if _, err := host.exec("sh", "-c", `printf %s "$1" >> "$2"`, "sh", enc[:n], b64); err != nil {
			t.Fatalf("send fixture: %v", err)
		}
		enc = enc[n:]
	}
	script := `set -e
tmp="$2/.usage-incoming"
rm -rf "$tmp"; mkdir "$tmp"
base64 -d "$1" | tar -xzf - -C "$tmp"
chown -R "$3:$3" "$tmp"
mv "$tmp/agents" "$2/agents"
rmdir "$tmp"; rm -f "$1"`
	host.mustExec(t, "sh", "-c", script, "sh", b64, stateDir, owner)
}

// waitForUsage polls the executor until tenant has messages counted (the
// ingestion interval is 30s by default).
func waitForUsage(t *testing.T, tenant string, messages int64) {
	t.Helper()
	c, err := client.New(client.Config{Endpoint: os.Getenv(provider.EnvEndpoint), RetryMax: 10, RetryWaitMax: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	var last string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		rep, err := c.Usage(ctx, api.UsageQuery{Tenant: tenant})
		cancel()
		switch {
		case err != nil:
			last = err.Error()
		case rep.Totals.Messages == messages:
			return
		case rep.Totals.Messages > messages:
			t.Fatalf("tenant %s has %d messages counted, want %d: counted twice", tenant, rep.Totals.Messages, messages)
		default:
			last = fmt.Sprintf("%d messages counted", rep.Totals.Messages)
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("tenant %s: usage not ingested within 2m (want %d messages; last: %s)", tenant, messages, last)
}
