// Package logctx carries log attributes in a context: the server puts the
// request id there, the job queue the job id and tenant, and a Handler adds
// them to every record logged with that context (slog's *Context methods).
// So each line about a request or a job names it without every call site
// repeating the attributes. It owns no output and never logs by itself.
package logctx
