// Package steps owns the typed host actions of the executor: ensure a group,
// a user, a directory, a file, a secret, a unit file, a sudoers fragment, and
// drive systemd units. Each action is planned by observing the host (a nil
// action means the target already holds), rendered for review as an api.Step,
// applied, and verified by observing again.
//
// Unit observations (UnitStates, UnitFreshness) ask systemd's D-Bus API
// over one long-lived connection (SystemdBus), or run `systemctl show` when
// that fails; actions on units always run systemctl.
//
// It never invokes a shell: commands run by argv with an absolute path and an
// empty environment, from a file descriptor whose content was checked against
// the policy's sha256 pin. File operations never follow a symlink out of the
// directory they were anchored in (os.Root), so a tenant cannot redirect a
// write through a link planted in its own home.
package steps
