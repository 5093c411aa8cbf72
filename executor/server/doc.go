// Package server is the executor's HTTP+JSON API on a unix socket. Every
// connection's peer credentials (SO_PEERCRED) are checked before any request
// is read: only root and members of the configured group may talk to it.
// An optional TCP listener takes clients with mutual TLS instead (tls.go).
// Then every request that is not a GET must carry a signed envelope by a key
// of the configuration with the route's role (auth.go); refusals are
// audited.
// Handlers decode and validate, call the domain (plan, jobs, store), and
// write JSON; every error leaves as an *api.Error through one function.
//
// It never runs host commands itself.
package server
