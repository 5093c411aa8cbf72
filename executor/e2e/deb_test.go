package e2e_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// TestDebPackage installs the executor's .deb (scripts/build-deb.sh, nfpm)
// in a throwaway host the way an operator would: dpkg -i, then the
// configuration gets a key and the service a restart; a tenant is applied
// and another decommissioned through the packaged service; dpkg -r then
// stops the executor and leaves the tenants, their gateways, the state
// database and the archives alone.
func TestDebPackage(t *testing.T) {
	t.Parallel()
	testhost.Require(t)
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("SKIPPED: needs dpkg (a Debian host) to install the package")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	seed, err := testhost.SudoSeed(ctx)
	if err != nil {
		t.Fatalf("sudo seed: %v", err)
	}
	h := testhost.Boot(t, testhost.Options{Seeds: []string{seed}})

	build := exec.CommandContext(ctx, "../../scripts/build-deb.sh", h.Share)
	build.Env = append(os.Environ(), "VERSION=0.0.1~test")
	start := time.Now()
	out, err := build.Output()
	if err != nil {
		t.Fatalf("build-deb.sh: %v\n%s", err, exitStderr(err))
	}
	deb := strings.TrimSpace(string(out))
	t.Logf("built %s in %v", deb, time.Since(start).Round(time.Millisecond))
	inHost := "/share/" + filepath.Base(deb)

	h.Run(t, "dpkg", "-i", inHost)
	unit := "missioncontrol-executor.service"
	waitActive(t, h, unit)
	show := h.Run(t, "systemctl", "show", "-p", "Type", "-p", "WatchdogUSec", "-p", "NRestarts", "-p", "StatusErrno", unit)
	for _, want := range []string{"Type=notify\n", "WatchdogUSec=1min\n", "NRestarts=0\n"} {
		if !strings.Contains(show, want) {
			t.Errorf("%s: want %q in\n%s", unit, want, show)
		}
	}
	if out, err := h.Try("systemctl", "status", "--no-pager", unit); err != nil {
		t.Errorf("systemctl status %s: %v\n%s", unit, err, out)
	}
	for path, want := range map[string]string{
		"/run/missioncontrol":                                 "root missioncontrol 750",
		"/run/missioncontrol/executor.sock":                   "root missioncontrol 660",
		"/var/lib/missioncontrol":                             "root root 700",
		"/var/lib/missioncontrol/archives":                    "root root 700",
		"/etc/missioncontrol/policy.hcl":                      "root root 640",
		"/etc/missioncontrol/executor.hcl":                    "root root 640",
		"/etc/systemd/system/missioncontrol-gateway@.service": "root root 644",
	} {
		if got := strings.TrimSpace(h.Run(t, "stat", "-c", "%U %G %a", path)); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	// The gateway template the package ships is the one the executor installs.
	if shipped, installed := h.Run(t, "cat", "/usr/lib/systemd/system/missioncontrol-gateway@.service"),
		h.Run(t, "cat", "/etc/systemd/system/missioncontrol-gateway@.service"); shipped != installed {
		t.Errorf("shipped gateway template differs from the installed one:\n%s\n---\n%s", shipped, installed)
	}
	if out, err := h.Try("/usr/bin/missioncontrol-executor", "policy", "check", "/etc/missioncontrol/policy.hcl"); err != nil {
		t.Errorf("the policy postinst created does not check: %v\n%s", err, out)
	}
	if exposure, err := h.Try("systemd-analyze", "security", "--no-pager", unit); err == nil {
		lines := strings.Split(strings.TrimSpace(exposure), "\n")
		t.Logf("systemd-analyze security %s: %s", unit, lines[len(lines)-1])
	}

	// The operator's part: a signing key in the configuration, and tenants
	// that run the light stand-in (no OpenClaw runtime needed here).
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := testhost.LightGatewayConfig([]byte(h.Run(t, "cat", "/etc/missioncontrol/executor.hcl")))
	if err != nil {
		t.Fatal(err)
	}
	cfg = debMetricsConfig(t, cfg)
	cfg = fmt.Appendf(cfg, "\nkey \"ops\" {\n  public_key = %q\n  roles      = [\"plan\", \"apply\"]\n}\n", api.FormatPublicKey(pub))
	if err := os.WriteFile(filepath.Join(h.Share, "executor.hcl"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	h.Run(t, "install", "-m", "0640", "/share/executor.hcl", "/etc/missioncontrol/executor.hcl")
	// The stand-in must be pinned like every command a gateway runs.
	h.Run(t, "sh", "-c", `printf '\ncommand "/usr/bin/sleep" { sha256 = "" }\n' >> /etc/missioncontrol/policy.hcl`)
	h.Run(t, "/usr/bin/missioncontrol-executor", "policy", "pin", "--write", "/etc/missioncontrol/policy.hcl")
	// A short watchdog, to see the pings (WATCHDOG=1 every half of it).
	h.Run(t, "mkdir", "-p", "/etc/systemd/system/"+unit+".d")
	h.Run(t, "sh", "-c", "printf '[Service]\\nWatchdogSec=4\\n' > /etc/systemd/system/"+unit+".d/watchdog.conf")
	h.Run(t, "systemctl", "daemon-reload")
	h.Run(t, "systemctl", "restart", unit)
	waitActive(t, h, unit)

	socket := fmt.Sprintf("/proc/%d/root/run/missioncontrol/executor.sock", h.PID)
	c := newClient(t, socket)
	c.signer = &api.Signer{Key: priv}
	plan, job := c.apply(bootstrapChanges("debkeep"))
	c.apply(bootstrapChanges("debgone"))
	c.apply(api.PlanRequest{Tenant: "debgone", Changes: []api.Change{{Kind: api.ObjectTenant, Action: api.ActionDestroy}}})
	if got := strings.TrimSpace(h.Run(t, "systemctl", "is-active", "missioncontrol-gateway@debkeep.service")); got != "active" {
		t.Fatalf("gateway of debkeep is %q", got)
	}

	// The dashboard's per-tenant health and executor metrics are on the
	// running executor's /metrics (TestDashboardMetrics checks every name
	// against the registry, including usage and budget ones that need data).
	checkDashboardLive(t, h)

	// The watchdog is fed: its timestamp moves and systemd never restarted
	// the executor for missing pings.
	ping := func() string {
		return strings.TrimSpace(h.Run(t, "systemctl", "show", "-p", "WatchdogTimestampMonotonic", "-p", "NRestarts", unit))
	}
	first := ping()
	time.Sleep(5 * time.Second)
	if second := ping(); second == first || !strings.Contains(second, "NRestarts=0") {
		t.Errorf("watchdog not fed: %q then %q", first, second)
	}

	// Structured logs: the job's lines in the journal name job, tenant and
	// the request that submitted it.
	var sawJob, sawRequest bool
	for _, line := range strings.Split(h.Journal("-u", unit, "-o", "cat"), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil || m["job"] != job.ID {
			continue
		}
		if m["tenant"] != "debkeep" || m["request_id"] == nil || m["request_id"] == "" {
			t.Errorf("job line without tenant or request id: %s", line)
		}
		sawJob = sawJob || m["msg"] == "job succeeded"
		sawRequest = sawRequest || m["msg"] == "job accepted"
	}
	if !sawJob || !sawRequest {
		t.Errorf("journal lacks the job's accepted (%v) and succeeded (%v) lines", sawRequest, sawJob)
	}

	// Upgrade in place (the same package again): postinst restarts the
	// executor, which keeps the operator's configuration and policy and finds
	// its tenants converged.
	h.Run(t, "dpkg", "-i", inHost)
	waitActive(t, h, unit)
	if again := c.mustPlan(bootstrapChanges("debkeep")); len(again.Steps) != 0 {
		t.Errorf("after the upgrade debkeep plans %q, want nothing", again.Summaries())
	}

	archive := "/var/lib/missioncontrol/archives/debgone.tar.gz"
	before := h.Run(t, "sha256sum", archive, "/etc/missioncontrol/tenants/debkeep/gateway.env")

	h.Run(t, "dpkg", "-r", "missioncontrol-executor")

	if out, err := h.Try("systemctl", "is-active", unit); err == nil {
		t.Errorf("executor still active after dpkg -r: %s", out)
	}
	if _, err := h.Try("test", "-e", "/usr/bin/missioncontrol-executor"); err == nil {
		t.Error("/usr/bin/missioncontrol-executor left after dpkg -r")
	}
	if got := strings.TrimSpace(h.Run(t, "id", "-u", "mc-debkeep")); got != strconv.Itoa(plan.Allocation.UID) {
		t.Errorf("uid of mc-debkeep after dpkg -r: %q", got)
	}
	if got := strings.TrimSpace(h.Run(t, "systemctl", "is-active", "missioncontrol-gateway@debkeep.service")); got != "active" {
		t.Errorf("gateway of debkeep after dpkg -r: %q", got)
	}
	for _, p := range []string{"/srv/missioncontrol/tenants/debkeep/.openclaw/openclaw.json", "/var/lib/missioncontrol/executor.db",
		"/etc/missioncontrol/policy.hcl", "/etc/systemd/system/missioncontrol-gateway@.service"} {
		if _, err := h.Try("test", "-f", p); err != nil {
			t.Errorf("%s gone after dpkg -r", p)
		}
	}
	if after := h.Run(t, "sha256sum", archive, "/etc/missioncontrol/tenants/debkeep/gateway.env"); after != before {
		t.Errorf("dpkg -r changed the archive or tenant files:\n%s\n%s", before, after)
	}
}

// waitActive waits for unit to be active (Type=notify: after READY=1).
func waitActive(t *testing.T, h *testhost.Host, unit string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		state, _ := h.Try("systemctl", "is-active", unit)
		if strings.TrimSpace(state) == "active" {
			return
		}
		if time.Now().After(deadline) {
			status, _ := h.Try("systemctl", "status", "--no-pager", "--full", unit)
			t.Fatalf("%s is %q:\n%s\n%s", unit, strings.TrimSpace(state), status, h.Journal("-u", unit, "-n", "40"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// debMetricsConfig makes the executor serve /metrics, probe and scan usage
// every few seconds, for checkDashboardLive.
func debMetricsConfig(t *testing.T, src []byte) []byte {
	t.Helper()
	f, diags := hclwrite.ParseConfig(src, "executor.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	block := func(name string) *hclwrite.Body {
		if b := f.Body().FirstMatchingBlock(name, nil); b != nil {
			return b.Body()
		}
		return f.Body().AppendNewBlock(name, nil).Body()
	}
	block("metrics").SetAttributeValue("listen", cty.StringVal(debMetricsAddr))
	block("health").SetAttributeValue("interval", cty.StringVal("2s"))
	block("health").SetAttributeValue("probe_timeout", cty.StringVal("1s"))
	block("health").SetAttributeValue("http", cty.False) // the stand-in has no endpoints
	block("usage").SetAttributeValue("interval", cty.StringVal("2s"))
	return f.Bytes()
}

const debMetricsAddr = "127.0.0.1:9471"

// checkDashboardLive scrapes the packaged executor's /metrics until the
// health probes and the usage scan have seen tenant debkeep and checks that every metric of
// the dashboard that needs no usage or budget data is there.
func checkDashboardLive(t *testing.T, h *testhost.Host) {
	t.Helper()
	src, err := os.ReadFile("../../examples/dashboards/missioncontrol.json")
	if err != nil {
		t.Fatal(err)
	}
	queried := map[string]bool{}
	for _, name := range regexp.MustCompile(`\b(?:missioncontrol|go|process)_[a-z0-9_]+\b`).FindAllString(string(src), -1) {
		queried[name] = true
	}
	live := []string{"missioncontrol_gateway_health_status", "missioncontrol_gateway_last_probe_timestamp_seconds",
		"missioncontrol_gateway_open_incidents", "missioncontrol_gateway_restarts", "missioncontrol_gateway_availability_ratio",
		"missioncontrol_health_probe_rounds_total", "missioncontrol_usage_ingest_lag_seconds",
		"process_resident_memory_bytes", "go_goroutines"}
	var scrape string
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := h.Try("python3", "-c", `import urllib.request; print(urllib.request.urlopen("http://`+debMetricsAddr+`/metrics").read().decode())`)
		scrape = out
		if err == nil && strings.Contains(out, `missioncontrol_gateway_health_status{status="healthy",tenant="debkeep"} 1`) &&
			strings.Contains(out, `missioncontrol_usage_ingest_lag_seconds{tenant="debkeep"}`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed debkeep healthy and scanned (err %v):\n%s", err, out)
		}
		time.Sleep(time.Second)
	}
	for _, name := range live {
		if !queried[name] {
			t.Errorf("the dashboard does not query %s", name)
		}
		if !regexp.MustCompile(`(?m)^` + name + `[{ ]`).MatchString(scrape) {
			t.Errorf("/metrics of the packaged executor lacks %s", name)
		}
	}
}
