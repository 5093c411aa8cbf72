// Command fakellm runs the fake LLM test double (package fakellm) as a
// process, for demos and manual runs of real gateways without a paid API:
//
//	go run ./internal/fakellm/cmd/fakellm -addr 127.0.0.1:18999
//
// It prints its base URL (for a provider with api "openai-completions")
// and serves until interrupted.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/missioncontrol/terraform-provider-missioncontrol/internal/fakellm"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18999", "loopback ip:port to listen on")
	apiKey := flag.String("api-key", "", "when set, require Authorization: Bearer KEY")
	prompt := flag.Int("prompt-tokens", 1234, "usage.prompt_tokens of every answer")
	cached := flag.Int("cached-tokens", 200, "cached prompt tokens (part of prompt tokens)")
	completion := flag.Int("completion-tokens", 56, "usage.completion_tokens of every answer")
	reply := flag.String("reply", fakellm.DefaultSettings().Reply, "reply text (followed by \" #<n>\")")
	flag.Parse()

	st := fakellm.DefaultSettings()
	st.APIKey, st.PromptTokens, st.CachedTokens, st.CompletionTokens, st.Reply = *apiKey, *prompt, *cached, *completion, *reply
	s, err := fakellm.Listen(*addr, st)
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	defer s.Close()
	fmt.Println(s.BaseURL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}
