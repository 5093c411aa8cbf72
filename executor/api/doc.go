// Package api is the wire contract between the missioncontrol executor and its
// clients (the Terraform provider and the CLI): request and response types,
// stable error codes, routes, canonical JSON and the plan digest.
//
// It imports nothing else from executor/, so both the server and the client
// depend on it and nothing more. A change here changes both sides at once and
// must keep the round-trip tests passing.
package api
