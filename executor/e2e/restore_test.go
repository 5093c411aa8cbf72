package e2e_test

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// tenantFiles lists every path of the tenant's home and configuration
// directory with its owner, mode and type, and the sha256 of every file.
func tenantFiles(t *testing.T, h *testhost.Host, name string) string {
	t.Helper()
	dirs := []string{"/srv/missioncontrol/tenants/" + name, "/etc/missioncontrol/tenants/" + name}
	list := h.Run(t, append([]string{"find"}, append(dirs, "-printf", "%p %U:%G %m %y %l\n")...)...)
	sums := h.Run(t, append([]string{"find"}, append(dirs, "-type", "f", "-exec", "sha256sum", "{}", "+")...)...)
	return sortLines(list) + sortLines(sums)
}

func sortLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		for j := i + 1; j < len(lines); j++ {
			if lines[j] < lines[i] {
				lines[i], lines[j] = lines[j], lines[i]
			}
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// A decommissioned tenant comes back from its archive with the same uid and
// every file as it was (owner, mode, content); its gateway runs again and
// its registered spec plans empty. A purge removes the archive and its
// registry entry; purging the archive of a live tenant, or an unknown one,
// is refused and changes nothing.
func TestRestoreAndPurge(t *testing.T) {
	t.Parallel()
	e := boot(t)
	h := e.host
	const name = "vandelay"
	req := bootstrapChanges(name)
	p, _ := e.c.apply(req)
	h.Run(t, "sh", "-c", "echo latex > /srv/missioncontrol/tenants/vandelay/.openclaw/workspace-main/notes.md && "+
		"chown mc-vandelay:mc-vandelay /srv/missioncontrol/tenants/vandelay/.openclaw/workspace-main/notes.md && "+
		"ln -s notes.md /srv/missioncontrol/tenants/vandelay/.openclaw/workspace-main/latest")
	before := tenantFiles(t, h, name)

	destroy := api.PlanRequest{Tenant: name, Changes: []api.Change{{Kind: api.ObjectTenant, Action: api.ActionDestroy}}}
	e.c.apply(destroy)
	if _, err := h.Try("getent", "passwd", "mc-vandelay"); err == nil {
		t.Fatal("the user survived the decommission")
	}

	cli := func(args ...string) (string, error) {
		out, err := exec.Command(e.exec.Binary(), append(args, "--socket", e.exec.Socket, "--key", e.exec.Keys[testhost.KeyOperator])...).CombinedOutput()
		return string(out), err
	}
	// a restore that names another tenant's archive, or none, is refused
	restoreOf := func(archive string) api.PlanRequest {
		return api.PlanRequest{Tenant: name, Changes: []api.Change{{Kind: api.ObjectTenant, Action: api.ActionRestore, Archive: archive}}}
	}
	if _, err := e.c.plan(restoreOf("../../../etc/shadow")); !api.IsCode(err, api.CodeInvalidRequest) {
		t.Errorf("restore of a path outside the archive dir: %v", err)
	}
	if _, err := e.c.plan(restoreOf("ghost.tar.gz")); !api.IsCode(err, api.CodeNotFound) {
		t.Errorf("restore of an unknown archive: %v", err)
	}

	// a restore that fails midway (no room for the home) leaves the tenant
	// decommissioned, so it is retried as a restore
	h.Run(t, "mkdir", "/srv/missioncontrol/tenants/vandelay")
	h.Run(t, "mount", "-t", "tmpfs", "-o", "size=4k", "full", "/srv/missioncontrol/tenants/vandelay")
	rp := e.c.mustPlan(restoreOf("vandelay.tar.gz"))
	j, err := e.c.submit(restoreOf("vandelay.tar.gz"), rp.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if j = e.c.wait(j.ID); j.State != api.JobFailed || !strings.Contains(j.Error, "restore /srv/missioncontrol/tenants/vandelay") {
		t.Fatalf("restore onto a full disk: %s %q", j.State, j.Error)
	}
	var half api.Tenant
	if err := e.c.do("GET", api.PathTenants+"/"+name, nil, &half); err != nil || half.Status == api.TenantActive {
		t.Errorf("a failed restore left the tenant %s (%v)", half.Status, err)
	}
	h.Run(t, "umount", "/srv/missioncontrol/tenants/vandelay")
	var retry api.Job
	if err := e.c.do("POST", api.PathJobs+"/"+j.ID+"/retry", nil, &retry); err != nil {
		t.Fatalf("retry the failed restore: %v", err)
	}
	if r := e.c.wait(retry.ID); r.State != api.JobSucceeded {
		t.Fatalf("retried restore: %s %q", r.State, r.Error)
	}
	if after := tenantFiles(t, h, name); after != before {
		t.Errorf("files after the retried restore differ:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// destroyed again, and restored with the CLI
	e.c.apply(destroy)
	out, err := cli("archive", "restore", "vandelay.tar.gz")
	if err != nil {
		t.Fatalf("archive restore: %v\n%s", err, out)
	}
	for _, want := range []string{"create user mc-vandelay uid ", "restore /srv/missioncontrol/tenants/vandelay from archive",
		"restore /etc/missioncontrol/tenants/vandelay from archive", "enable and start missioncontrol-gateway@vandelay.service", "succeeded"} {
		if !strings.Contains(out, want) {
			t.Errorf("archive restore output lacks %q:\n%s", want, out)
		}
	}
	if got := strings.Split(h.Run(t, "getent", "passwd", "mc-vandelay"), ":")[2]; got != strconv.Itoa(p.Allocation.UID) {
		t.Errorf("restored uid %s, was %d", got, p.Allocation.UID)
	}
	if after := tenantFiles(t, h, name); after != before {
		t.Errorf("restored files differ:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if got := strings.TrimSpace(h.Run(t, "systemctl", "is-active", "missioncontrol-gateway@vandelay.service")); got != "active" {
		t.Errorf("restored gateway is %q", got)
	}
	var tn api.Tenant
	if err := e.c.do("GET", api.PathTenants+"/"+name, nil, &tn); err != nil || !tn.Registered || tn.Allocation.UID != p.Allocation.UID {
		t.Errorf("restored tenant reads %+v (%v)", tn, err)
	}
	if again := e.c.mustPlan(req); len(again.Steps) != 0 {
		t.Errorf("the restored tenant's own spec plans steps: %q", again.Summaries())
	}
	if audit := h.Run(t, "/share/bin/missioncontrol-executor", "audit", "list"); !strings.Contains(audit, "restored") {
		t.Errorf("no audit record of the restore:\n%s", audit)
	}

	// the tenant is live again: its archive stays and a second restore is refused
	if out, err := cli("archive", "purge", "vandelay.tar.gz"); err == nil || !strings.Contains(out, "live again") {
		t.Errorf("purge of a live tenant's archive: %v %s", err, out)
	}
	if _, err := e.c.plan(restoreOf("vandelay.tar.gz")); !api.IsCode(err, api.CodeConflict) {
		t.Errorf("restore over a live tenant: %v", err)
	}
	if out, err := cli("archive", "purge", "ghost.tar.gz"); err == nil || !strings.Contains(out, "no archive") {
		t.Errorf("purge of an unknown archive: %v %s", err, out)
	}

	// decommissioned again, all three archives can be purged
	e.c.apply(destroy)
	for _, a := range []string{"vandelay.tar.gz", "/var/lib/missioncontrol/archives/vandelay-1.tar.gz", "vandelay-2.tar.gz"} {
		if out, err := cli("archive", "purge", a); err != nil || !strings.Contains(out, "remove /var/lib/missioncontrol/archives/") {
			t.Fatalf("archive purge %s: %v\n%s", a, err, out)
		}
	}
	if out := h.Run(t, "ls", "-A", "/var/lib/missioncontrol/archives"); strings.Contains(out, "vandelay") {
		t.Errorf("archive files left: %s", out)
	}
	var archives api.ArchiveList
	if err := e.c.do("GET", api.PathArchives+"?tenant="+name, nil, &archives); err != nil || len(archives.Archives) != 0 {
		t.Errorf("archives after the purge: %+v %v", archives, err)
	}
	if _, err := e.c.plan(restoreOf("vandelay.tar.gz")); !api.IsCode(err, api.CodeNotFound) {
		t.Errorf("restore of a purged archive: %v", err)
	}
}
