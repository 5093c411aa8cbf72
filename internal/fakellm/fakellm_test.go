package fakellm

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func post(t *testing.T, s *Server, auth, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.BaseURL()+"/chat/completions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

type usage struct {
	PromptTokens        int      `json:"prompt_tokens"`
	CompletionTokens    int      `json:"completion_tokens"`
	TotalTokens         int      `json:"total_tokens"`
	Cost                *float64 `json:"cost"`
	PromptTokensDetails struct {
		CachedTokens     int `json:"cached_tokens"`
		CacheWriteTokens int `json:"cache_write_tokens"`
	} `json:"prompt_tokens_details"`
}

type completion struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		FinishReason *string `json:"finish_reason"`
		Message      struct {
			Role, Content string
		} `json:"message"`
		Delta struct {
			Role, Content string
		} `json:"delta"`
	} `json:"choices"`
	Usage *usage `json:"usage"`
}

func TestChatJSON(t *testing.T) {
	t.Parallel()
	s := Start(t)
	resp := post(t, s, "Bearer k", `{"model":"fake-model-2","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var c completion
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.Object != "chat.completion" || c.Model != "fake-model-2" || len(c.Choices) != 1 ||
		c.Choices[0].Message.Role != "assistant" || c.Choices[0].Message.Content != "Hello from the fake LLM. (canned reply) #1" {
		t.Fatalf("completion = %+v", c)
	}
	if c.Usage == nil || c.Usage.PromptTokens != 1234 || c.Usage.CompletionTokens != 56 || c.Usage.TotalTokens != 1290 ||
		c.Usage.PromptTokensDetails.CachedTokens != 200 || c.Usage.Cost != nil {
		t.Fatalf("usage = %+v", c.Usage)
	}
	want := []Request{{N: 1, Path: "/v1/chat/completions", Authorization: "Bearer k", Model: "fake-model-2", Messages: 1}}
	if d := cmp.Diff(want, s.Requests()); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}
}

// sse reads the data lines of an event stream.
func sse(t *testing.T, resp *http.Response) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, d)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestChatStream(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		includeUsage bool
	}{"with usage": {true}, "without usage": {false}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := Start(t)
			cost := 0.0123
			st := s.Settings()
			st.Reply, st.CacheWriteTokens, st.BilledCost = "héllo wörld", 100, &cost
			s.Set(st)
			body := `{"model":"m","stream":true,"messages":[]}`
			if tc.includeUsage {
				body = `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]}`
			}
			resp := post(t, s, "", body)
			if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
				t.Fatalf("content type %q", ct)
			}
			data := sse(t, resp)
			if len(data) < 2 || data[len(data)-1] != "[DONE]" {
				t.Fatalf("stream does not end in [DONE]: %q", data)
			}
			var text strings.Builder
			var last completion
			for _, d := range data[:len(data)-1] {
				var c completion
				if err := json.Unmarshal([]byte(d), &c); err != nil {
					t.Fatalf("chunk %q: %v", d, err)
				}
				if c.Object != "chat.completion.chunk" {
					t.Fatalf("chunk object %q", c.Object)
				}
				for _, ch := range c.Choices {
					text.WriteString(ch.Delta.Content)
				}
				if c.Usage != nil && d != data[len(data)-2] {
					t.Fatalf("usage before the final chunk: %q", d)
				}
				last = c
			}
			if got := text.String(); got != "héllo wörld #1" {
				t.Errorf("streamed text %q", got)
			}
			if !tc.includeUsage {
				if last.Usage != nil {
					t.Fatalf("usage without stream_options.include_usage: %+v", last.Usage)
				}
				return
			}
			if len(last.Choices) != 0 || last.Usage == nil || last.Usage.PromptTokens != 1234 ||
				last.Usage.PromptTokensDetails.CacheWriteTokens != 100 || last.Usage.Cost == nil || *last.Usage.Cost != 0.0123 {
				t.Fatalf("final chunk = %+v usage %+v", last, last.Usage)
			}
		})
	}
}

func TestAPIKeyAndFailures(t *testing.T) {
	t.Parallel()
	s := Start(t)
	st := s.Settings()
	st.APIKey = "sk-test"
	s.Set(st)
	if resp := post(t, s, "Bearer wrong", `{"messages":[]}`); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong key: status %d, want 401", resp.StatusCode)
	}
	if resp := post(t, s, "Bearer sk-test", `{"messages":[]}`); resp.StatusCode != http.StatusOK {
		t.Errorf("right key: status %d, want 200", resp.StatusCode)
	}
	st.FailStatus = http.StatusTooManyRequests
	s.Set(st)
	resp := post(t, s, "Bearer sk-test", `{"messages":[]}`)
	var e struct {
		Error struct{ Message, Type string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != 429 || e.Error.Message == "" {
		t.Errorf("fail status: %d %+v %v", resp.StatusCode, e, err)
	}
	if resp := post(t, s, "Bearer sk-test", `not json`); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad body: status %d, want 400", resp.StatusCode)
	}
	if n := len(s.Requests()); n != 3 {
		t.Errorf("recorded %d requests, want 3", n)
	}
}

func TestModels(t *testing.T) {
	t.Parallel()
	s := Start(t)
	resp, err := http.Get(s.BaseURL() + "/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l struct {
		Object string
		Data   []struct{ ID string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		t.Fatal(err)
	}
	if l.Object != "list" || len(l.Data) != 1 || l.Data[0].ID != "fake-model-1" {
		t.Errorf("models = %+v", l)
	}
	if s.Port() == 0 || !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf("URL %q port %d", s.URL(), s.Port())
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "example.com:80", "10.0.0.1:0"} {
		if s, err := Listen(addr, DefaultSettings()); err == nil {
			s.Close()
			t.Errorf("Listen(%q) accepted a non-loopback address", addr)
		}
	}
	s, err := Listen("127.0.0.1:0", DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
