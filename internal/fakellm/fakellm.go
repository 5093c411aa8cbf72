// Package fakellm is a test double for a paid LLM API: an OpenAI-compatible
// chat-completions server on loopback that answers with canned text and
// fixed, configurable token usage, so tests can drive real OpenClaw turns
// (provider api "openai-completions") without a network, an account or a
// bill, and know exactly which usage records OpenClaw must write.
//
// It speaks POST /v1/chat/completions (JSON, and SSE streaming whose last
// data chunk before [DONE] carries usage when stream_options.include_usage
// is true, as OpenAI does) and GET /v1/models. It is a port of the parts of
// shared/reference/openclaw/fake-llm.py that OpenClaw's openai-completions
// adapter needs. It never calls out anywhere.
package fakellm

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Settings are the canned answer. Prompt tokens include the cached and
// cache-write tokens, as in OpenAI's usage.
type Settings struct {
	Model            string   // reported when the request names none; default "fake-model-1"
	PromptTokens     int      // usage.prompt_tokens; default 1234
	CachedTokens     int      // usage.prompt_tokens_details.cached_tokens; default 200
	CacheWriteTokens int      // usage.prompt_tokens_details.cache_write_tokens; default 0
	CompletionTokens int      // usage.completion_tokens; default 56
	Reply            string   // reply text, followed by " #<request number>"
	BilledCost       *float64 // when set, usage.cost (OpenClaw records it as provider-billed)
	// APIKey, when set, must arrive as "Authorization: Bearer <APIKey>";
	// otherwise the answer is 401.
	APIKey string
	// FailStatus, when set, answers every completion with this status and
	// an OpenAI error body (e.g. 500 or 429) to drive failed turns.
	FailStatus int
}

// DefaultSettings are the numbers the reference fixtures were made with.
func DefaultSettings() Settings {
	return Settings{
		Model: "fake-model-1", PromptTokens: 1234, CachedTokens: 200, CompletionTokens: 56,
		Reply: "Hello from the fake LLM. (canned reply)",
	}
}

// Request is what the server recorded of one completion request.
type Request struct {
	N             int    // 1-based request number (also in the reply text)
	Path          string // e.g. /v1/chat/completions
	Authorization string
	Model         string
	Stream        bool
	IncludeUsage  bool
	Messages      int // number of messages in the request
}

// Server is a running fake LLM.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	settings Settings
	requests []Request
	n        int
}

// Start starts a server with DefaultSettings on 127.0.0.1 (a free port) and
// closes it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := New(DefaultSettings())
	if err != nil {
		t.Fatalf("start fake LLM: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// New starts a server on 127.0.0.1 (a free port); the caller closes it.
func New(settings Settings) (*Server, error) { return Listen("127.0.0.1:0", settings) }

// Listen starts a server on addr, which must be a loopback address (it is
// a test double and never serves a network); the caller closes it.
func Listen(addr string, settings Settings) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("fake LLM listen %q: want a loopback ip:port", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fake LLM listen: %w", err)
	}
	s := &Server{settings: settings}
	s.srv = httptest.NewUnstartedServer(s.handler())
	s.srv.Listener.Close()
	s.srv.Listener = l
	s.srv.Start()
	return s, nil
}

// URL is the server's root, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return s.srv.URL }

// BaseURL is what an OpenAI-compatible client takes as its base URL
// (URL()+"/v1"); OpenClaw's openai-completions adapter appends
// /chat/completions.
func (s *Server) BaseURL() string { return s.srv.URL + "/v1" }

// Port is the TCP port the server listens on.
func (s *Server) Port() int { return s.srv.Listener.Addr().(*net.TCPAddr).Port }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Settings returns the current settings.
func (s *Server) Settings() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings
}

// Set replaces the settings for every later request.
func (s *Server) Set(settings Settings) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings = settings
}

// Requests returns the completion requests seen so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", s.models)
	mux.HandleFunc("GET /models", s.models)
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("POST /chat/completions", s.chat)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "not found: "+r.URL.Path)
	})
	return mux
}

func (s *Server) models(w http.ResponseWriter, _ *http.Request) {
	st := s.Settings()
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []any{
		map[string]any{"id": st.Model, "object": "model", "created": 0, "owned_by": "fakellm"},
	}})
}

type chatRequest struct {
	Model         string            `json:"model"`
	Messages      []json.RawMessage `json:"messages"`
	Stream        bool              `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "read body: "+err.Error())
		return
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "body is not a chat completion request: "+err.Error())
		return
	}
	s.mu.Lock()
	s.n++
	n, st := s.n, s.settings
	rec := Request{N: n, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), Model: req.Model,
		Stream: req.Stream, IncludeUsage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage, Messages: len(req.Messages)}
	s.requests = append(s.requests, rec)
	s.mu.Unlock()

	if st.APIKey != "" && rec.Authorization != "Bearer "+st.APIKey {
		writeError(w, http.StatusUnauthorized, "invalid_api_key", "Incorrect API key provided.")
		return
	}
	if st.FailStatus != 0 {
		writeError(w, st.FailStatus, "server_error", fmt.Sprintf("fake failure %d", st.FailStatus))
		return
	}
	model := req.Model
	if model == "" {
		model = st.Model
	}
	id := fmt.Sprintf("chatcmpl-fake%08d", n)
	text := fmt.Sprintf("%s #%d", st.Reply, n)
	usage := map[string]any{
		"prompt_tokens":     st.PromptTokens,
		"completion_tokens": st.CompletionTokens,
		"total_tokens":      st.PromptTokens + st.CompletionTokens,
		"prompt_tokens_details": map[string]any{
			"cached_tokens": st.CachedTokens, "cache_write_tokens": st.CacheWriteTokens,
		},
		"completion_tokens_details": map[string]any{"reasoning_tokens": 0},
	}
	if st.BilledCost != nil {
		usage["cost"] = *st.BilledCost
	}
	const created = 1796400000 // fixed: answers are reproducible
	if !req.Stream {
		writeJSON(w, http.StatusOK, map[string]any{
			"id": id, "object": "chat.completion", "created": created, "model": model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": text}}},
			"usage": usage,
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	chunk := func(choices []any, extra map[string]any) {
		m := map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": model, "choices": choices}
		for k, v := range extra {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if flusher != nil {
			flusher.Flush()
		}
	}
	delta := func(d map[string]any, finish any) []any {
		return []any{map[string]any{"index": 0, "delta": d, "finish_reason": finish}}
	}
	chunk(delta(map[string]any{"role": "assistant", "content": ""}, nil), nil)
	half := len(text) / 2
	for half > 0 && !utf8Start(text[half]) {
		half--
	}
	chunk(delta(map[string]any{"content": text[:half]}, nil), nil)
	chunk(delta(map[string]any{"content": text[half:]}, nil), nil)
	chunk(delta(map[string]any{}, "stop"), nil)
	if rec.IncludeUsage {
		chunk([]any{}, map[string]any{"usage": usage})
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	if flusher != nil {
		flusher.Flush()
	}
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": strings.ToLower(typ)}})
}
