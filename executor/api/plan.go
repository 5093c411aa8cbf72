package api

// StepKind is the type of a host action. The policy allows or denies steps by
// kind; the executor knows how to observe, apply and verify each one.
type StepKind string

const (
	StepEnsureGroup  StepKind = "ensure_group"  // groupadd -g GID NAME
	StepEnsureUser   StepKind = "ensure_user"   // useradd -u UID -g GID -M -d HOME -s NOLOGIN NAME
	StepEnsureDir    StepKind = "ensure_dir"    // directory with owner, group, mode
	StepEnsureFile   StepKind = "ensure_file"   // atomic write with owner, group, mode, content hash
	StepInstallUnit  StepKind = "install_unit"  // unit file or drop-in under the systemd unit dir
	StepDaemonReload StepKind = "daemon_reload" // systemctl daemon-reload
	StepEnableUnit   StepKind = "enable_unit"   // systemctl enable --now UNIT
	StepRestartUnit  StepKind = "restart_unit"  // systemctl restart UNIT
	StepStopUnit     StepKind = "stop_unit"     // systemctl disable --now UNIT
	StepSudoers      StepKind = "sudoers"       // visudo -cf, then atomic install into sudoers.d
	StepRemoveFile   StepKind = "remove_file"   // remove a file the executor owns
	StepEnsureSecret StepKind = "ensure_secret" // create a random secret file once; content never shown
	StepArchive      StepKind = "archive"       // tar the tenant's files into the archive dir, then verify it reads back
	StepRemoveUser   StepKind = "remove_user"   // userdel NAME (files are archived and removed separately)
	StepRemoveGroup  StepKind = "remove_group"  // groupdel NAME
	StepRemoveDir    StepKind = "remove_dir"    // remove a directory tree the executor manages
	StepRestore      StepKind = "restore"       // extract a verified archive into one tenant dir, with ownership
)

// Step is one planned host action, rendered for review. Summary is the line a
// reviewer reads ("create user mc-acme uid 20001"); the other fields are the
// exact effect: the argv that will run, or the file that will be written.
type Step struct {
	Kind    StepKind `json:"kind"`
	Summary string   `json:"summary"`
	// Object is what the step belongs to: "tenant", "workspace:<name>" or
	// "service:<kind>". A plan of a change to one object also lists the steps
	// that change causes on objects it does not own (e.g. the tenant's
	// openclaw.json when a workspace is added).
	Object string `json:"object,omitempty"`
	// Reason says what was observed that makes the step necessary.
	Reason string `json:"reason"`
	// Argv is the exact command (absolute path first) for command steps.
	Argv []string `json:"argv,omitempty"`
	// Path, Owner, Group, Mode and ContentSHA256 describe file and dir steps.
	Path          string `json:"path,omitempty"`
	Owner         string `json:"owner,omitempty"`
	Group         string `json:"group,omitempty"`
	Mode          string `json:"mode,omitempty"` // octal, e.g. "0750"
	ContentSHA256 string `json:"content_sha256,omitempty"`
	// Unit names the systemd unit for unit steps.
	Unit string `json:"unit,omitempty"`
	// UID and GID are set for user and group steps.
	UID int `json:"uid,omitempty"`
	GID int `json:"gid,omitempty"`
	// Port is set when the step binds the tenant to a port.
	Port int `json:"port,omitempty"`
}

// Allocation is what the executor assigned (or would assign) to a tenant.
// Planning never reserves anything; values are derived deterministically from
// the tenant name and what is taken, and reserved when a job applies them.
type Allocation struct {
	User        string `json:"user"`
	Group       string `json:"group"`
	UID         int    `json:"uid"`
	GID         int    `json:"gid"`
	GatewayPort int    `json:"gateway_port"`
	Home        string `json:"home"`
	StateDir    string `json:"state_dir"`
	ConfigDir   string `json:"config_dir"`
	Unit        string `json:"unit"`
}

// Desired is a tenant's whole desired state as registered by the executor.
type Desired struct {
	Tenant     TenantSpec      `json:"tenant"`
	Workspaces []WorkspaceSpec `json:"workspaces,omitempty"` // sorted by name
	Services   []ServiceSpec   `json:"services,omitempty"`   // sorted by kind
}

// Plan is the result of a dry run. The same request on the same host under
// the same policy yields the same Plan and Digest.
type Plan struct {
	Tenant         string     `json:"tenant"`
	HostID         string     `json:"host_id"`
	PolicyRevision string     `json:"policy_revision"`
	Fingerprint    string     `json:"fingerprint"` // sha256 of the observed state
	Desired        Desired    `json:"desired"`
	Allocation     Allocation `json:"allocation"`
	Steps          []Step     `json:"steps"`
	Digest         string     `json:"digest"`
	// BudgetHold is set when the tenant stays suspended by a budget hold
	// that this plan does not lift (the budget is still exceeded this
	// month); the steps then keep it suspended. Not covered by the digest:
	// the steps are.
	BudgetHold *BudgetHold `json:"budget_hold,omitempty"`
}

// Summaries returns the human line of every step, in order.
func (p *Plan) Summaries() []string {
	out := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		out[i] = s.Summary
	}
	return out
}
