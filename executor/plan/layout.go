package plan

import (
	"path/filepath"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/config"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/openclaw"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/steps"
)

// Layout is every name and path derived from a tenant name. Nothing else in
// the executor derives these.
type Layout struct {
	Tenant     string
	User       string // mc-<tenant>, also the group
	Home       string // <tenants.root>/<tenant>
	StateDir   string // <home>/.openclaw
	ConfigFile string // <state>/openclaw.json
	LogDir     string // <state>/logs
	ConfigDir  string // <tenants.config_root>/<tenant>
	EnvFile    string // <config dir>/gateway.env
	TokenFile  string // <config dir>/token.env
	// CredentialsFile holds model provider API keys (root only).
	CredentialsFile string // <config dir>/credentials.env
	Unit            string // missioncontrol-gateway@<tenant>.service
	UnitFile        string // <unit dir>/missioncontrol-gateway@.service
	DropInDir       string // <unit dir>/missioncontrol-gateway@<tenant>.service.d
	Sudoers         string // <sudoers dir>/missioncontrol-<tenant>

	cfg config.Config
}

// NewLayout derives the layout of tenant under cfg.
func NewLayout(cfg config.Config, tenant string) Layout {
	l := Layout{Tenant: tenant, User: "mc-" + tenant, cfg: cfg}
	l.Home = filepath.Join(cfg.Tenants.Root, tenant)
	l.StateDir = filepath.Join(l.Home, ".openclaw")
	l.ConfigFile = filepath.Join(l.StateDir, "openclaw.json")
	l.LogDir = filepath.Join(l.StateDir, "logs")
	l.ConfigDir = filepath.Join(cfg.Tenants.ConfigRoot, tenant)
	l.EnvFile = filepath.Join(l.ConfigDir, "gateway.env")
	l.TokenFile = filepath.Join(l.ConfigDir, "token.env")
	l.CredentialsFile = filepath.Join(l.ConfigDir, "credentials.env")
	l.Unit = GatewayUnit(cfg, tenant)
	l.UnitFile = filepath.Join(cfg.Systemd.UnitDir, cfg.Gateway.UnitTemplate)
	l.DropInDir = filepath.Join(cfg.Systemd.UnitDir, l.Unit+".d")
	l.Sudoers = filepath.Join(cfg.SudoersDir, "missioncontrol-"+tenant)
	return l
}

// GatewayUnit is the gateway unit instance of a tenant under the
// configured template, e.g. missioncontrol-gateway@acme.service.
func GatewayUnit(cfg config.Config, tenant string) string {
	return openclaw.InstanceUnit(cfg.Gateway.UnitTemplate, tenant)
}

// Workspace is the directory of a workspace inside the state dir.
func (l Layout) Workspace(name string) string {
	return openclaw.WorkspaceDir(l.StateDir, name)
}

// Allocation renders the layout and ids as the wire allocation.
func (l Layout) Allocation(uid, gid, port int) api.Allocation {
	return api.Allocation{
		User: l.User, Group: l.User, UID: uid, GID: gid, GatewayPort: port,
		Home: l.Home, StateDir: l.StateDir, ConfigDir: l.ConfigDir, Unit: l.Unit,
	}
}

// anchors: paths inside the tenant home are anchored at the home, so a link
// the tenant plants there can never lead a write outside it; everything else
// is anchored at a root-owned parent.
func (l Layout) inHome(p string) steps.Anchor {
	rel, _ := filepath.Rel(l.Home, p)
	return steps.Anchor{Base: l.Home, Rel: rel}
}

func anchorAt(base, p string) steps.Anchor {
	rel, _ := filepath.Rel(base, p)
	return steps.Anchor{Base: base, Rel: rel}
}

func (l Layout) homeAnchor() steps.Anchor           { return anchorAt(l.cfg.Tenants.Root, l.Home) }
func (l Layout) configAnchor(p string) steps.Anchor { return anchorAt(l.cfg.Tenants.ConfigRoot, p) }
func (l Layout) unitAnchor(p string) steps.Anchor   { return anchorAt(l.cfg.Systemd.UnitDir, p) }
func (l Layout) sudoersAnchor() steps.Anchor        { return anchorAt(l.cfg.SudoersDir, l.Sudoers) }
