package api

import "time"

// RouteListArchives lists the verified archives decommissions wrote.
const RouteListArchives = "GET /v1/archives" // ?tenant=NAME -> ArchiveList

// PathArchives is the client path of RouteListArchives.
const PathArchives = "/v1/archives"

// Archive is one tenant archive: written by a decommission, read back before
// anything was removed, and recorded with the tenant as it was.
type Archive struct {
	Path        string      `json:"path"`
	Tenant      string      `json:"tenant"`
	SHA256      string      `json:"sha256"`
	Size        int64       `json:"size"`
	JobID       string      `json:"job_id"`
	UID         int         `json:"uid"` // stays reserved while the archive exists
	Environment Environment `json:"environment,omitempty"`
	CreatedAt   time.Time   `json:"created_at"`
}

// ArchiveList is the answer to an archive listing.
type ArchiveList struct {
	Archives []Archive `json:"archives"`
}
