// Package config reads the executor's HCL configuration file
// (/etc/missioncontrol/executor.hcl): where the executor listens, where tenants
// live on the host, which uid and port ranges it allocates from, how the
// gateway runs and the absolute paths of the host tools it executes.
//
// The flow is Default → Parse (which overlays a file on the defaults) →
// Validate, or Load for all three. Every problem is an *Error that carries the
// file position, the dotted field name and the offending value, and wraps one
// of the sentinel errors of this package so callers can branch with errors.Is.
//
// The package only reads and checks configuration. It never touches the host
// apart from reading the files it is given (the config file and, for
// ResolveHostID, the machine id).
package config
