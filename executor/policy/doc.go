// Package policy is the executor's deny-by-default policy: an HCL file
// (/etc/missioncontrol/policy.hcl) that says which step kinds may run, which
// names, environments, paths, uids, ports, units, systemctl verbs, commands
// (pinned by sha256) and sudo command lines are allowed, and how many
// approvals each environment needs.
//
// Evaluate decides one planned step and CheckDesired one desired tenant
// state; both deny anything the policy does not explicitly allow, deny rules
// override allow rules, and every decision names the rule that made it so it
// can be audited. Parse and Load report every problem of a policy file with
// its position; Pin rewrites the command pins of a file in place.
//
// The package decides; it never executes anything and never changes the
// host. Checking a command's hash at exec time (from the verified file
// descriptor) is the runner's job, with the values of Pins.
package policy
