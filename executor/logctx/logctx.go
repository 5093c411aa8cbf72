package logctx

import (
	"context"
	"log/slog"
)

// Attribute keys shared by every executor log line that concerns them.
const (
	KeyRequestID = "request_id"
	KeyJob       = "job"
	KeyTenant    = "tenant"
)

type ctxKey struct{}

// With returns ctx carrying attrs in addition to those it already carries.
// A key given again replaces the earlier value.
func With(ctx context.Context, attrs ...slog.Attr) context.Context {
	prev := Attrs(ctx)
	out := make([]slog.Attr, 0, len(prev)+len(attrs))
	for _, a := range prev {
		if !has(attrs, a.Key) {
			out = append(out, a)
		}
	}
	return context.WithValue(ctx, ctxKey{}, append(out, attrs...))
}

func has(attrs []slog.Attr, key string) bool {
	for _, a := range attrs {
		if a.Key == key {
			return true
		}
	}
	return false
}

// Attrs are the attributes ctx carries (nil when none).
func Attrs(ctx context.Context) []slog.Attr {
	if ctx == nil {
		return nil
	}
	attrs, _ := ctx.Value(ctxKey{}).([]slog.Attr)
	return attrs
}

// Handler adds the context's attributes to each record before the wrapped
// handler writes it.
type Handler struct{ slog.Handler }

// NewHandler wraps h.
func NewHandler(h slog.Handler) *Handler { return &Handler{Handler: h} }

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if attrs := Attrs(ctx); len(attrs) > 0 {
		r = r.Clone()
		r.AddAttrs(attrs...)
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Handler{Handler: h.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{Handler: h.Handler.WithGroup(name)}
}
