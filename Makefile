# Two commands set everything up on a fresh machine (Python 3.11, Node.js 20+):
#   make synth   synthesize every environment of environments.toml into cdktf.out/
#   make test    run the offline test suite
# Both install what they need on first run: pipenv (into .tools/), then the
# locked dependencies (into .venv/).

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
# jsii flags Node 20 as end of life; it works, and the banner buries our output.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: synth test docs lint bench scan cost cli cli-synth validate plan deploy review verify replay redrive backfill restore install check-node clean

synth: install
	$(PIPENV) run python main.py

test: install
	$(PIPENV) run pytest

# The configuration tables in the docs come from the declarations in modules/contract/settings.py.
docs: install
	$(PIPENV) run python -m modules.contract.validation --docs docs/configuration.md docs/security.md
	$(PIPENV) run python -m ops cost --docs docs/cost.md

lint: install
	$(PIPENV) run ruff check .
	$(PIPENV) run ruff format --check .

install: check-node $(VENV)/.synced

check-node:
	@command -v node >/dev/null || { echo "Node.js 20 or newer is needed (jsii runs on it); 22 is recommended." >&2; exit 1; }
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || \
	  { echo "Node.js $$(node --version) is too old: 20 or newer is needed, 22 recommended." >&2; exit 1; }

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
	PIPENV_PIPFILE=$(SCAN_PIPFILE) $(PIPENV) run python tools/scan/run.py

$(CURDIR)/tools/scan/.venv/.synced: tools/scan/Pipfile.lock $(PIPENV)
	PIPENV_PIPFILE=$(SCAN_PIPFILE) $(PIPENV) --python $(PYTHON) sync
	touch $@

# The pinned cdktf CLI (npm, ~20 s the first time; node_modules stays for later runs).
CDKTF := $(CURDIR)/tools/cdktf-cli/node_modules/.bin/cdktf
cli: $(CDKTF)
$(CDKTF): tools/cdktf-cli/package-lock.json
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
	$(PIPENV) run python -m ops verify --env "$(ENV)" --within-hours "$(or $(WITHIN_HOURS),24)"

# Recovery after an outage (docs/security.md): a window from the replay archive, or the dead-letter queue.
# make replay ENV=prod FROM=2026-11-20T08:00 TO=2026-11-20T14:00 [NO_WAIT=1]
replay: install
	$(PIPENV) run python -m ops replay --env "$(ENV)" --from "$(FROM)" --to "$(TO)" $(if $(NO_WAIT),--no-wait)

redrive: install
	$(PIPENV) run python -m ops redrive --env "$(ENV)"

# make restore ENV=prod FROM=2025-11-01 TO=2025-12-01 [TIER=Bulk|Standard|Expedited] [DAYS=7] [YES=1] [STATUS=1]
restore: install
	$(PIPENV) run python -m ops restore --env "$(ENV)" --from "$(FROM)" --to "$(TO)" --tier "$(or $(TIER),Bulk)" \
	  --days "$(or $(DAYS),7)" $(if $(YES),--yes) $(if $(STATUS),--status)

# make backfill ENV=prod [FROM=2026-11-01|<log id>] [TO=2026-11-20T12:00] [DRY_RUN=1], with Auth0 credentials
backfill: install
	$(PIPENV) run python -m ops backfill --env "$(ENV)" $(if $(FROM),--from "$(FROM)") $(if $(TO),--to "$(TO)") \
	  $(if $(DRY_RUN),--dry-run)

# make cost EVENTS_PER_DAY=1000000 [ENV=prod] [PLOT=cost.png]
cost: install
	$(PIPENV) run python -m ops cost --events-per-day "$(or $(EVENTS_PER_DAY),100000)" \
	  $(if $(ENV),--env "$(ENV)") $(if $(PLOT),--plot "$(PLOT)")

bench: install
	$(PIPENV) run python bench/run.py
