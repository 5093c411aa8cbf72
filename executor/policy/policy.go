package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// MaxApprovals bounds approvals.<environment>.
const MaxApprovals = 16

// Policy is a parsed policy file. It is immutable and safe for concurrent
// use. A block missing from the file allows nothing: without uids, no step
// with a uid passes; without names, no tenant name does.
type Policy struct {
	revision string

	actions      map[api.StepKind]bool
	namePattern  *regexp.Regexp
	reserved     map[string]bool
	environments map[api.Environment]bool
	pathAllow    []string
	pathDeny     []string
	uids         *span
	ports        *span
	unitAllow    []string
	verbs        map[string]bool
	commands     []command
	sudoAllow    []string
	approvals    map[api.Environment]int
	budget       *budgetRule
}

// span is an inclusive range of numbers.
type span struct{ min, max int }

// command is one `command "PATH" { sha256 = "..." }` block.
type command struct {
	path   string
	sha256 string    // "" when unpinned
	rng    hcl.Range // of the label
	shaRng hcl.Range // of the sha256 attribute, or the block when absent
}

// knownActions are the step kinds a policy may allow.
var knownActions = map[api.StepKind]bool{
	api.StepEnsureGroup: true, api.StepEnsureUser: true, api.StepEnsureDir: true,
	api.StepEnsureFile: true, api.StepInstallUnit: true, api.StepDaemonReload: true,
	api.StepEnableUnit: true, api.StepRestartUnit: true, api.StepStopUnit: true,
	api.StepSudoers: true, api.StepRemoveFile: true, api.StepEnsureSecret: true,
	api.StepArchive: true, api.StepRemoveUser: true, api.StepRemoveGroup: true, api.StepRemoveDir: true,
	api.StepRestore: true,
}

var (
	sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	verbRE   = regexp.MustCompile(`^[a-z][a-z-]*$`)
	// placeholderPin is what example policies carry before `policy pin`.
	placeholderPin = strings.Repeat("0", 64)
)

// Load reads and parses the policy file at path. A missing file is an
// *Error naming path that wraps ErrNotFound.
func Load(path string) (*Policy, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{Range: hcl.Range{Filename: path}, Err: ErrNotFound}
	}
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return Parse(src, path)
}

// Parse parses and validates a policy. filename is only used in positions.
// All problems are returned together (errors.Join of *Error, in file order):
// syntax errors, unknown or repeated blocks and attributes, wrong types,
// unknown step kinds or environments, bad or unanchored name patterns, bad
// globs, relative paths, min > max, and sha256 values that are neither empty
// nor 64 lowercase hex digits. An empty (or all-zero placeholder) sha256 is
// accepted so that Pin can fill it; Verify and Unpinned report it.
func Parse(src []byte, filename string) (*Policy, error) {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, joinSorted(diagErrors(diags, ""))
	}
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		return nil, &Error{Range: hcl.Range{Filename: filename}, Err: ErrSyntax}
	}
	p := &Policy{
		revision:     api.SHA256Hex(src),
		actions:      map[api.StepKind]bool{},
		reserved:     map[string]bool{},
		environments: map[api.Environment]bool{},
		verbs:        map[string]bool{},
		approvals:    map[api.Environment]int{},
	}
	d := &decoder{filename: filename}
	d.parse(p, body)
	if len(d.errs) > 0 {
		return nil, joinSorted(d.errs)
	}
	return p, nil
}

// Revision identifies the policy: "sha256:" and the hex digest of the
// source bytes. Plans record it, so any edit changes plan digests.
func (p *Policy) Revision() string {
	return p.revision
}

// Pins returns command path -> sha256 hex for every pinned command. Unpinned
// commands are left out, so a runner that looks a path up and finds nothing
// must refuse to execute it.
func (p *Policy) Pins() map[string]string {
	pins := make(map[string]string, len(p.commands))
	for _, c := range p.commands {
		if c.sha256 != "" {
			pins[c.path] = c.sha256
		}
	}
	return pins
}

// Unpinned returns the sorted paths of command blocks whose sha256 is empty
// or the all-zero placeholder.
func (p *Policy) Unpinned() []string {
	var out []string
	for _, c := range p.commands {
		if c.sha256 == "" {
			out = append(out, c.path)
		}
	}
	sort.Strings(out)
	return out
}

// Verify checks every command block against this host: it must be pinned,
// and hash(path) must equal its pin. It returns all problems together
// (errors.Join of *Error wrapping ErrUnpinned, ErrPinMismatch, or the hash
// error), or nil. Serving a policy that fails Verify would deny every
// command step of the commands concerned.
func (p *Policy) Verify(hash func(path string) (string, error)) error {
	var errs []error
	for _, c := range p.commands {
		field := commandField(c.path) + ".sha256"
		if c.sha256 == "" {
			errs = append(errs, &Error{Range: c.shaRng, Field: field, Err: ErrUnpinned})
			continue
		}
		got, err := hash(c.path)
		if err != nil {
			errs = append(errs, &Error{Range: c.rng, Field: commandField(c.path), Err: err})
			continue
		}
		if got != c.sha256 {
			errs = append(errs, &Error{Range: c.shaRng, Field: field, Value: strconv.Quote(c.sha256),
				Err: fmt.Errorf("%w (%s has %s)", ErrPinMismatch, c.path, got)})
		}
	}
	return joinSorted(errs)
}

// RequiredApprovals is how many distinct approvers a change to a tenant in
// env needs. An environment the policy does not list needs math.MaxInt, that
// is, it can never be approved (CheckDesired also refuses it).
func (p *Policy) RequiredApprovals(env api.Environment) int {
	if p == nil || !p.environments[env] {
		return math.MaxInt
	}
	n, ok := p.approvals[env]
	if !ok {
		return math.MaxInt
	}
	return n
}

func commandField(path string) string {
	return "command[" + strconv.Quote(path) + "]"
}

// decoder walks the policy body and collects every problem.
type decoder struct {
	filename string
	errs     []error
	seen     map[string]hcl.Range
}

func (d *decoder) fail(rng hcl.Range, field, value string, err error) {
	d.errs = append(d.errs, &Error{Range: rng, Field: field, Value: value, Err: err})
}

func (d *decoder) parse(p *Policy, body *hclsyntax.Body) {
	d.seen = map[string]hcl.Range{}
	var envAttr *hclsyntax.Attribute
	for _, attr := range body.Attributes {
		if attr.Name != "environments" {
			d.fail(attr.NameRange, attr.Name, "", fmt.Errorf("%w: attribute %q", ErrUnknown, attr.Name))
			continue
		}
		envAttr = attr
		for _, e := range d.strings(attr, "environments") {
			if !isKnownEnv(api.Environment(e)) {
				d.fail(attr.SrcRange, "environments", strconv.Quote(e), ErrEnvironment)
				continue
			}
			p.environments[api.Environment(e)] = true
		}
	}

	var approvals *hclsyntax.Block
	for _, b := range body.Blocks {
		if b.Type == "command" {
			d.command(p, b)
			continue
		}
		if len(b.Labels) > 0 {
			d.fail(b.LabelRanges[0], b.Type, "", fmt.Errorf("%w: block %q takes no labels", ErrSyntax, b.Type))
			continue
		}
		if prev, ok := d.seen[b.Type]; ok {
			d.fail(b.TypeRange, b.Type, "", fmt.Errorf("%w (first at line %d)", ErrDuplicate, prev.Start.Line))
			continue
		}
		d.seen[b.Type] = b.TypeRange
		switch b.Type {
		case "actions":
			d.actions(p, b)
		case "names":
			d.names(p, b)
		case "paths":
			d.paths(p, b)
		case "uids":
			p.uids = d.span(b, 1000, math.MaxInt32, 0)
		case "ports":
			p.ports = d.span(b, 1024, 65535, 4)
		case "units":
			d.units(p, b)
		case "sudo":
			d.sudo(p, b)
		case "approvals":
			approvals = b
			d.approvals(p, b)
		case "budget":
			d.budget(p, b)
		default:
			d.fail(b.TypeRange, b.Type, "", fmt.Errorf("%w: block %q", ErrUnknown, b.Type))
		}
	}

	// Every environment must say how many approvals it needs.
	for _, env := range api.Environments {
		if !p.environments[env] {
			continue
		}
		if _, ok := d.seen["approvals."+string(env)]; ok {
			continue
		}
		rng := hcl.Range{Filename: d.filename}
		switch {
		case approvals != nil:
			rng = approvals.TypeRange
		case envAttr != nil:
			rng = envAttr.SrcRange
		}
		d.fail(rng, "approvals."+string(env), "", ErrMissing)
	}
}

// attrs calls fn for every attribute of b in file order and refuses nested
// blocks and attributes fn does not know (fn returns false).
func (d *decoder) attrs(b *hclsyntax.Block, prefix string, fn func(field string, attr *hclsyntax.Attribute) bool) {
	list := make([]*hclsyntax.Attribute, 0, len(b.Body.Attributes))
	for _, a := range b.Body.Attributes {
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].SrcRange.Start.Byte < list[j].SrcRange.Start.Byte })
	for _, a := range list {
		field := prefix + "." + a.Name
		if !fn(field, a) {
			d.fail(a.NameRange, field, "", fmt.Errorf("%w: attribute %q", ErrUnknown, field))
		}
	}
	for _, nested := range b.Body.Blocks {
		field := prefix + "." + nested.Type
		d.fail(nested.TypeRange, field, "", fmt.Errorf("%w: block %q", ErrUnknown, field))
	}
}

func (d *decoder) actions(p *Policy, b *hclsyntax.Block) {
	d.attrs(b, b.Type, func(field string, a *hclsyntax.Attribute) bool {
		if a.Name != "allow" {
			return false
		}
		for _, e := range d.strings(a, field) {
			if !knownActions[api.StepKind(e)] {
				d.fail(a.SrcRange, field, strconv.Quote(e), ErrAction)
				continue
			}
			p.actions[api.StepKind(e)] = true
		}
		return true
	})
}

func (d *decoder) names(p *Policy, b *hclsyntax.Block) {
	d.attrs(b, b.Type, func(field string, a *hclsyntax.Attribute) bool {
		switch a.Name {
		case "pattern":
			s, ok := d.string(a, field)
			if !ok {
				return true
			}
			re, err := regexp.Compile(s)
			if err != nil || !strings.HasPrefix(s, "^") || !strings.HasSuffix(s, "$") {
				d.fail(a.SrcRange, field, strconv.Quote(s), ErrPattern)
				return true
			}
			p.namePattern = re
		case "reserved":
			for _, e := range d.strings(a, field) {
				p.reserved[e] = true
			}
		default:
			return false
		}
		return true
	})
	if p.namePattern == nil && !d.failedAt(b) {
		d.fail(b.TypeRange, "names.pattern", "", ErrMissing)
	}
}

func (d *decoder) paths(p *Policy, b *hclsyntax.Block) {
	d.attrs(b, b.Type, func(field string, a *hclsyntax.Attribute) bool {
		var dst *[]string
		switch a.Name {
		case "allow":
			dst = &p.pathAllow
		case "deny":
			dst = &p.pathDeny
		default:
			return false
		}
		for _, e := range d.strings(a, field) {
			// A prefix may end in "/" (a directory) or in part of a name
			// ("/etc/sudoers.d/missioncontrol-").
			trimmed := strings.TrimSuffix(e, "/")
			if trimmed == "" || !cleanAbs(trimmed) {
				d.fail(a.SrcRange, field, strconv.Quote(e), ErrPath)
				continue
			}
			*dst = append(*dst, e)
		}
		return true
	})
}

// span reads min and max of a uids or ports block: floor <= min,
// min+gap <= max <= ceil.
func (d *decoder) span(b *hclsyntax.Block, floor, ceil, gap int) *span {
	var s span
	var minAttr, maxAttr *hclsyntax.Attribute
	typed := true
	d.attrs(b, b.Type, func(field string, a *hclsyntax.Attribute) bool {
		var ok bool
		switch a.Name {
		case "min":
			minAttr = a
			s.min, ok = d.int(a, field)
		case "max":
			maxAttr = a
			s.max, ok = d.int(a, field)
		default:
			return false
		}
		typed = typed && ok
		return true
	})
	if !typed {
		return nil // already reported
	}
	rangeErr := ErrPortRange
	if b.Type == "uids" {
		rangeErr = ErrUIDMin
	}
	ok := true
	if minAttr == nil {
		d.fail(b.TypeRange, b.Type+".min", "", ErrMissing)
		ok = false
	} else if s.min < floor || s.min > ceil {
		d.fail(minAttr.SrcRange, b.Type+".min", strconv.Itoa(s.min), rangeErr)
		ok = false
	}
	if maxAttr == nil {
		d.fail(b.TypeRange, b.Type+".max", "", ErrMissing)
		ok = false
	} else if s.max > ceil {
		d.fail(maxAttr.SrcRange, b.Type+".max", strconv.Itoa(s.max), rangeErr)
		ok = false
	} else if minAttr != nil && s.max < s.min+gap {
		d.fail(maxAttr.SrcRange, b.Type+".max", strconv.Itoa(s.max), ErrMinMax)
		ok = false
	}
	if !ok {
		return nil
	}
	return &s
}

func (d *decoder) units(p *Policy, b *hclsyntax.Block) {
	d.attrs(b, b.Type, func(field string, a *hclsyntax.Attribute) bool {
		switch a.Name {
		case "allow":
			for _, e := range d.strings(a, field) {
				if _, err := path.Match(e, ""); err != nil || e == "" || strings.Contains(e, "/") {
					d.fail(a.SrcRange, field, strconv.Quote(e), ErrGlob)
					continue
				}
				p.unitAllow = append(p.unitAllow, e)
			}
		case "verbs":
			for _, e := range d.strings(a, field) {
				if !verbRE.MatchString(e) {
					d.fail(a.SrcRange, field, strconv.Quote(e), ErrVerb)
					continue
				}
				p.verbs[e] = true
			}
		default:
			return false
		}
		return true
	})
}

func (d *decoder) sudo(p *Policy, b *hclsyntax.Block) {
	d.attrs(b, b.Type, func(field string, a *hclsyntax.Attribute) bool {
		if a.Name != "allow_commands" {
			return false
		}
		for _, e := range d.strings(a, field) {
			if !validSudoPattern(e) {
				d.fail(a.SrcRange, field, strconv.Quote(e), ErrSudoPattern)
				continue
			}
			p.sudoAllow = append(p.sudoAllow, e)
		}
		return true
	})
}

func (d *decoder) approvals(p *Policy, b *hclsyntax.Block) {
	d.attrs(b, b.Type, func(field string, a *hclsyntax.Attribute) bool {
		env := api.Environment(a.Name)
		if !isKnownEnv(env) {
			d.fail(a.NameRange, field, "", ErrEnvironment)
			return true
		}
		if !p.environments[env] {
			d.fail(a.NameRange, field, "", fmt.Errorf("%w: %q is not in environments", ErrEnvironment, env))
			return true
		}
		d.seen[field] = a.SrcRange
		n, ok := d.int(a, field)
		if !ok {
			return true
		}
		if n < 0 || n > MaxApprovals {
			d.fail(a.SrcRange, field, strconv.Itoa(n), ErrApprovals)
			return true
		}
		p.approvals[env] = n
		return true
	})
}

func (d *decoder) command(p *Policy, b *hclsyntax.Block) {
	if len(b.Labels) != 1 {
		d.fail(b.TypeRange, "command", "", fmt.Errorf("%w: command blocks take exactly one label, the absolute path", ErrSyntax))
		return
	}
	c := command{path: b.Labels[0], rng: b.LabelRanges[0], shaRng: b.TypeRange}
	field := commandField(c.path)
	if !cleanAbs(c.path) {
		d.fail(c.rng, "command", strconv.Quote(c.path), ErrPath)
		return
	}
	if prev, ok := d.seen[field]; ok {
		d.fail(c.rng, field, "", fmt.Errorf("%w (first at line %d)", ErrDuplicate, prev.Start.Line))
		return
	}
	d.seen[field] = c.rng
	d.attrs(b, field, func(field string, a *hclsyntax.Attribute) bool {
		if a.Name != "sha256" {
			return false
		}
		c.shaRng = a.SrcRange
		s, ok := d.string(a, field)
		if !ok {
			return true
		}
		switch {
		case s == "" || s == placeholderPin:
			c.sha256 = ""
		case sha256RE.MatchString(s):
			c.sha256 = s
		default:
			d.fail(a.SrcRange, field, strconv.Quote(s), ErrSHA256)
		}
		return true
	})
	p.commands = append(p.commands, c)
}

// failedAt reports whether an error was already recorded inside b.
func (d *decoder) failedAt(b *hclsyntax.Block) bool {
	for _, err := range d.errs {
		var e *Error
		if errors.As(err, &e) && e.Range.Start.Byte >= b.TypeRange.Start.Byte && e.Range.End.Byte <= b.CloseBraceRange.End.Byte {
			return true
		}
	}
	return false
}

func (d *decoder) value(a *hclsyntax.Attribute, field string) (cty.Value, bool) {
	val, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		d.errs = append(d.errs, diagErrors(diags, field)...)
		return cty.NilVal, false
	}
	if val.IsNull() || !val.IsWhollyKnown() {
		d.fail(a.SrcRange, field, "null", fmt.Errorf("%w: must not be null", ErrType))
		return cty.NilVal, false
	}
	return val, true
}

func (d *decoder) string(a *hclsyntax.Attribute, field string) (string, bool) {
	val, ok := d.value(a, field)
	if !ok {
		return "", false
	}
	if val.Type() != cty.String {
		d.fail(a.SrcRange, field, val.Type().FriendlyName(), fmt.Errorf("%w: must be a string", ErrType))
		return "", false
	}
	return val.AsString(), true
}

func (d *decoder) int(a *hclsyntax.Attribute, field string) (int, bool) {
	val, ok := d.value(a, field)
	if !ok {
		return 0, false
	}
	if val.Type() == cty.Number {
		bf := val.AsBigFloat()
		if i, acc := bf.Int64(); bf.IsInt() && acc == big.Exact && i >= math.MinInt32 && i <= math.MaxInt32 {
			return int(i), true
		}
		d.fail(a.SrcRange, field, bf.Text('g', -1), fmt.Errorf("%w: must be a whole number", ErrType))
		return 0, false
	}
	d.fail(a.SrcRange, field, val.Type().FriendlyName(), fmt.Errorf("%w: must be a whole number", ErrType))
	return 0, false
}

func (d *decoder) strings(a *hclsyntax.Attribute, field string) []string {
	val, ok := d.value(a, field)
	if !ok {
		return nil
	}
	t := val.Type()
	if !t.IsListType() && !t.IsTupleType() && !t.IsSetType() {
		d.fail(a.SrcRange, field, t.FriendlyName(), fmt.Errorf("%w: must be a list of strings", ErrType))
		return nil
	}
	var out []string
	for it := val.ElementIterator(); it.Next(); {
		_, v := it.Element()
		if v.IsNull() || v.Type() != cty.String {
			d.fail(a.SrcRange, field, v.Type().FriendlyName(), fmt.Errorf("%w: must be a list of strings", ErrType))
			return nil
		}
		out = append(out, v.AsString())
	}
	return out
}

func isKnownEnv(env api.Environment) bool {
	for _, e := range api.Environments {
		if e == env {
			return true
		}
	}
	return false
}

// cleanAbs reports whether p is absolute, clean and free of control
// characters.
func cleanAbs(p string) bool {
	return filepath.IsAbs(p) && filepath.Clean(p) == p && !hasControl(p)
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
