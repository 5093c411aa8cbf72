# Throwaway test hosts (internal/testhost); included by GNUmakefile.

.PHONY: dev-host dev-host-down-all

# Flags for dev-host: -light (a stand-in command instead of real OpenClaw
# gateways), -fake-llm (the fake LLM test double inside the host).
DEV_HOST_FLAGS ?=

# Boots a throwaway host with the executor running inside and prints its
# environment: eval "$(make -s dev-host)". Needs root.
dev-host:
	@go run ./internal/testhost/cmd/devhost $(DEV_HOST_FLAGS)

# Tears down every throwaway host (stale ones after a crash or a killed test).
dev-host-down-all:
	@go run ./internal/testhost/cmd/devhost -down-all
