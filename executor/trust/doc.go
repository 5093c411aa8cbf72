// Package trust decides who may ask the executor for what: it verifies
// signed request envelopes (key, signature, audience, expiry, one-time
// nonce) and approval tokens (approve-key signatures over a plan digest,
// host and expiry) against the keys of the executor configuration.
//
// It never looks at the transport: peer credentials are checked before a
// request reaches it. It never decides how many approvals a job needs;
// that is the policy's, and counting them is the jobs package's.
package trust
