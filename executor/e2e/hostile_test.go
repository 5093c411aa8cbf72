package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/testhost"
)

// TestHostileInputs posts every case of the hostile corpus to a real
// executor, as a dry run and as a submission, and checks each is refused
// with its status, code, rule and message, and that the host is exactly as
// it was before the corpus.
func TestHostileInputs(t *testing.T) {
	t.Parallel()
	cases := loadCorpus(t)
	e := boot(t)
	base := bootstrapChanges(corpusBase)
	base.Changes[0].Tenant.GatewayPort = corpusBasePort
	e.c.apply(base)
	// something else listens on base+2 of corpusBusyPort
	e.host.Run(t, "systemd-run", "--unit=hz-busy", "/usr/bin/python3", "-c",
		fmt.Sprintf("import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',%d))\ns.listen()\ntime.sleep(86400)", corpusBusyPort+2))
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := e.host.Try("/usr/bin/python3", "-c", fmt.Sprintf("import socket\nsocket.create_connection(('127.0.0.1',%d),1)", corpusBusyPort+2)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the busy-port listener did not come up")
		}
		time.Sleep(200 * time.Millisecond)
	}

	before, err := e.host.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, c := range cases {
		body := c.body()
		for _, path := range []string{api.PathPlans, api.PathJobs} {
			send := body
			if path == api.PathJobs && len(c.Body) > 0 {
				send = withDigest(t, body)
			}
			status, apiErr, err := e.c.raw("POST", path, bytes.NewReader(send), send)
			switch {
			case err != nil:
				t.Errorf("%s: POST %s: %v", c.Name, path, err)
			case apiErr == nil:
				t.Errorf("%s: POST %s accepted (%d)", c.Name, path, status)
			case status != c.Status || apiErr.Code != c.Code || (c.Rule != "" && apiErr.Rule != c.Rule) || !strings.Contains(apiErr.Message, c.Want):
				t.Errorf("%s: POST %s: %d %s rule %q %q; want %d %s rule %q mentioning %q",
					c.Name, path, status, apiErr.Code, apiErr.Rule, apiErr.Message, c.Status, c.Code, c.Rule, c.Want)
			default:
				refused++
			}
		}
	}
	t.Logf("%d cases, %d requests refused as the corpus says", len(cases), refused)
	// Every refused submission is audited (a dry run refused by the policy
	// is not: it asked to change nothing).
	if n := len(auditDenials(t, e.host)); n < len(cases) {
		t.Errorf("the audit log has %d denials for %d refused submissions", n, len(cases))
	}
	after, err := e.host.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if d := testhost.Diff(before, after); d != "" {
		t.Fatalf("the refused corpus changed the host:\n%s", d)
	}
}

// withDigest adds a digest to a plan request body, making it a submission.
func withDigest(t *testing.T, body []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("corpus body: %v", err)
	}
	m["digest"] = json.RawMessage(`"sha256:` + strings.Repeat("0", 64) + `"`)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sentinel is what must never change outside a tenant's dirs: the content,
// owner and mode of files a planted link points at. The account files may
// only gain or lose the tenant's own lines.
func sentinel(t *testing.T, h *testhost.Host, tenant string) string {
	t.Helper()
	var b strings.Builder
	for _, p := range []string{"/etc/shadow", "/etc/passwd", "/etc/sudoers", "/etc/hostname", "/etc/hz-sentinel", "/etc/hz-sentinel/secret", "/root"} {
		b.WriteString(h.Run(t, "stat", "-c", "%n %u:%g %a %F", p))
		if fi := h.Run(t, "stat", "-c", "%F", p); strings.TrimSpace(fi) == "regular file" {
			b.WriteString(p + " " + h.Run(t, "sh", "-c", `grep -v "^mc-$1:" "$2" | sha256sum`, "sh", tenant, p))
		}
	}
	b.WriteString(h.Run(t, "ls", "-lA", "--time-style=+", "/etc/hz-sentinel"))
	return b.String()
}

// TestSymlinkAttacks: the tenant user plants symlinks to /etc/shadow,
// /etc and a root-only dir inside its own dirs; updates that write, chmod,
// chown or remove those paths, and a decommission, replace or refuse the
// links and never touch what they point at.
func TestSymlinkAttacks(t *testing.T) {
	t.Parallel()
	e := boot(t)
	h := e.host
	const name = "hzsym"
	home := "/srv/missioncontrol/tenants/" + name
	state := home + "/.openclaw"
	ws := state + "/workspace-main"
	req := bootstrapChanges(name)
	e.c.apply(req)
	h.Run(t, "mkdir", "-m", "0700", "/etc/hz-sentinel")
	h.Run(t, "sh", "-c", "echo top-secret > /etc/hz-sentinel/secret && chmod 0600 /etc/hz-sentinel/secret")
	want := sentinel(t, h, name)
	snapBefore, err := h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	asTenant := func(argv ...string) {
		t.Helper()
		h.Run(t, append([]string{"runuser", "-u", "mc-" + name, "--"}, argv...)...)
	}
	check := func(what string) {
		t.Helper()
		if got := sentinel(t, h, name); got != want {
			t.Fatalf("%s changed files outside the tenant:\nbefore:\n%s\nafter:\n%s", what, want, got)
		}
	}
	isFile := func(p, content string) {
		t.Helper()
		if got := strings.TrimSpace(h.Run(t, "stat", "-c", "%F %U", p)); got != "regular file mc-"+name {
			t.Fatalf("%s is %q, want a regular file of mc-%s", p, got, name)
		}
		if got := h.Run(t, "cat", p); got != content {
			t.Fatalf("%s reads %q, want %q", p, got, content)
		}
	}
	wsReq := func(files map[string]string) api.PlanRequest {
		return api.PlanRequest{Tenant: name, Changes: []api.Change{{Kind: api.ObjectWorkspace, Action: api.ActionApply,
			Workspace: &api.WorkspaceSpec{Name: "main", Files: files}}}}
	}

	// 1. A seeded file replaced by a link to /etc/shadow; the update writes
	// (rename over the link) and sets owner and mode on the new file.
	asTenant("rm", ws+"/AGENTS.md")
	asTenant("ln", "-s", "/etc/shadow", ws+"/AGENTS.md")
	p := e.c.mustPlan(wsReq(map[string]string{"AGENTS.md": "# hijacked?\n"}))
	if !strings.Contains(strings.Join(p.Summaries(), "\n"), "replace symlink "+ws+"/AGENTS.md") {
		t.Fatalf("plan does not show the planted link: %q", p.Summaries())
	}
	e.c.apply(wsReq(map[string]string{"AGENTS.md": "# hijacked?\n"}))
	check("writing over a link to /etc/shadow")
	isFile(ws+"/AGENTS.md", "# hijacked?\n")

	// 2. A file about to be seeded pre-planted as a link into a root-only
	// dir, and the gateway config as a link to /etc/passwd.
	asTenant("ln", "-s", "/etc/hz-sentinel/secret", ws+"/SOUL.md")
	asTenant("rm", state+"/openclaw.json")
	asTenant("ln", "-s", "/etc/passwd", state+"/openclaw.json")
	two := wsReq(map[string]string{"AGENTS.md": "# hijacked?\n", "SOUL.md": "calm\n"})
	two.Changes = append(two.Changes, api.Change{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &api.WorkspaceSpec{Name: "second"}})
	e.c.apply(two)
	check("seeding over a link to a root-only file and rewriting openclaw.json over a link to /etc/passwd")
	isFile(ws+"/SOUL.md", "calm\n")
	if out := h.Run(t, "stat", "-c", "%F", state+"/openclaw.json"); strings.TrimSpace(out) != "regular file" {
		t.Fatalf("openclaw.json is %s", out)
	}

	// 3. A directory the executor manages replaced by a link to /etc: the
	// plan refuses to follow it, and nothing is chowned or chmodded.
	asTenant("mv", state+"/workspace-second", state+"/moved")
	asTenant("ln", "-s", "/etc/hz-sentinel", state+"/workspace-second")
	_, err = e.c.plan(wsReq(map[string]string{"AGENTS.md": "# hijacked?\n", "SOUL.md": "calm\n", "NEW.md": "x\n"}))
	_, err2 := e.c.plan(api.PlanRequest{Tenant: name, Changes: []api.Change{{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &api.WorkspaceSpec{Name: "second", Files: map[string]string{"x.md": "x"}}}}})
	if err2 == nil || !strings.Contains(err2.Error(), "symlink") {
		t.Fatalf("planning into a workspace dir that is a link to /etc/hz-sentinel: %v (other workspace: %v)", err2, err)
	}
	t.Logf("refused: %v", err2)
	check("planning through a directory link")
	asTenant("rm", state+"/workspace-second")
	asTenant("mv", state+"/moved", state+"/workspace-second")

	// 4. Swapped between review and submit: the re-plan sees the link and
	// the reviewed digest no longer matches.
	upd := wsReq(map[string]string{"AGENTS.md": "# v3\n", "SOUL.md": "calm\n"})
	p = e.c.mustPlan(upd)
	asTenant("rm", ws+"/AGENTS.md")
	asTenant("ln", "-s", "/etc/shadow", ws+"/AGENTS.md")
	if _, err := e.c.submit(upd, p.Digest); !api.IsCode(err, api.CodePlanChanged) {
		t.Fatalf("submit after a link was planted: %v", err)
	}
	check("a link planted after review")
	e.c.apply(upd)
	check("writing after re-review")
	isFile(ws+"/AGENTS.md", "# v3\n")

	// 5. Decommission with links to /etc, /etc/shadow and the root-only dir
	// left in the tenant's dirs: archived as links, removed as links.
	asTenant("ln", "-s", "/etc", ws+"/etc-link")
	asTenant("ln", "-s", "/etc/shadow", state+"/shadow-link")
	asTenant("ln", "-s", "/etc/hz-sentinel", home+"/sentinel-link")
	e.c.apply(api.PlanRequest{Tenant: name, Changes: []api.Change{{Kind: api.ObjectTenant, Action: api.ActionDestroy}}})
	check("decommissioning a tenant full of links")
	if _, err := h.Try("test", "-e", home); err == nil {
		t.Fatalf("%s survived the decommission", home)
	}
	list := h.Run(t, "tar", "--list", "--verbose", "--gzip", "--file", "/var/lib/missioncontrol/archives/"+name+".tar.gz")
	for _, l := range []string{"etc-link -> /etc", "shadow-link -> /etc/shadow", "sentinel-link -> /etc/hz-sentinel"} {
		if !strings.Contains(list, l) {
			t.Errorf("archive lacks the link %q:\n%s", l, list)
		}
	}
	if strings.Contains(list, "hz-sentinel/secret") || strings.Contains(list, "top-secret") {
		t.Errorf("the archive followed a link:\n%s", list)
	}
	snapAfter, err := h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(testhost.Diff(snapBefore, snapAfter), "\n") {
		if line != "" && !strings.Contains(line, name) {
			t.Errorf("change outside the tenant: %s", line)
		}
	}
}
