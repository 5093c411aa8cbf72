# Throwaway test hosts (internal/testhost); included by GNUmakefile.

.PHONY: dev-host dev-host-down-all

# Boots a throwaway host with the executor running inside and prints its
# environment: eval "$(make -s dev-host)". Needs root.
dev-host:
	@go run ./internal/testhost/cmd/devhost

# Tears down every throwaway host (stale ones after a crash or a killed test).
dev-host-down-all:
	@go run ./internal/testhost/cmd/devhost -down-all
