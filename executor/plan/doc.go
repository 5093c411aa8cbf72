// Package plan turns a tenant change into the host steps that realise it. It
// merges the change into the tenant's registered desired state, observes the
// real host (users, groups, files, units), allocates uid, gid and gateway port
// deterministically, asks the policy about every step, and digests the result.
//
// Planning is read-only: it never writes to the host or to the registry and
// never reserves anything. The same request on the same host under the same
// policy gives the same plan and digest.
package plan
