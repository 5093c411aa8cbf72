package e2e_test

import (
	"strings"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// Suspending a tenant stops its gateway and locks its account while every
// file stays; resuming reverses both. Both are ordinary plans.
func TestSuspendAndResume(t *testing.T) {
	t.Parallel()
	e := boot(t)
	h := e.host
	req := bootstrapChanges("hooli")
	e.c.apply(req)
	before := h.Run(t, "sha256sum", "/srv/missioncontrol/tenants/hooli/.openclaw/openclaw.json",
		"/srv/missioncontrol/tenants/hooli/.openclaw/workspace-main/AGENTS.md")

	spec := *req.Changes[0].Tenant
	spec.Suspended = true
	p := e.c.mustPlan(tenantChange(spec))
	if got, want := strings.Join(p.Summaries(), "\n"), "lock account mc-hooli (expire it)\nstop and disable missioncontrol-gateway@hooli.service"; got != want {
		t.Fatalf("suspend plan:\n%s\nwant:\n%s", got, want)
	}
	e.c.apply(tenantChange(spec))
	if got := strings.TrimSpace(h.Run(t, "systemctl", "show", "-p", "ActiveState", "--value", "missioncontrol-gateway@hooli.service")); got != "inactive" {
		t.Errorf("suspended gateway is %q", got)
	}
	if shadow := h.Run(t, "getent", "shadow", "mc-hooli"); strings.Split(shadow, ":")[7] != "1" {
		t.Errorf("account not expired: %s", shadow)
	}
	// su runs PAM's account phase, which refuses an expired account even to root
	if out, err := h.Try("su", "-s", "/bin/true", "mc-hooli"); err == nil || !strings.Contains(out, "expired") {
		t.Errorf("su to the suspended account: %v %s", err, out)
	}
	if after := h.Run(t, "sha256sum", "/srv/missioncontrol/tenants/hooli/.openclaw/openclaw.json",
		"/srv/missioncontrol/tenants/hooli/.openclaw/workspace-main/AGENTS.md"); after != before {
		t.Errorf("files changed while suspended:\n%s\n%s", before, after)
	}
	var tn api.Tenant
	if err := e.c.do("GET", api.PathTenants+"/hooli", nil, &tn); err != nil || tn.Status != api.TenantSuspended || len(tn.PendingSteps) != 0 {
		t.Errorf("suspended tenant reads %s with pending %v (%v)", tn.Status, tn.PendingSteps, err)
	}

	spec.Suspended = false
	p = e.c.mustPlan(tenantChange(spec))
	if got, want := strings.Join(p.Summaries(), "\n"), "unlock account mc-hooli (clear its expiry)\nenable and start missioncontrol-gateway@hooli.service"; got != want {
		t.Fatalf("resume plan:\n%s\nwant:\n%s", got, want)
	}
	e.c.apply(tenantChange(spec))
	if got := strings.TrimSpace(h.Run(t, "systemctl", "is-active", "missioncontrol-gateway@hooli.service")); got != "active" {
		t.Errorf("resumed gateway is %q", got)
	}
	if out, err := h.Try("su", "-s", "/bin/true", "mc-hooli"); err != nil {
		t.Errorf("su to the resumed account: %v %s", err, out)
	}
	if p := e.c.mustPlan(req); len(p.Steps) != 0 {
		t.Errorf("after resume the plan is not empty: %q", p.Summaries())
	}
}
