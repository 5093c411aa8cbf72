package api

import "time"

// JobState is a job's place in its life cycle.
type JobState string

const (
	JobPlanned          JobState = "planned"
	JobQueued           JobState = "queued"
	JobAwaitingApproval JobState = "awaiting_approval"
	JobApproved         JobState = "approved"
	JobRunning          JobState = "running"
	JobSucceeded        JobState = "succeeded"
	JobFailed           JobState = "failed"
	JobCancelled        JobState = "cancelled"
	JobRejected         JobState = "rejected"
	JobExpired          JobState = "expired"
)

// Terminal reports whether no further transition can happen.
func (s JobState) Terminal() bool {
	switch s {
	case JobSucceeded, JobFailed, JobCancelled, JobRejected, JobExpired:
		return true
	}
	return false
}

// SubmitRequest asks the executor to run a reviewed plan. The executor plans
// the same request again and refuses with CodePlanChanged unless the result
// has Digest.
type SubmitRequest struct {
	PlanRequest
	Digest    string   `json:"digest"`
	Approvals []string `json:"approvals,omitempty"`
}

// Job is one execution of a plan.
type Job struct {
	ID         string     `json:"id"`
	Tenant     string     `json:"tenant"`
	Digest     string     `json:"digest"`
	State      JobState   `json:"state"`
	Error      string     `json:"error,omitempty"`
	Steps      []Step     `json:"steps"`
	Events     []Event    `json:"events,omitempty"`
	Allocation Allocation `json:"allocation"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	// RetryOf is the id of the failed job this one retries, if any.
	RetryOf string `json:"retry_of,omitempty"`
	// Submitter is the id of the key that submitted the job; it never
	// counts as an approver of its own job.
	Submitter string `json:"submitter,omitempty"`
	// RequiredApprovals is how many distinct approvers the policy asks for
	// (by the tenant's environment); Approvals are those counted so far.
	RequiredApprovals int           `json:"required_approvals"`
	Approvals         []JobApproval `json:"approvals,omitempty"`
	// ApprovalDeadline is when a job still awaiting approval expires.
	ApprovalDeadline time.Time `json:"approval_deadline,omitzero"`
}

// JobList is the answer to a job listing.
type JobList struct {
	Jobs []Job `json:"jobs"`
}

// EventType says what an Event records.
type EventType string

const (
	EventStepStart  EventType = "step_start"
	EventStepDone   EventType = "step_done"
	EventStepFailed EventType = "step_failed"
	EventJobState   EventType = "job_state"
)

// MaxOutputBytes bounds the stdout and stderr kept per step event.
const MaxOutputBytes = 8 << 10

// Event is one record of a job's progress.
type Event struct {
	Seq        int       `json:"seq"`
	Time       time.Time `json:"time"`
	Type       EventType `json:"type"`
	Step       int       `json:"step"` // index into Job.Steps, -1 for job events
	Argv       []string  `json:"argv,omitempty"`
	ExitCode   int       `json:"exit_code"`
	Stdout     string    `json:"stdout,omitempty"` // bounded by MaxOutputBytes
	Stderr     string    `json:"stderr,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	Message    string    `json:"message,omitempty"`
}
