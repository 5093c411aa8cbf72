package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// logger adapts tflog to retryablehttp.LeveledLogger. It is bound to the
// context of one call so the lines land in Terraform's log for that call.
type logger struct {
	ctx context.Context
}

var _ retryablehttp.LeveledLogger = logger{}

func (l logger) Error(msg string, kv ...any) { tflog.Error(l.ctx, "executor client: "+msg, fields(kv)) }
func (l logger) Warn(msg string, kv ...any)  { tflog.Warn(l.ctx, "executor client: "+msg, fields(kv)) }
func (l logger) Info(msg string, kv ...any)  { tflog.Info(l.ctx, "executor client: "+msg, fields(kv)) }
func (l logger) Debug(msg string, kv ...any) { tflog.Debug(l.ctx, "executor client: "+msg, fields(kv)) }

// fields turns retryablehttp's key/value pairs into tflog fields.
func fields(kv []any) map[string]any {
	out := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return out
}

// logRequest runs before every attempt; attempt 0 is the first try.
func logRequest(ctx context.Context) retryablehttp.RequestLogHook {
	return func(_ retryablehttp.Logger, req *http.Request, attempt int) {
		tflog.Debug(ctx, "executor request", map[string]any{
			"method":     req.Method,
			"path":       req.URL.Path,
			"attempt":    attempt,
			"request_id": req.Header.Get(headerRequestID),
		})
	}
}

func logResponse(ctx context.Context) retryablehttp.ResponseLogHook {
	return func(_ retryablehttp.Logger, resp *http.Response) {
		tflog.Debug(ctx, "executor response", map[string]any{
			"method":     resp.Request.Method,
			"path":       resp.Request.URL.Path,
			"status":     resp.StatusCode,
			"request_id": resp.Request.Header.Get(headerRequestID),
		})
	}
}
