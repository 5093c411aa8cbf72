// Package openclaw owns what a tenant's OpenClaw gateway is made of on a host:
// the pinned runtime layout (Node and OpenClaw under one prefix), the rendered
// gateway configuration (<state>/openclaw.json), the service environment
// files (gateway.env, token.env, credentials.env), the hardened systemd
// template unit missioncontrol-gateway@.service with its per-tenant limits
// drop-in, the unit instance name, and the readiness probe of a running
// gateway (/healthz, then /readyz, JSON bodies checked).
//
// Everything here is pure rendering or a read-only HTTP probe: the package
// never invokes a shell, never writes a file and never touches systemd; the
// executor's steps write what it renders. Rendering is deterministic (the
// same input gives the same bytes, because content hashes are part of the
// plan digest) and emits only keys that OpenClaw 2026.9.6 accepts: its
// config is strictly validated and one unknown key stops the gateway.
//
// Secrets never enter openclaw.json: the gateway token is read by OpenClaw
// from OPENCLAW_GATEWAY_TOKEN (token.env), and model provider API keys are
// env SecretRefs ({source:"env"}) to variables kept in credentials.env, both
// loaded by systemd from root-owned 0600 files.
package openclaw
