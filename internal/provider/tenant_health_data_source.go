package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/client"
)

var _ datasource.DataSourceWithConfigure = &TenantHealthDataSource{}

// NewTenantHealthDataSource returns the missioncontrol_tenant_health data
// source.
func NewTenantHealthDataSource() datasource.DataSource { return &TenantHealthDataSource{} }

// TenantHealthDataSource reads a tenant's gateway health as the executor's
// probes saw it.
type TenantHealthDataSource struct {
	client *client.Client
}

// TenantHealthDataSourceModel is the data source's configuration and result.
type TenantHealthDataSourceModel struct {
	Tenant          types.String                 `tfsdk:"tenant"`
	Status          types.String                 `tfsdk:"status"`
	Cause           types.String                 `tfsdk:"cause"`
	Since           types.String                 `tfsdk:"since"`
	Restarts        types.Int64                  `tfsdk:"restarts"`
	Unit            *unitStateModel              `tfsdk:"unit"`
	LastProbe       *probeModel                  `tfsdk:"last_probe"`
	Availability    map[string]availabilityModel `tfsdk:"availability"`
	OpenIncidents   []incidentModel              `tfsdk:"open_incidents"`
	RecentIncidents []incidentModel              `tfsdk:"recent_incidents"`
}

type unitStateModel struct {
	Unit        types.String `tfsdk:"unit"`
	LoadState   types.String `tfsdk:"load_state"`
	ActiveState types.String `tfsdk:"active_state"`
	SubState    types.String `tfsdk:"sub_state"`
	Enabled     types.String `tfsdk:"enabled"`
	NRestarts   types.Int64  `tfsdk:"n_restarts"`
	MainPID     types.Int64  `tfsdk:"main_pid"`
}

type probeModel struct {
	Time      types.String `tfsdk:"time"`
	Status    types.String `tfsdk:"status"`
	Cause     types.String `tfsdk:"cause"`
	Detail    types.String `tfsdk:"detail"`
	HTTPLive  types.Bool   `tfsdk:"http_live"`
	HTTPReady types.Bool   `tfsdk:"http_ready"`
	HTTPError types.String `tfsdk:"http_error"`
}

type availabilityModel struct {
	Ratio              types.Float64 `tfsdk:"ratio"`
	HealthySeconds     types.Float64 `tfsdk:"healthy_seconds"`
	DegradedSeconds    types.Float64 `tfsdk:"degraded_seconds"`
	DownSeconds        types.Float64 `tfsdk:"down_seconds"`
	SuspendedSeconds   types.Float64 `tfsdk:"suspended_seconds"`
	MaintenanceSeconds types.Float64 `tfsdk:"maintenance_seconds"`
	UnknownSeconds     types.Float64 `tfsdk:"unknown_seconds"`
}

type incidentModel struct {
	ID       types.Int64    `tfsdk:"id"`
	Cause    types.String   `tfsdk:"cause"`
	Status   types.String   `tfsdk:"status"`
	Start    types.String   `tfsdk:"start"`
	End      types.String   `tfsdk:"end"`
	Restarts types.Int64    `tfsdk:"restarts"`
	Evidence []types.String `tfsdk:"evidence"`
}

// SetFrom writes the executor's answer into the result attributes.
func (m *TenantHealthDataSourceModel) SetFrom(h api.TenantHealth) {
	m.Status = types.StringValue(string(h.Status))
	m.Cause = optString(string(h.Cause))
	m.Since = optTime(h.Since)
	m.Restarts = types.Int64Value(int64(h.Restarts))
	m.Unit, m.LastProbe = nil, nil
	if p := h.LastProbe; p != nil {
		if p.Unit.Unit != "" {
			u := p.Unit
			m.Unit = &unitStateModel{Unit: types.StringValue(u.Unit), LoadState: types.StringValue(u.LoadState),
				ActiveState: types.StringValue(u.ActiveState), SubState: types.StringValue(u.SubState),
				Enabled: types.StringValue(u.Enabled), NRestarts: types.Int64Value(int64(u.NRestarts)), MainPID: types.Int64Value(int64(u.MainPID))}
		}
		m.LastProbe = &probeModel{Time: optTime(p.Time), Status: types.StringValue(string(p.Status)), Cause: optString(string(p.Cause)),
			Detail: optString(p.Detail), HTTPLive: types.BoolNull(), HTTPReady: types.BoolNull(), HTTPError: types.StringNull()}
		if p.HTTP != nil {
			m.LastProbe.HTTPLive, m.LastProbe.HTTPReady = types.BoolValue(p.HTTP.Live), types.BoolValue(p.HTTP.Ready)
			m.LastProbe.HTTPError = optString(p.HTTP.Error)
		}
	}
	m.Availability = map[string]availabilityModel{}
	for _, a := range h.Availability {
		ratio := types.Float64Null()
		if a.Ratio != nil {
			ratio = types.Float64Value(*a.Ratio)
		}
		m.Availability[a.Window] = availabilityModel{Ratio: ratio,
			HealthySeconds: types.Float64Value(a.HealthySeconds), DegradedSeconds: types.Float64Value(a.DegradedSeconds),
			DownSeconds: types.Float64Value(a.DownSeconds), SuspendedSeconds: types.Float64Value(a.SuspendedSeconds),
			MaintenanceSeconds: types.Float64Value(a.MaintenanceSeconds), UnknownSeconds: types.Float64Value(a.UnknownSeconds)}
	}
	m.OpenIncidents = incidents(h.OpenIncidents)
	m.RecentIncidents = incidents(h.RecentIncidents)
}

func incidents(in []api.Incident) []incidentModel {
	out := make([]incidentModel, 0, len(in))
	for _, inc := range in {
		ev := make([]types.String, 0, len(inc.Evidence))
		for _, p := range inc.Evidence {
			ev = append(ev, types.StringValue(probeLine(p)))
		}
		out = append(out, incidentModel{ID: types.Int64Value(inc.ID), Cause: types.StringValue(string(inc.Cause)),
			Status: types.StringValue(string(inc.Status)), Start: optTime(inc.Start), End: optTime(inc.End),
			Restarts: types.Int64Value(int64(inc.Restarts)), Evidence: ev})
	}
	return out
}

// probeLine is one probe as a readable line:
// "2026-12-04T12:00:15Z down unit_failed: unit failed/failed (NRestarts 1)".
func probeLine(p api.Probe) string {
	s := p.Time.UTC().Format(time.RFC3339) + " " + string(p.Status)
	if p.Cause != "" {
		s += " " + string(p.Cause)
	}
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	if p.Unit.Unit != "" {
		s += fmt.Sprintf(" (NRestarts %d)", p.Unit.NRestarts)
	}
	return s
}

func optString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

func optTime(t time.Time) types.String {
	if t.IsZero() {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339Nano))
}

func (d *TenantHealthDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tenant_health"
}

func (d *TenantHealthDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.Attribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	i64 := func(desc string) schema.Attribute {
		return schema.Int64Attribute{Computed: true, MarkdownDescription: desc}
	}
	secs := func(state string) schema.Attribute {
		return schema.Float64Attribute{Computed: true, MarkdownDescription: "Seconds of the window the gateway was " + state + "."}
	}
	incident := schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
		"id":       i64("The incident's id on this host."),
		"cause":    str("Why it opened: `unit_failed`, `unit_stopped`, `crash_loop`, `health_timeout`, `not_ready` or `budget_suspension`; a crash loop found while it is open replaces the first cause."),
		"status":   str("The status of the probe that opened it: `degraded`, `down` (or `suspended` for a budget suspension)."),
		"start":    str("RFC 3339 time of the first bad probe of the run that opened it."),
		"end":      str("RFC 3339 time of the first good probe of the run that closed it (or of the suspension that ended it); null while open."),
		"restarts": i64("How much the unit's NRestarts rose during the incident."),
		"evidence": schema.ListAttribute{ElementType: types.StringType, Computed: true,
			MarkdownDescription: "The probes that opened the incident and, once closed, those that closed it, one line each: time, status, cause, detail and NRestarts."},
	}}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Health of a tenant's OpenClaw gateway as the executor's probes see it: systemd's view of the gateway unit " +
			"(ActiveState, SubState, NRestarts, MainPID) every `health.interval` (15s by default) and, with `health.http = true`, the " +
			"gateway's `/healthz` and `/readyz` on loopback. Incidents open after `health.open_after` bad probes in a row (3 by default) " +
			"and close after `health.close_after` good ones (2). Availability is computed from the stored status transitions.",
		Attributes: map[string]schema.Attribute{
			"tenant": schema.StringAttribute{Required: true, MarkdownDescription: "Name of a tenant registered on the host."},
			"status": str("`healthy`, `degraded` (up but not ready, or restarting, or crash looping), `down` (unit failed, stopped or missing), " +
				"`suspended` (tenant suspended or gateway disabled), `maintenance` (a job is changing the tenant) or `unknown` (not probed yet, or the probe failed)."),
			"cause":    str("Why the status is not `healthy` (see `open_incidents[*].cause` for the values); null when healthy."),
			"since":    str("RFC 3339 time the tenant entered `status`; null before the first probe."),
			"restarts": i64("systemd's NRestarts of the gateway unit at the last probe: how often systemd restarted it since it was last started by hand."),
			"unit": schema.SingleNestedAttribute{Computed: true, MarkdownDescription: "systemd's view of the gateway unit at the last probe; null before it.",
				Attributes: map[string]schema.Attribute{
					"unit": str("Unit name, e.g. `missioncontrol-gateway@acme.service`."), "load_state": str("LoadState."),
					"active_state": str("ActiveState."), "sub_state": str("SubState."), "enabled": str("UnitFileState."),
					"n_restarts": i64("NRestarts."), "main_pid": i64("MainPID; 0 when no process runs."),
				}},
			"last_probe": schema.SingleNestedAttribute{Computed: true, MarkdownDescription: "The executor's last probe of this gateway; null before the first since the executor started.",
				Attributes: map[string]schema.Attribute{
					"time": str("RFC 3339 time of the probe."), "status": str("Status it gave."), "cause": str("Cause it gave; null when healthy."),
					"detail":     str("What it saw, e.g. `unit activating/auto-restart`."),
					"http_live":  schema.BoolAttribute{Computed: true, MarkdownDescription: "`/healthz` said live; null when HTTP was not probed (`health.http` off, or the unit not active)."},
					"http_ready": schema.BoolAttribute{Computed: true, MarkdownDescription: "`/readyz` said ready; null when HTTP was not probed."},
					"http_error": str("Why the HTTP probe failed (no answer in `health.probe_timeout`, not a gateway answer); null when it answered."),
				}},
			"availability": schema.MapNestedAttribute{Computed: true,
				MarkdownDescription: "Availability per window, keyed `24h`, `7d` and `30d`: `ratio` = healthy / (window - suspended - maintenance - unknown).",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"ratio":           schema.Float64Attribute{Computed: true, MarkdownDescription: "0..1; null when nothing of the window counts (all of it suspended, in maintenance or unobserved)."},
					"healthy_seconds": secs("healthy"), "degraded_seconds": secs("degraded"), "down_seconds": secs("down"),
					"suspended_seconds": secs("suspended"), "maintenance_seconds": secs("in maintenance"),
					"unknown_seconds": secs("unobserved (before its first probe, or while the executor was stopped)"),
				}}},
			"open_incidents":   schema.ListNestedAttribute{Computed: true, NestedObject: incident, MarkdownDescription: "Open incidents, newest first (at most one)."},
			"recent_incidents": schema.ListNestedAttribute{Computed: true, NestedObject: incident, MarkdownDescription: "The 10 latest closed incidents, newest first."},
		},
	}
}

func (d *TenantHealthDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if data := dataSourceData(req, resp); data != nil {
		d.client = data.client
	}
}

func (d *TenantHealthDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m TenantHealthDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	h, err := d.client.TenantHealth(ctx, m.Tenant.ValueString())
	if err != nil {
		addError(&resp.Diagnostics, target{kind: api.ObjectTenant, tenant: m.Tenant.ValueString()}, "read the health of", err)
		return
	}
	m.SetFrom(*h)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
