package openclaw

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// DefaultUnitTemplate is the gateway template unit's default name; the
// executor's configuration may name another.
const DefaultUnitTemplate = "missioncontrol-gateway@.service"

// LimitsDropInName is the file name of the per-tenant limits drop-in inside
// the instance's <unit>.d directory.
const LimitsDropInName = "50-limits.conf"

// UnitUserPrefix: a tenant's unix user and group are UnitUserPrefix+tenant.
const UnitUserPrefix = "mc-"

// GatewayUnit is the gateway unit instance of a tenant under the default
// template, e.g. missioncontrol-gateway@acme.service.
func GatewayUnit(tenant string) string { return InstanceUnit(DefaultUnitTemplate, tenant) }

// InstanceUnit is the instance of template ("name@.service") for tenant; the
// one place that derives instance names.
func InstanceUnit(template, tenant string) string {
	return strings.TrimSuffix(template, "@.service") + "@" + tenant + ".service"
}

// UnitOptions say how the template unit runs gateways.
type UnitOptions struct {
	// Description is the unit's description; empty gives a default.
	Description string
	// ConfigRoot holds <tenant>/gateway.env, token.env and credentials.env,
	// e.g. /etc/missioncontrol/tenants.
	ConfigRoot string
	// TenantsRoot holds the tenant homes, e.g. /srv/missioncontrol/tenants;
	// the home is the working directory and the only writable path.
	TenantsRoot string
	// Command is ExecStart's argv, absolute path first: for real gateways
	// Runtime.GatewayCommand("${PORT}"), for scale tests a light command.
	// "${NAME}" expands from the environment files and "%i" is the tenant.
	Command []string
	// RemoteModels lets the gateway reach non-loopback addresses (remote
	// model providers). When false the unit may talk to localhost only
	// (IPAddressDeny=any, IPAddressAllow=localhost).
	RemoteModels bool
	// ReadOnlyPaths are extra paths the gateway may read although
	// ProtectHome= or similar would hide them (e.g. a runtime prefix under
	// /home in development). Usually empty.
	ReadOnlyPaths []string
}

// UnitTemplate renders the template unit. Every tenant instance runs as
// mc-<tenant> with its environment from <config_root>/<tenant>/ and its
// home as the only writable path, under a sandbox that scores at or below
// 2.0 in `systemd-analyze security` while the real gateway still runs
// (Node's JIT needs writable+executable memory, so MemoryDenyWriteExecute
// is not set). Exit status 78 (EX_CONFIG, invalid config) is not restarted.
func UnitTemplate(o UnitOptions) []byte {
	desc := o.Description
	if desc == "" {
		desc = "missioncontrol OpenClaw gateway of tenant %i"
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	cfg := filepath.Join(o.ConfigRoot, "%i")
	home := filepath.Join(o.TenantsRoot, "%i")
	w("# Rendered by missioncontrol; changes are overwritten.")
	w("[Unit]")
	w("Description=%s", unitLine(desc))
	w("After=network.target")
	w("StartLimitIntervalSec=300")
	w("StartLimitBurst=5")
	w("")
	w("[Service]")
	w("Type=exec")
	w("User=%s%%i", UnitUserPrefix)
	w("Group=%s%%i", UnitUserPrefix)
	w("EnvironmentFile=%s", filepath.Join(cfg, "gateway.env"))
	w("EnvironmentFile=%s", filepath.Join(cfg, "token.env"))
	w("EnvironmentFile=-%s", filepath.Join(cfg, "credentials.env"))
	w("WorkingDirectory=%s", home)
	w("ExecStart=%s", execLine(o.Command))
	w("Restart=on-failure")
	w("RestartSec=5")
	w("RestartPreventExitStatus=78")
	w("TimeoutStopSec=30")
	w("SyslogIdentifier=%s%%i", UnitUserPrefix)
	w("UMask=0077")
	w("")
	w("# Sandbox")
	w("NoNewPrivileges=yes")
	w("CapabilityBoundingSet=")
	w("AmbientCapabilities=")
	w("ProtectSystem=strict")
	w("ReadWritePaths=%s", home)
	for _, p := range o.ReadOnlyPaths {
		w("ReadOnlyPaths=%s", unitLine(p))
	}
	w("ProtectHome=yes")
	w("PrivateTmp=yes")
	w("PrivateDevices=yes")
	w("PrivateUsers=yes")
	w("PrivateIPC=yes")
	w("PrivateMounts=yes")
	w("ProtectKernelTunables=yes")
	w("ProtectKernelModules=yes")
	w("ProtectKernelLogs=yes")
	w("ProtectControlGroups=yes")
	w("ProtectClock=yes")
	w("ProtectHostname=yes")
	w("ProtectProc=invisible")
	w("ProcSubset=pid")
	w("RestrictNamespaces=yes")
	w("RestrictRealtime=yes")
	// No RestrictSUIDSGID=: systemd implements it with a seccomp filter that
	// also fails openat2(2) with ENOSYS, and OpenClaw creates its gateway
	// state lock with openat2 (RESOLVE_BENEATH) without a fallback: the
	// gateway then exits 78 ("another SQLite maintenance command owns this
	// state directory"). NoNewPrivileges= still keeps set-id bits inert for
	// the gateway itself, and UMask=0077 plus 0750 homes keep other users out.
	w("LockPersonality=yes")
	w("RemoveIPC=yes")
	w("KeyringMode=private")
	w("DevicePolicy=closed")
	w("RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6")
	w("SystemCallArchitectures=native")
	w("SystemCallFilter=@system-service")
	w("SystemCallFilter=~@privileged @resources @mount @debug @cpu-emulation @obsolete @raw-io @reboot @swap @module @clock")
	w("SystemCallErrorNumber=EPERM")
	if !o.RemoteModels {
		w("IPAddressDeny=any")
		w("IPAddressAllow=localhost")
	}
	// Enabled instances start at boot; without [Install] `enable` would
	// leave them static.
	w("")
	w("[Install]")
	w("WantedBy=multi-user.target")
	return []byte(b.String())
}

// LimitsDropIn renders the [Service] drop-in with a tenant's resource
// limits; nil when no limit is set.
func LimitsDropIn(l api.Limits) []byte {
	if l.MemoryMaxMB <= 0 && l.CPUQuotaPercent <= 0 && l.TasksMax <= 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("# Rendered by missioncontrol; changes are overwritten.\n[Service]\n")
	if l.MemoryMaxMB > 0 {
		b.WriteString("MemoryMax=" + strconv.Itoa(l.MemoryMaxMB) + "M\n")
	}
	if l.CPUQuotaPercent > 0 {
		b.WriteString("CPUQuota=" + strconv.Itoa(l.CPUQuotaPercent) + "%\n")
	}
	if l.TasksMax > 0 {
		b.WriteString("TasksMax=" + strconv.Itoa(l.TasksMax) + "\n")
	}
	return []byte(b.String())
}

// execLine renders argv for ExecStart=. Words made of plain characters
// (which include $, {, } and % so "${PORT}" and "%i" keep their systemd
// meaning) stay bare; others are double-quoted with C escapes.
func execLine(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = execWord(a)
	}
	return strings.Join(words, " ")
}

func execWord(a string) string {
	plain := a != ""
	for _, r := range a {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.,/:@%+=${}", r)) {
			plain = false
			break
		}
	}
	if plain {
		return a
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range a {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// unitLine keeps a free-text value on one line.
func unitLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
