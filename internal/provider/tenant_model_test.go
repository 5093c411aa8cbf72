package provider

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// nullTenant is the model of an imported tenant before Read: only the name.
func nullTenant(name string) TenantResourceModel {
	return TenantResourceModel{
		ID: types.StringValue(name), Name: types.StringValue(name),
		DisplayName: types.StringNull(), Environment: types.StringNull(), Labels: types.MapNull(types.StringType),
		Suspended: types.BoolNull(), GatewayPort: types.Int64Null(), Limits: types.ObjectNull(limitsAttrTypes),
		Budget:       types.ObjectNull(budgetAttrTypes),
		SudoCommands: types.ListNull(types.StringType), UnixUser: types.StringNull(), UID: types.Int64Null(),
		GID: types.Int64Null(), Home: types.StringNull(), StateDir: types.StringNull(), UnitName: types.StringNull(),
		Status: types.StringNull(), LastJobID: types.StringNull(), PlannedSteps: types.ListNull(types.StringType),
		PlanDigest: types.StringNull(), ModelProviders: types.ListNull(modelProviderType),
		APIKeys: types.MapNull(types.StringType), Cron: types.BoolNull(), HeartbeatEvery: types.StringNull(),
	}
}

var acmeAllocation = api.Allocation{
	User: "mc-acme", Group: "mc-acme", UID: 20001, GID: 20001, GatewayPort: 20020,
	Home: "/srv/missioncontrol/tenants/acme", StateDir: "/srv/missioncontrol/tenants/acme/.openclaw",
	Unit: "missioncontrol-gateway@acme.service",
}

func TestTenantSpec(t *testing.T) {
	t.Parallel()
	full := nullTenant("acme")
	full.DisplayName = types.StringValue("ACME")
	full.Environment = types.StringValue("production")
	full.Labels = types.MapValueMust(types.StringType, map[string]attr.Value{"team": types.StringValue("agents")})
	full.Suspended = types.BoolValue(true)
	full.GatewayPort = types.Int64Value(20040)
	full.Limits = types.ObjectValueMust(limitsAttrTypes, map[string]attr.Value{
		"memory_max_mb": types.Int64Value(2048), "cpu_quota_percent": types.Int64Null(), "tasks_max": types.Int64Value(512),
	})
	full.SudoCommands = stringList([]string{"/usr/bin/systemctl restart nginx.service"})

	minimal := nullTenant("globex")
	minimal.Environment = types.StringValue("development")

	testCases := map[string]struct {
		config TenantResourceModel
		want   api.TenantSpec
	}{
		"full": {full, api.TenantSpec{
			Name: "acme", DisplayName: "ACME", Environment: api.EnvProduction, Labels: map[string]string{"team": "agents"},
			GatewayPort: 20040, Limits: api.Limits{MemoryMaxMB: 2048, TasksMax: 512}, Suspended: true,
			SudoCommands: []string{"/usr/bin/systemctl restart nginx.service"},
		}},
		// An unset gateway_port asks the executor to allocate; an unset
		// suspended is the schema default, false.
		"minimal": {minimal, api.TenantSpec{Name: "globex", Environment: api.EnvDevelopment}},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req, diags := tc.config.ApplyRequest(context.Background())
			if diags.HasError() {
				t.Fatal(diags)
			}
			want := api.PlanRequest{Tenant: tc.want.Name, Changes: []api.Change{{Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &tc.want}}}
			if diff := cmp.Diff(want, req); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTenantSetFrom(t *testing.T) {
	t.Parallel()
	registered := &api.Tenant{
		Name: "acme", Registered: true, UserExists: true, Status: api.TenantActive, LastJobID: "job-7",
		Desired:    api.Desired{Tenant: api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment}},
		Allocation: acmeAllocation, MonthToDateUSD: 1.25,
	}
	imported := nullTenant("acme")
	imported.Environment = types.StringValue("development")
	imported.Suspended = types.BoolValue(false)
	imported.Cron = types.BoolValue(false)
	imported.GatewayPort = types.Int64Value(20020)
	imported.UnixUser = types.StringValue("mc-acme")
	imported.UID, imported.GID = types.Int64Value(20001), types.Int64Value(20001)
	imported.Home = types.StringValue(acmeAllocation.Home)
	imported.StateDir = types.StringValue(acmeAllocation.StateDir)
	imported.UnitName = types.StringValue(acmeAllocation.Unit)
	imported.Status = types.StringValue("active")
	imported.MonthToDateUSD = types.Float64Value(1.25)
	imported.LastJobID = types.StringValue("job-7")
	imported.PlannedSteps = stringList(nil)

	// Configured as empty collections and with applied plan values: a
	// read keeps them, so the next plan shows no diff.
	emptyConfigured := imported
	emptyConfigured.Labels = types.MapValueMust(types.StringType, map[string]attr.Value{})
	emptyConfigured.Limits = limitsValue(api.Limits{}, types.ObjectValueMust(limitsAttrTypes, map[string]attr.Value{
		"memory_max_mb": types.Int64Null(), "cpu_quota_percent": types.Int64Null(), "tasks_max": types.Int64Null(),
	}))
	emptyConfigured.PlannedSteps = stringList([]string{"create user mc-acme uid 20001"})
	emptyConfigured.PlanDigest = types.StringValue("sha256:1")

	// The registry lost the tenant but its user exists: keep the
	// configuration, observe the rest.
	unregistered := *registered
	unregistered.Registered, unregistered.Desired, unregistered.Status = false, api.Desired{}, api.TenantDrifted
	configured := emptyConfigured
	configured.DisplayName = types.StringValue("ACME")
	wantUnregistered := configured
	wantUnregistered.Status = types.StringValue("drifted")

	testCases := map[string]struct {
		prior  TenantResourceModel
		tenant *api.Tenant
		want   TenantResourceModel
	}{
		"import":           {nullTenant("acme"), registered, imported},
		"empty configured": {emptyConfigured, registered, emptyConfigured},
		"unregistered":     {configured, &unregistered, wantUnregistered},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := tc.prior
			got.SetFrom(tc.tenant)
			checkModel(t, tc.want, got)
		})
	}
}

func TestTenantSetPlannedAndObserved(t *testing.T) {
	t.Parallel()
	plan := nullTenant("acme")
	plan.Environment = types.StringValue("development")
	plan.GatewayPort = types.Int64Unknown() // not configured: the executor allocates
	plan.Status, plan.LastJobID = types.StringUnknown(), types.StringUnknown()
	plan.SetPlanned(&api.Plan{
		Allocation: acmeAllocation, Digest: "sha256:abc",
		Steps: []api.Step{{Summary: "create group mc-acme gid 20001"}, {Summary: "create user mc-acme uid 20001"}},
	})
	want := nullTenant("acme")
	want.Environment = types.StringValue("development")
	want.GatewayPort = types.Int64Value(20020)
	want.UnixUser = types.StringValue("mc-acme")
	want.UID, want.GID = types.Int64Value(20001), types.Int64Value(20001)
	want.Home, want.StateDir = types.StringValue(acmeAllocation.Home), types.StringValue(acmeAllocation.StateDir)
	want.UnitName = types.StringValue(acmeAllocation.Unit)
	want.Status, want.LastJobID = types.StringUnknown(), types.StringUnknown()
	want.MonthToDateUSD = types.Float64Unknown()
	want.PlannedSteps = stringList([]string{"create group mc-acme gid 20001", "create user mc-acme uid 20001"})
	want.PlanDigest = types.StringValue("sha256:abc")
	checkModel(t, want, plan)

	// After the job: status and job id become known, nothing planned moves.
	observed := plan
	observed.SetObserved(&api.Tenant{Name: "acme", Registered: true, Status: api.TenantActive, Allocation: acmeAllocation}, "job-1")
	want.Status, want.LastJobID = types.StringValue("active"), types.StringValue("job-1")
	want.MonthToDateUSD = types.Float64Value(0)
	checkModel(t, want, observed)

	// The read-back failed: state still holds no unknown value.
	blind := plan
	blind.SetObserved(nil, "job-1")
	want.Status = types.StringNull()
	want.MonthToDateUSD = types.Float64Null()
	checkModel(t, want, blind)
}

func TestTenantModelProvidersAndKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	want := []api.ModelProvider{{Name: "fake", BaseURL: "http://127.0.0.1:18999/v1", API: "openai-completions",
		Models: []api.Model{{ID: "fake-model-1", Cost: api.Price{Input: 3, Output: 15}, MaxTokens: 4096}}}}
	m := nullTenant("acme")
	m.Environment = types.StringValue("development")
	// state form of want, then back: the round trip is lossless
	m.ModelProviders = modelProvidersValue(want, types.ListNull(modelProviderType))
	m.APIKeys = types.MapValueMust(types.StringType, map[string]attr.Value{"fake": types.StringValue("sk-1")})
	m.HeartbeatEvery = types.StringValue("30m")
	req, diags := m.ApplyRequest(ctx)
	if diags.HasError() {
		t.Fatal(diags)
	}
	c := req.Changes[0]
	if diff := cmp.Diff(want, c.Tenant.ModelProviders); diff != "" {
		t.Errorf("model providers (-want +got):\n%s", diff)
	}
	if c.APIKeys["fake"] != "sk-1" || c.Tenant.HeartbeatEvery != "30m" {
		t.Errorf("change %+v", c)
	}
	// a refresh keeps a configured value that says the same (omitted cost)
	prior := types.ListValueMust(modelProviderType, []attr.Value{types.ObjectValueMust(modelProviderType.AttrTypes, map[string]attr.Value{
		"name": types.StringValue("fake"), "base_url": types.StringValue("http://x/v1"), "api": types.StringValue("openai-completions"),
		"models": types.ListValueMust(types.ObjectType{AttrTypes: modelAttrTypes}, []attr.Value{types.ObjectValueMust(modelAttrTypes, map[string]attr.Value{
			"id": types.StringValue("m"), "cost": types.ObjectNull(priceAttrTypes), "context_window": types.Int64Null(), "max_tokens": types.Int64Null(),
		})}),
	})})
	same := []api.ModelProvider{{Name: "fake", BaseURL: "http://x/v1", API: "openai-completions", Models: []api.Model{{ID: "m"}}}}
	if got := modelProvidersValue(same, prior); !got.Equal(prior) {
		t.Errorf("refresh replaced an equal configured value: %v", got)
	}
}

// budgetObject is a budget attribute as configured; null arguments are
// attributes left out.
func budgetObject(usd types.Float64, soft types.Int64, action types.String) types.Object {
	return types.ObjectValueMust(budgetAttrTypes, map[string]attr.Value{"monthly_usd": usd, "soft_limit_percent": soft, "action": action})
}

func TestTenantBudget(t *testing.T) {
	t.Parallel()
	testCases := map[string]struct {
		config types.Object
		want   *api.Budget
	}{
		"none": {types.ObjectNull(budgetAttrTypes), nil},
		"full": {budgetObject(types.Float64Value(250.5), types.Int64Value(90), types.StringValue("suspend")),
			&api.Budget{MonthlyUSD: 250.5, SoftLimitPercent: 90, Action: api.BudgetSuspend}},
		// The configuration, which Spec reads, does not hold the schema's
		// defaults: Spec sends them, so the executor registers what the
		// plan shows.
		"defaults": {budgetObject(types.Float64Value(10), types.Int64Null(), types.StringNull()),
			&api.Budget{MonthlyUSD: 10, SoftLimitPercent: defaultSoftLimitPercent, Action: defaultBudgetAction}},
	}
	for name, tc := range testCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := nullTenant("acme")
			m.Environment = types.StringValue("development")
			m.Budget = tc.config
			spec, diags := m.Spec(context.Background())
			if diags.HasError() {
				t.Fatal(diags)
			}
			if diff := cmp.Diff(tc.want, spec.Budget); diff != "" {
				t.Fatalf("spec budget (-want +got):\n%s", diff)
			}
			// Read: the registered budget comes back as the plan had it,
			// defaults filled in, so a refresh shows no diff.
			got := nullTenant("acme")
			got.SetFrom(&api.Tenant{Name: "acme", Registered: true, Status: api.TenantSuspendedBudget,
				Desired: api.Desired{Tenant: spec}, BudgetHold: &api.BudgetHold{Month: "2026-12", SpentUSD: 300, LimitUSD: 250.5}})
			want := tc.config
			if tc.want != nil {
				want = budgetObject(types.Float64Value(tc.want.MonthlyUSD), types.Int64Value(int64(tc.want.SoftLimitPercent)),
					types.StringValue(string(tc.want.Action)))
			}
			if !got.Budget.Equal(want) {
				t.Errorf("budget after read = %v, want %v", got.Budget, want)
			}
			if got.Status.ValueString() != "suspended (budget)" {
				t.Errorf("status after read = %v, want suspended (budget)", got.Status)
			}
		})
	}
}
