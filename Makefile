# Two commands set everything up on a fresh machine (Python 3.11+, any Node.js 18+):
#   make synth   synthesize every environment of environments.toml into cdktf.out/
#   make test    run the offline test suite
# Both install what they need on first run: pipenv (into .tools/), the locked dependencies (into
# .venv/) and, where the machine's Node is older than 22, a pinned Node 22 from npm (tools/node/).
# ENGINE=cdktn (or ARCHIVE_ENGINE=cdktn) synthesizes with CDK Terrain, from tools/cdktn/.

SHELL := /bin/bash
# Python 3.11 (what the lock file is tested with) when present, else python3 if it is 3.11 or newer.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
PIPENV_VERSION := 2026.10.3
TOOLS := $(CURDIR)/.tools
PIPENV := $(TOOLS)/pipenv/bin/pipenv
VENV := $(CURDIR)/.venv

export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_IGNORE_VIRTUALENVS := 1
export PIPENV_VERBOSITY := -1
export PIPENV_NOSPIN := 1
# jsii (1.142) calls Node 20 end of life: below 22 the pinned Node 22 of tools/node/ runs jsii and the CLIs.
NODE_MAJOR := $(shell node -e 'console.log(process.versions.node.split(".")[0])' 2>/dev/null || echo 0)
PINNED_NODE := $(CURDIR)/tools/node/node_modules/.bin/node
ifeq ($(shell [ "$(NODE_MAJOR)" -lt 22 ] && echo old),old)
export PATH := $(CURDIR)/tools/node/node_modules/.bin:$(PATH)
NODE_DEPENDENCY := $(PINNED_NODE)
endif

ENGINE ?= $(or $(ARCHIVE_ENGINE),cdktf)
export ARCHIVE_ENGINE := $(ENGINE)
CDKTN_PIPFILE := $(CURDIR)/tools/cdktn/Pipfile
CDKTN_PYTHON := $(CURDIR)/tools/cdktn/.venv/bin/python
CDKTN_SYNCED := $(CURDIR)/tools/cdktn/.venv/.synced

.PHONY: synth test e2e docs lint cdktn bench scan cost query detections detections-update cli cli-synth validate plan deploy review verify replay redrive backfill restore install check-node clean

synth: install $(if $(filter cdktn,$(ENGINE)),cdktn)
	$(if $(filter cdktn,$(ENGINE)),$(CDKTN_PYTHON),$(PIPENV) run python) main.py

# The suite runs on the default engine; tests/test_engines.py proves CDK Terrain gives the same stacks.
test: install
	ARCHIVE_ENGINE=cdktf $(PIPENV) run pytest

# Every stack of every shipped configuration applied by real Terraform to a local AWS (moto on loopback),
# replanned (nothing may change), and the operator commands run against it (docs/testing.md). Needs
# terraform (1.10+) on PATH and a filesystem mirror of hashicorp/aws on disk; says which is missing.
e2e: install
	$(PIPENV) run python -m e2e $(if $(CONFIG),--config "$(CONFIG)")

# The configuration tables in the docs come from the declarations in modules/contract/settings.py.
docs: install
	$(PIPENV) run python -m modules.contract.validation --docs docs/*.md
	$(PIPENV) run python -m ops cost --docs docs/cost.md

lint: install
	$(PIPENV) run ruff check .
	$(PIPENV) run ruff format --check .

install: check-node $(NODE_DEPENDENCY) $(VENV)/.synced

check-node:
	@command -v node >/dev/null && command -v npm >/dev/null || \
	  { echo "Node.js 18 or newer, with npm, is needed (it installs the pinned Node 22 that jsii runs on)." >&2; exit 1; }
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' || \
	  { echo "Node.js $$(node --version) is too old: 18 or newer is needed." >&2; exit 1; }

# A pinned Node 22 from the npm registry (the node package brings the platform's build).
$(PINNED_NODE): tools/node/package-lock.json
	cd tools/node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# CDK Terrain, the second engine: its own locked environment and its CLI.
cdktn: $(CDKTN_SYNCED) $(CURDIR)/tools/cdktn-cli/node_modules/.bin/cdktn
$(CDKTN_SYNCED): tools/cdktn/Pipfile.lock $(PIPENV)
	PIPENV_PIPFILE=$(CDKTN_PIPFILE) $(PIPENV) --python $(PYTHON) sync
	touch $@
$(CURDIR)/tools/cdktn-cli/node_modules/.bin/cdktn: tools/cdktn-cli/package-lock.json $(PINNED_NODE)
	cd tools/cdktn-cli && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(PIPENV):
	@[ -n "$(PYTHON)" ] && $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed: install it, or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(TOOLS)/pipenv
	$(TOOLS)/pipenv/bin/pip install --quiet --disable-pip-version-check pipenv==$(PIPENV_VERSION)

$(VENV)/.synced: Pipfile.lock $(PIPENV)
	$(PIPENV) --python $(PYTHON) sync --dev
	touch $@

# A local backend keeps its state in the stack's folder: never delete it with the build output.
clean:
	@if find cdktf.out -name '*.tfstate*' 2>/dev/null | grep -q .; then \
	  echo "cdktf.out holds local Terraform state ($$(find cdktf.out -name '*.tfstate*' | head -3 | tr '\n' ' ')): move it out first" >&2; exit 1; fi
	rm -rf cdktf.out .pytest_cache .ruff_cache

# checkov, in its own locked environment (tools/scan/), over every synthesized stack.
SCAN_PIPFILE := $(CURDIR)/tools/scan/Pipfile
scan: synth $(CURDIR)/tools/scan/.venv/.synced
	for example in examples/*.toml; do \
	  AUTH0_ARCHIVE_CONFIG=$$example CDKTF_OUTDIR=cdktf.out/examples/$$(basename $$example .toml) \
	    $(PIPENV) run python main.py >/dev/null || exit 1; \
	done
	PIPENV_PIPFILE=$(SCAN_PIPFILE) $(PIPENV) run python tools/scan/run.py

$(CURDIR)/tools/scan/.venv/.synced: tools/scan/Pipfile.lock $(PIPENV)
	PIPENV_PIPFILE=$(SCAN_PIPFILE) $(PIPENV) --python $(PYTHON) sync
	touch $@

# The pinned cdktf CLI (npm, ~20 s the first time; node_modules stays for later runs).
CDKTF := $(CURDIR)/tools/cdktf-cli/node_modules/.bin/cdktf
cli: $(CDKTF)
$(CDKTF): tools/cdktf-cli/package-lock.json $(NODE_DEPENDENCY)
	cd tools/cdktf-cli && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# cdktf synth through the real CLI. The auth0 provider is listed in cdktf.json for its version
# pin only (its binding is modules/auth0.py), so the CLI must not ask for `cdktf get` output.
cli-synth: install cli
	PATH="$(TOOLS)/pipenv/bin:$$PATH" CHECKPOINT_DISABLE=1 $(CDKTF) synth --check-code-maker-output=false

# One environment at a time: make plan ENV=dev, make review ENV=prod, ...
# validate: terraform init -backend=false + validate (the registry, no credentials).
validate: install
	$(PIPENV) run python -m ops validate --env "$(ENV)"

plan: install
	$(PIPENV) run python -m ops plan --env "$(ENV)"

deploy: install cli
	PATH="$(TOOLS)/pipenv/bin:$$PATH" CHECKPOINT_DISABLE=1 $(PIPENV) run python -m ops deploy --env "$(ENV)" \
	  $(if $(AUTO_APPROVE),--auto-approve)

review: install
	$(PIPENV) run python -m ops review --env "$(ENV)"

verify: install
	$(PIPENV) run python -m ops verify --env "$(ENV)" --within-hours "$(or $(WITHIN_HOURS),24)" $(if $(CANARY),--canary)

# Recovery after an outage (docs/security.md): a window from the replay archive, or the dead-letter queue.
# make replay ENV=prod FROM=2026-11-20T08:00 TO=2026-11-20T14:00 [NO_WAIT=1]
replay: install
	$(PIPENV) run python -m ops replay --env "$(ENV)" --from "$(FROM)" --to "$(TO)" $(if $(NO_WAIT),--no-wait)

redrive: install
	$(PIPENV) run python -m ops redrive --env "$(ENV)" $(if $(DRY_RUN),--dry-run)

# make restore ENV=prod FROM=2025-11-01 TO=2025-12-01 [TIER=Bulk|Standard|Expedited] [DAYS=7] [YES=1] [STATUS=1]
restore: install
	$(PIPENV) run python -m ops restore --env "$(ENV)" --from "$(FROM)" --to "$(TO)" --tier "$(or $(TIER),Bulk)" \
	  --days "$(or $(DAYS),7)" $(if $(YES),--yes) $(if $(STATUS),--status)

# make backfill ENV=prod [FROM=2026-11-01|<log id>] [TO=2026-11-20T12:00] [DRY_RUN=1], with Auth0 credentials
backfill: install
	$(PIPENV) run python -m ops backfill --env "$(ENV)" $(if $(FROM),--from "$(FROM)") $(if $(TO),--to "$(TO)") \
	  $(if $(DRY_RUN),--dry-run)

# make cost EVENTS_PER_DAY=1000000 [ENV=prod] [PLOT=cost.png]
# A named Athena query run locally (DuckDB) on archive objects: make query Q=<name> FROM=… [TO=…] [DIR=…] [ARGS="…"]
query: install
	$(PIPENV) run python -m ops query --name "$(Q)" --from "$(FROM)" $(if $(TO),--to "$(TO)") \
	  $(if $(DIR),--dir "$(DIR)") $(ARGS)

# The Sigma detections (docs/detections.md): each rule per environment, or what a file of events fires.
detections: install
	$(PIPENV) run python -m ops detections $(if $(FILE),test "$(FILE)",list) $(if $(ENV),--env "$(ENV)")

# Vendors a newer upstream catalog after checking that every overlay still applies to it.
detections-update: install
	@test -n "$(FROM)" || { echo "FROM=<folder, .zip or .tar.gz of auth0/auth0-customer-detections> is needed" >&2; exit 2; }
	$(PIPENV) run python -m ops detections update "$(FROM)" $(if $(COMMIT),--commit "$(COMMIT)") \
	  $(if $(DATE),--date "$(DATE)")

cost: install
	$(PIPENV) run python -m ops cost --events-per-day "$(or $(EVENTS_PER_DAY),100000)" \
	  $(if $(ENV),--env "$(ENV)") $(if $(PLOT),--plot "$(PLOT)")

bench: install cdktn
	ARCHIVE_ENGINE=cdktf $(PIPENV) run python bench/run.py
