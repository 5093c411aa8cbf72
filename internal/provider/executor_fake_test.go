package provider_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// fakeExecutor is an in-process stand-in for missioncontrol-executor that
// follows the API contract (executor/api) closely enough to check the
// provider's side of it with the real terraform CLI: dry runs are
// deterministic and read-only, submissions re-plan and refuse stale
// digests, jobs apply only their steps, and GET /v1/tenants observes.
//
// Two points go beyond executor/api as written, and are what the provider
// needs from the real executor (see the report to the lead):
//   - a plan's digest covers only the change's own scope: its spec, its
//     steps and the observed state of the objects it owns (a shared file
//     such as openclaw.json is owned key by key), so applying one resource
//     of a tenant does not change another's apply-time re-plan in the same
//     terraform apply;
//   - allocation derives from the tenant's name and what registered
//     tenants hold, never from other unapplied plans, so two new tenants
//     planned together keep their values when the first one is applied.
//
// Its "host" is a map of objects per tenant (user, dirs with modes, files
// with content hashes, units with their active state). exec understands
// the few commands the tests use to make drift and check results. It is a
// fake at the edge: the acceptance tests run the same bodies against the
// real executor on a throwaway host.
type fakeExecutor struct {
	t        *testing.T
	endpoint string

	mu       sync.Mutex
	tenants  map[string]*fakeTenant
	jobs     map[string]*fakeJob
	nextJob  int
	archives []string
	// failPath makes the step that writes this path fail, like a full disk.
	failPath string
}

type fakeTenant struct {
	registered bool
	desired    api.Desired
	alloc      api.Allocation
	// host is what exists on the host: "user:mc-acme" -> uid,
	// "dir:/path" -> mode, "file:/path" -> content hash, "unit:name" -> active state.
	host    map[string]string
	lastJob string
}

type fakeJob struct {
	job   api.Job
	req   api.PlanRequest
	polls int
}

const (
	fakeHostID   = "fake-host"
	fakePolicy   = "fake-policy-1"
	fakeHomeRoot = "/srv/missioncontrol/tenants"
	fakeArchives = "/var/lib/missioncontrol/archives"
)

func newFakeExecutor(t *testing.T) *fakeExecutor {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "mc-fake-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "executor.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeExecutor{t: t, endpoint: "unix://" + sock, tenants: map[string]*fakeTenant{}, jobs: map[string]*fakeJob{}}

	mux := http.NewServeMux()
	mux.HandleFunc(api.RoutePlan, func(w http.ResponseWriter, r *http.Request) {
		var req api.PlanRequest
		if !decode(w, r, &req) {
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		p, _, apiErr := f.plan(req)
		reply(w, p, apiErr)
	})
	mux.HandleFunc(api.RouteSubmitJob, func(w http.ResponseWriter, r *http.Request) {
		var req api.SubmitRequest
		if !decode(w, r, &req) {
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		job, apiErr := f.submit(req)
		if apiErr == nil {
			writeJSON(w, http.StatusAccepted, job)
			return
		}
		reply(w, nil, apiErr)
	})
	mux.HandleFunc(api.RouteGetJob, func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		j, ok := f.jobs[r.PathValue("id")]
		if !ok {
			reply(w, nil, api.Errorf(api.CodeNotFound, "no job %s", r.PathValue("id")))
			return
		}
		f.advance(j)
		writeJSON(w, http.StatusOK, j.job)
	})
	mux.HandleFunc(api.RouteGetTenant, func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		writeJSON(w, http.StatusOK, f.observe(r.PathValue("name")))
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return f
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		reply(w, nil, api.Errorf(api.CodeInvalidRequest, "decode body: %v", err))
		return false
	}
	return true
}

func reply(w http.ResponseWriter, v any, apiErr *api.Error) {
	if apiErr != nil {
		writeJSON(w, apiErr.HTTPStatus(), apiErr)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fakeObject is one thing the desired state puts on the host, with the step
// that creates or repairs it.
type fakeObject struct {
	key, value string
	step       api.Step
}

// plan is the dry run: merge the change into the registered desired state,
// allocate, check policy, and compare the objects in the change's scope with
// the host. It changes nothing. effect applies the plan's objects.
func (f *fakeExecutor) plan(req api.PlanRequest) (*api.Plan, func(*fakeTenant), *api.Error) {
	if len(req.Changes) != 1 {
		return nil, nil, &api.Error{Code: api.CodeInvalidRequest, Message: "want exactly one change", Field: "changes"}
	}
	ch := req.Changes[0]
	ft := f.tenants[req.Tenant]
	if ft == nil {
		ft = &fakeTenant{host: map[string]string{}}
	}
	desired := cloneDesired(ft.desired)
	alloc := ft.alloc
	if !ft.registered && ch.Kind != api.ObjectTenant {
		return nil, nil, &api.Error{Code: api.CodeNotFound, Message: fmt.Sprintf("tenant %q is not registered on this host", req.Tenant), Field: "tenant"}
	}

	var objects []fakeObject
	var removals []string
	var extra []api.Step
	switch {
	case ch.Kind == api.ObjectTenant && ch.Action == api.ActionApply:
		spec := *ch.Tenant
		if p := spec.GatewayPort; p != 0 && (p < 20000 || p > 29980 || p%20 != 0) {
			return nil, nil, &api.Error{Code: api.CodePolicyDenied, Message: "gateway port outside the allowed range 20000-29980 (stride 20)",
				Field: "tenant.gateway_port", Rule: "ports.range", Value: fmt.Sprint(p)}
		}
		desired.Tenant = spec
		if alloc.User == "" {
			alloc = f.allocate(spec.Name)
		}
		if spec.GatewayPort != 0 {
			alloc.GatewayPort = spec.GatewayPort
		}
		objects = tenantObjects(desired, alloc)
		// Suspending or resuming stops or starts the gateway: steps the
		// tenant change causes, planned only when the flag changes.
		if ft.registered && spec.Suspended != ft.desired.Tenant.Suspended {
			for _, s := range desired.Services {
				objects = append(objects, unitObject(desired, alloc, s))
			}
		}
	case ch.Kind == api.ObjectWorkspace && ch.Action == api.ActionApply:
		desired.Workspaces = upsert(desired.Workspaces, *ch.Workspace, func(w api.WorkspaceSpec) string { return w.Name })
		objects = workspaceObjects(alloc, *ch.Workspace)
	case ch.Kind == api.ObjectService && ch.Action == api.ActionApply:
		desired.Services = upsert(desired.Services, *ch.Service, func(s api.ServiceSpec) string { return string(s.Kind) })
		objects = serviceObjects(desired, alloc, *ch.Service)
	case ch.Kind == api.ObjectTenant && ch.Action == api.ActionDestroy:
		if !ft.registered {
			return nil, nil, &api.Error{Code: api.CodeNotFound, Message: "no such tenant", Field: "tenant"}
		}
		if ft.host["unit:"+alloc.Unit] == "active" {
			extra = append(extra, api.Step{Kind: api.StepStopUnit, Summary: "systemctl disable --now " + alloc.Unit, Unit: alloc.Unit})
		}
		extra = append(extra,
			api.Step{Kind: api.StepEnsureFile, Summary: fmt.Sprintf("archive %s to %s/%s-1.tar.zst", alloc.Home, fakeArchives, req.Tenant)},
			api.Step{Kind: api.StepRemoveFile, Summary: "remove user " + alloc.User},
			api.Step{Kind: api.StepRemoveFile, Summary: "remove " + alloc.Home})
		for k := range ft.host {
			removals = append(removals, k)
		}
		desired = api.Desired{}
	case ch.Kind == api.ObjectWorkspace && ch.Action == api.ActionDestroy:
		desired.Workspaces = slices.DeleteFunc(desired.Workspaces, func(w api.WorkspaceSpec) bool { return w.Name == ch.Name })
		prefix := alloc.StateDir + "/workspace-" + ch.Name
		for k := range ft.host {
			if strings.HasPrefix(strings.SplitN(k, ":", 2)[1], prefix) {
				removals = append(removals, k)
			}
		}
		removals = append(removals, agentKey(alloc, ch.Name))
		extra = append(extra,
			api.Step{Kind: api.StepEnsureFile, Summary: fmt.Sprintf("remove agent %s from %s", ch.Name, openclawPath(alloc))},
			api.Step{Kind: api.StepRemoveFile, Summary: "remove " + prefix, Path: prefix})
	case ch.Kind == api.ObjectService && ch.Action == api.ActionDestroy:
		desired.Services = slices.DeleteFunc(desired.Services, func(s api.ServiceSpec) bool { return string(s.Kind) == ch.Name })
		removals = []string{"unit:" + alloc.Unit, "file:" + envFile(alloc)}
		extra = append(extra, api.Step{Kind: api.StepStopUnit, Summary: "systemctl disable --now " + alloc.Unit, Unit: alloc.Unit})
	default:
		return nil, nil, &api.Error{Code: api.CodeInvalidRequest, Message: "unknown change", Field: "changes[0].kind", Value: string(ch.Kind)}
	}
	sort.Strings(removals)

	var steps []api.Step
	steps = append(steps, extra...)
	var todo []fakeObject
	for _, o := range objects {
		if ft.host[o.key] != o.value {
			s := o.step
			if _, exists := ft.host[o.key]; exists && strings.HasPrefix(o.key, "dir:") {
				s.Summary = fmt.Sprintf("chmod %s %s", o.value, o.step.Path)
			}
			steps = append(steps, s)
			todo = append(todo, o)
		}
	}
	scope := slices.Clone(removals)
	for _, o := range objects {
		scope = append(scope, o.key)
	}
	p := &api.Plan{
		Tenant: req.Tenant, HostID: fakeHostID, PolicyRevision: fakePolicy,
		Fingerprint: fingerprint(ft, scope), Desired: desired, Allocation: alloc, Steps: steps,
	}
	p.Digest = "sha256:" + hash(p.HostID, p.Tenant, ch, p.Allocation, p.Steps, p.Fingerprint, p.PolicyRevision)
	destroyTenant := ch.Kind == api.ObjectTenant && ch.Action == api.ActionDestroy
	effect := func(t *fakeTenant) {
		for _, k := range removals {
			delete(t.host, k)
		}
		for _, o := range todo {
			t.host[o.key] = o.value
		}
		t.desired, t.alloc, t.registered = desired, alloc, !destroyTenant
		if destroyTenant {
			f.archives = append(f.archives, req.Tenant+"-1.tar.zst")
		}
	}
	return p, effect, nil
}

// submit re-plans and queues a job when the digest still holds.
func (f *fakeExecutor) submit(req api.SubmitRequest) (*api.Job, *api.Error) {
	p, _, apiErr := f.plan(req.PlanRequest)
	if apiErr != nil {
		return nil, apiErr
	}
	if p.Digest != req.Digest {
		return nil, &api.Error{Code: api.CodePlanChanged, Message: "the plan changed since it was reviewed", Field: "digest", Value: p.Digest}
	}
	f.nextJob++
	j := &fakeJob{req: req.PlanRequest, job: api.Job{
		ID: fmt.Sprintf("job-%d", f.nextJob), Tenant: req.Tenant, Digest: p.Digest, State: api.JobQueued,
		Steps: p.Steps, Allocation: p.Allocation,
	}}
	f.jobs[j.job.ID] = j
	return &j.job, nil
}

// advance moves a job along each time it is polled: queued, running, done.
func (f *fakeExecutor) advance(j *fakeJob) {
	j.polls++
	if j.job.State.Terminal() || j.polls < 2 {
		if !j.job.State.Terminal() {
			j.job.State = api.JobRunning
		}
		return
	}
	p, effect, apiErr := f.plan(j.req)
	if apiErr != nil || p.Digest != j.job.Digest {
		j.job.State, j.job.Error = api.JobFailed, "interrupted: the host changed under the job"
		return
	}
	ft := f.tenants[j.req.Tenant]
	if ft == nil {
		ft = &fakeTenant{host: map[string]string{}}
		f.tenants[j.req.Tenant] = ft
	}
	ft.lastJob = j.job.ID
	seq := 0
	event := func(e api.Event) {
		seq++
		e.Seq, e.Time = seq, time.Date(2026, 12, 4, 12, 0, seq, 0, time.UTC)
		j.job.Events = append(j.job.Events, e)
	}
	for i, s := range p.Steps {
		event(api.Event{Type: api.EventStepStart, Step: i, Argv: s.Argv})
		if f.failPath != "" && s.Path == f.failPath {
			event(api.Event{Type: api.EventStepFailed, Step: i, Argv: s.Argv, ExitCode: 1,
				Stderr: "install: cannot create regular file '" + s.Path + "': No space left on device\n"})
			// The steps before the failed one stay applied, and the tenant
			// is registered with the new desired state.
			ft.registered, ft.alloc, ft.desired = true, p.Allocation, p.Desired
			for _, done := range p.Steps[:i] {
				f.applyStep(ft, done, p)
			}
			j.job.State, j.job.Error = api.JobFailed, fmt.Sprintf("step %d failed", i+1)
			event(api.Event{Type: api.EventJobState, Step: -1, Message: "failed"})
			return
		}
		event(api.Event{Type: api.EventStepDone, Step: i, Argv: s.Argv, DurationMS: 3})
	}
	effect(ft)
	j.job.State = api.JobSucceeded
	event(api.Event{Type: api.EventJobState, Step: -1, Message: "succeeded"})
}

// applyStep applies one object step of a partially run plan.
func (f *fakeExecutor) applyStep(ft *fakeTenant, s api.Step, p *api.Plan) {
	for _, o := range append(append(tenantObjects(p.Desired, p.Allocation), allWorkspaceObjects(p.Desired, p.Allocation)...), allServiceObjects(p.Desired, p.Allocation)...) {
		if o.step.Summary == s.Summary {
			ft.host[o.key] = o.value
		}
	}
}

// observe is GET /v1/tenants/{name}.
func (f *fakeExecutor) observe(name string) api.Tenant {
	ft := f.tenants[name]
	if ft == nil {
		return api.Tenant{Name: name, Status: api.TenantAbsent}
	}
	t := api.Tenant{
		Name: name, Registered: ft.registered, Desired: ft.desired, Allocation: ft.alloc,
		UserExists: ft.host["user:"+ft.alloc.User] != "", LastJobID: ft.lastJob,
	}
	if state, ok := ft.host["unit:"+ft.alloc.Unit]; ok {
		t.Units = []api.UnitState{{Unit: ft.alloc.Unit, LoadState: "loaded", ActiveState: state, SubState: map[string]string{"active": "running"}[state]}}
	}
	if !ft.registered {
		t.Status = api.TenantAbsent
		return t
	}
	all := append(append(tenantObjects(ft.desired, ft.alloc), allWorkspaceObjects(ft.desired, ft.alloc)...), allServiceObjects(ft.desired, ft.alloc)...)
	for _, o := range all {
		if ft.host[o.key] != o.value {
			t.PendingSteps = append(t.PendingSteps, o.step)
		}
	}
	switch {
	case ft.desired.Tenant.Suspended:
		t.Status = api.TenantSuspended
	case len(t.PendingSteps) > 0:
		t.Status = api.TenantDrifted
	default:
		t.Status = api.TenantActive
	}
	return t
}

// allocate derives uid and port from the name's position among the
// tenants that exist: deterministic, and nothing is reserved.
func (f *fakeExecutor) allocate(name string) api.Allocation {
	takenUID, takenPort := map[int]bool{}, map[int]bool{}
	for other, ft := range f.tenants {
		if other != name && ft.alloc.User != "" {
			takenUID[ft.alloc.UID], takenPort[ft.alloc.GatewayPort] = true, true
		}
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	sum := int(h.Sum32())
	uid := 20001 + sum%5000
	for takenUID[uid] {
		uid++
	}
	port := 20020 + 20*(sum%400)
	for takenPort[port] {
		port += 20
	}
	home := fakeHomeRoot + "/" + name
	return api.Allocation{
		User: "mc-" + name, Group: "mc-" + name, UID: uid, GID: uid, GatewayPort: port,
		Home: home, StateDir: home + "/.openclaw", ConfigDir: "/etc/missioncontrol/tenants/" + name,
		Unit: "missioncontrol-gateway@" + name + ".service",
	}
}

func tenantObjects(d api.Desired, a api.Allocation) []fakeObject {
	objs := []fakeObject{
		{key: "group:" + a.Group, value: fmt.Sprint(a.GID), step: api.Step{Kind: api.StepEnsureGroup,
			Summary: fmt.Sprintf("create group %s gid %d", a.Group, a.GID), Argv: []string{"/usr/sbin/groupadd", "-g", fmt.Sprint(a.GID), a.Group}, GID: a.GID}},
		{key: "user:" + a.User, value: fmt.Sprint(a.UID), step: api.Step{Kind: api.StepEnsureUser,
			Summary: fmt.Sprintf("create user %s uid %d", a.User, a.UID), Argv: []string{"/usr/sbin/useradd", "-u", fmt.Sprint(a.UID), a.User}, UID: a.UID}},
		dirObject(a.Home, a),
		dirObject(a.StateDir, a),
		{key: "json:" + openclawPath(a) + "#gateway", value: hash(a.GatewayPort), step: api.Step{Kind: api.StepEnsureFile,
			Summary: fmt.Sprintf("write gateway settings (port %d) to %s", a.GatewayPort, openclawPath(a)), Path: openclawPath(a)}},
	}
	if l := d.Tenant.Limits; l != (api.Limits{}) {
		path := "/etc/systemd/system/" + a.Unit + ".d/limits.conf"
		objs = append(objs, fakeObject{key: "file:" + path, value: hash(l),
			step: api.Step{Kind: api.StepInstallUnit, Summary: fmt.Sprintf("install %s (MemoryMax=%dM CPUQuota=%d%% TasksMax=%d)", path, l.MemoryMaxMB, l.CPUQuotaPercent, l.TasksMax), Path: path}})
	}
	return objs
}

func dirObject(path string, a api.Allocation) fakeObject {
	return fakeObject{key: "dir:" + path, value: "0750", step: api.Step{Kind: api.StepEnsureDir,
		Summary: "create directory " + path + " mode 0750 owner " + a.User, Path: path, Owner: a.User, Group: a.Group, Mode: "0750"}}
}

func openclawPath(a api.Allocation) string { return a.StateDir + "/openclaw.json" }

func agentKey(a api.Allocation, workspace string) string {
	return "json:" + openclawPath(a) + "#agents." + workspace
}

func workspaceObjects(a api.Allocation, w api.WorkspaceSpec) []fakeObject {
	dir := a.StateDir + "/workspace-" + w.Name
	objs := []fakeObject{dirObject(dir, a), {key: agentKey(a, w.Name), value: hash(w.Model, dir), step: api.Step{Kind: api.StepEnsureFile,
		Summary: fmt.Sprintf("set agent %s (model %q) in %s", w.Name, w.Model, openclawPath(a)), Path: openclawPath(a)}}}
	names := make([]string, 0, len(w.Files))
	for n := range w.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		path := dir + "/" + n
		objs = append(objs, fakeObject{key: "file:" + path, value: hash(w.Files[n]), step: api.Step{Kind: api.StepEnsureFile,
			Summary: "write " + path, Path: path, ContentSHA256: hash(w.Files[n])}})
	}
	return objs
}

func allWorkspaceObjects(d api.Desired, a api.Allocation) []fakeObject {
	var objs []fakeObject
	for _, w := range d.Workspaces {
		objs = append(objs, workspaceObjects(a, w)...)
	}
	return objs
}

func envFile(a api.Allocation) string { return a.ConfigDir + "/gateway.env" }

func serviceObjects(d api.Desired, a api.Allocation, s api.ServiceSpec) []fakeObject {
	return []fakeObject{
		{key: "file:" + envFile(a), value: hash(a.GatewayPort, s.Environment), step: api.Step{Kind: api.StepEnsureFile,
			Summary: "write " + envFile(a), Path: envFile(a)}},
		unitObject(d, a, s),
	}
}

func allServiceObjects(d api.Desired, a api.Allocation) []fakeObject {
	var objs []fakeObject
	for _, s := range d.Services {
		objs = append(objs, serviceObjects(d, a, s)...)
	}
	return objs
}

func unitObject(d api.Desired, a api.Allocation, s api.ServiceSpec) fakeObject {
	if s.Enabled && !d.Tenant.Suspended {
		return fakeObject{key: "unit:" + a.Unit, value: "active", step: api.Step{Kind: api.StepEnableUnit,
			Summary: "systemctl enable --now " + a.Unit, Unit: a.Unit, Argv: []string{"/usr/bin/systemctl", "enable", "--now", a.Unit}}}
	}
	return fakeObject{key: "unit:" + a.Unit, value: "inactive", step: api.Step{Kind: api.StepStopUnit,
		Summary: "systemctl disable --now " + a.Unit, Unit: a.Unit, Argv: []string{"/usr/bin/systemctl", "disable", "--now", a.Unit}}}
}

// exec runs the few commands the tests use on the fake host.
func (f *fakeExecutor) exec(argv ...string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	find := func(key string) (*fakeTenant, bool) {
		for _, ft := range f.tenants {
			if _, ok := ft.host[key]; ok {
				return ft, true
			}
		}
		return nil, false
	}
	cmd := strings.Join(argv, " ")
	switch {
	case len(argv) == 3 && argv[0] == "chmod":
		if ft, ok := find("dir:" + argv[2]); ok {
			ft.host["dir:"+argv[2]] = argv[1]
			return "", nil
		}
	case len(argv) == 4 && argv[0] == "stat" && argv[2] == "%a":
		if ft, ok := find("dir:" + argv[3]); ok {
			return strings.TrimPrefix(ft.host["dir:"+argv[3]], "0") + "\n", nil
		}
	case len(argv) == 3 && argv[0] == "systemctl" && argv[1] == "stop":
		if ft, ok := find("unit:" + argv[2]); ok {
			ft.host["unit:"+argv[2]] = "inactive"
			return "", nil
		}
	case len(argv) == 3 && argv[0] == "systemctl" && argv[1] == "is-active":
		if ft, ok := find("unit:" + argv[2]); ok && ft.host["unit:"+argv[2]] == "active" {
			return "active\n", nil
		}
		return "inactive\n", fmt.Errorf("%s: exit status 3", cmd)
	case len(argv) == 4 && argv[0] == "truncate" && argv[1] == "-s" && argv[2] == "0":
		if ft, ok := find("file:" + argv[3]); ok {
			ft.host["file:"+argv[3]] = hash("")
			return "", nil
		}
	case len(argv) == 3 && argv[0] == "getent" && argv[1] == "passwd":
		if ft, ok := find("user:" + argv[2]); ok {
			return fmt.Sprintf("%s:x:%s:%s::/srv:/usr/sbin/nologin\n", argv[2], ft.host["user:"+argv[2]], ft.host["user:"+argv[2]]), nil
		}
		return "", fmt.Errorf("%s: exit status 2", cmd)
	case len(argv) == 2 && argv[0] == "ls" && argv[1] == fakeArchives:
		return strings.Join(f.archives, "\n") + "\n", nil
	default:
		return "", fmt.Errorf("fake host: unsupported command %q", cmd)
	}
	return "", fmt.Errorf("%s: no such file or unit on the fake host", cmd)
}

// fingerprint covers the observed state of the objects in a plan's scope.
func fingerprint(ft *fakeTenant, scope []string) string {
	seen := make([]string, 0, len(scope))
	for _, k := range scope {
		v, ok := ft.host[k]
		seen = append(seen, fmt.Sprintf("%s=%t:%s", k, ok, v))
	}
	sort.Strings(seen)
	return hash(seen)
}

func hash(v ...any) string {
	b, _ := api.CanonicalJSON(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func cloneDesired(d api.Desired) api.Desired {
	b, _ := json.Marshal(d)
	var out api.Desired
	_ = json.Unmarshal(b, &out)
	return out
}

func upsert[T any](list []T, v T, key func(T) string) []T {
	out := slices.DeleteFunc(slices.Clone(list), func(e T) bool { return key(e) == key(v) })
	out = append(out, v)
	sort.Slice(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}
