# Terraform provider targets. The main GNUmakefile includes this file.
#
#   make docs        regenerate docs/ from the schema, examples/ and templates/
#   make docs-check  fail when docs/ is stale or does not validate (CI)
#   make testacc     provider acceptance tests; against a real executor they
#                    need `eval "$(make dev-host)"` first, otherwise those
#                    skip and only the validation and fake-executor ones run

TFPLUGINDOCS := go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs

.PHONY: generate docs docs-check testacc

generate docs:
	go generate -tags generate ./tools/...

docs-check: docs
	@git diff --exit-code -- docs/ examples/ || { echo 'docs/ is stale: run make docs and commit the result' >&2; exit 1; }
	@test -z "$$(git status --porcelain --untracked-files=all -- docs/)" || { git status --short -- docs/ >&2; echo 'docs/ has uncommitted files: run make docs and commit the result' >&2; exit 1; }
	$(TFPLUGINDOCS) validate --provider-name missioncontrol

testacc:
	TF_ACC=1 go test ./internal/provider/... -count=1 -timeout 60m $(TESTARGS)
