# Bottega — `make run` starts everything, `make test` checks everything; both set themselves up.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV       := .venv
TOOLS      := $(VENV)/tools
ASSISTANT  := $(VENV)/assistant
SHOP       := $(VENV)/shop
UV         := $(TOOLS)/bin/uv
RASA       := $(ASSISTANT)/bin/rasa
MODEL      := models/bottega.tar.gz
WEBCHAT    := webchat/node_modules/.installed
CHROMIUM   := /usr/bin/chromium
# Everything training reads; a change to any of them retrains on the next run or test.
# The catalogue export is rewritten only when the shop's catalogue changed (make nlu-catalogue), and
# our components' code is part of what a model is (Rasa's own fingerprint does not see code).
NLU_CATALOGUE := var/nlu/catalogue.json
# all-MiniLM-L6-v2 converted to TensorFlow Lite from the installed package's weights (components/minilm.py).
MINILM := var/nlu/minilm.tflite
TRAINING_INPUTS := config.yml domain.yml $(shell find data -type f -name '*.yml' 2>/dev/null) \
                   $(wildcard components/*.py) $(NLU_CATALOGUE)
# CI logs are files: no progress bars there.
ifdef CI
export UV_NO_PROGRESS := 1
endif
export PYTHONDONTWRITEBYTECODE := 1
# Rasa reports usage and errors to Rasa's servers unless told not to: nothing of a shop's
# conversations leaves the machine (its training logged failed attempts to reach them).
export RASA_TELEMETRY_ENABLED := false

.PHONY: help run test shop chat agent messenger-profile setup lint validate train nlu-catalogue lint-nlu eval-nlu test-shop test-assistant test-dialogue test-webchat browser bench bench-search lock clean

help: ## list the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

run: setup $(MODEL) ## set up, train if needed, and run shop + action server + Rasa + web chat (Ctrl-C stops all)
	@$(SHOP)/bin/python scripts/run_stack.py

test: ## set up, validate, train if needed, and run every check
	@$(MAKE) setup
	@$(MAKE) lint
	@$(MAKE) validate
	@$(MAKE) lint-nlu
	@$(MAKE) $(MODEL)
	@$(MAKE) eval-nlu
	@$(MAKE) test-shop
	@$(MAKE) test-assistant
	@$(MAKE) test-dialogue
	@$(MAKE) test-webchat
	@echo "test: all checks passed"

shop: $(SHOP)/.installed .env ## run the shop service alone (migrates and seeds an empty database first)
	@cd shop && ../$(SHOP)/bin/python -m app.cli serve

chat: $(SHOP)/.installed .env ## talk to the running assistant in this terminal (start `make run` first)
	@$(SHOP)/bin/python scripts/chat.py

agent: $(SHOP)/.installed .env ## the care desk: answer shoppers handed to a person (ARGS="list|show|reply|takeover|handback ...")
	@$(SHOP)/bin/python scripts/agent.py $(ARGS)

messenger-profile: $(SHOP)/.installed .env ## the Facebook page's Get Started, menu and ice breakers (ARGS="--dry-run" prints the calls; docs/channels.md)
	@$(SHOP)/bin/python scripts/messenger_profile.py $(ARGS)

setup: $(ASSISTANT)/.compiled $(SHOP)/.compiled $(WEBCHAT) .env $(MINILM) ## install both environments and the web chat's socket.io client from their locks, and convert the sentence encoder

# Converted again when the conversion's code or the installed packages change.
$(MINILM): components/minilm.py $(ASSISTANT)/.installed
	@echo "setup: converting all-MiniLM-L6-v2 to TensorFlow Lite ($(MINILM)); about a minute"
	@TF_CPP_MIN_LOG_LEVEL=2 $(ASSISTANT)/bin/python -m components.minilm --out $(MINILM) 2>&1 | \
	  { grep -v '^WARNING' || true; }

# mypy lives in the shop's environment; it checks the assistant's code against the assistant's
# packages (--python-executable), with the settings in mypy.ini (the shop's are in shop/mypy.ini).
lint: $(SHOP)/.installed $(ASSISTANT)/.installed ## ruff on all Python code (rules in ruff.toml), mypy --strict on the shop and the assistant
	@echo "lint: ruff check, mypy (shop; assistant: actions, bench, channels, components, server)"
	@$(SHOP)/bin/ruff check --quiet .
	@cd shop && ../$(SHOP)/bin/mypy app
	@$(SHOP)/bin/mypy --python-executable $(ASSISTANT)/bin/python

validate: $(ASSISTANT)/.installed ## check domain, data and stories for mistakes
	@echo "validate: rasa data validate"
	@$(RASA) data validate --fail-on-warnings --quiet

train: $(MODEL) ## train the assistant's model if its inputs changed

$(MODEL): $(TRAINING_INPUTS) $(ASSISTANT)/.installed $(MINILM)
	@echo "train: training the assistant (config, domain, data, catalogue or components changed); this takes a few minutes"
	@mkdir -p models var/nlu
	@start=$$(date +%s); $(RASA) train --out models --fixed-model-name bottega; \
	  echo $$(( $$(date +%s) - start )) > var/nlu/train_seconds
	@touch $@

lint-nlu: $(ASSISTANT)/.installed $(NLU_CATALOGUE) ## check the NLU data: duplicates, too few examples, entity annotation, slang vs catalogue, unused responses
	@echo "lint-nlu: scripts/lint_nlu.py"
	@$(ASSISTANT)/bin/python scripts/lint_nlu.py

eval-nlu: $(ASSISTANT)/.installed $(MODEL) ## the model on every evaluation set in tests/nlu, with gates (report in var/eval/nlu/summary.md)
	@echo "eval-nlu: scripts/eval_nlu.py (report in var/eval/nlu/)"
	@$(ASSISTANT)/bin/python scripts/eval_nlu.py --model $(MODEL) --sets tests/nlu --out var/eval/nlu

nlu-catalogue: $(NLU_CATALOGUE) ## export the shop's catalogue for the NLU (rewritten only when it changed)

# Always asked (a product may have been added through the shop), rewritten only on a change, so
# an unchanged catalogue retrains nothing.
$(NLU_CATALOGUE): FORCE $(SHOP)/.installed .env
	@cd shop && ../$(SHOP)/bin/python -m app.cli export-catalogue --out ../$(NLU_CATALOGUE)

FORCE:

test-shop: $(SHOP)/.installed ## the shop service's tests, on SQLite and PostgreSQL
	@echo "test-shop: pytest (SQLite and PostgreSQL)"
	@cd shop && ../$(SHOP)/bin/python -m pytest

test-assistant: $(ASSISTANT)/.installed $(SHOP)/.installed $(NLU_CATALOGUE) $(MINILM) ## the actions' and components' tests (against a real shop service)
	@echo "test-assistant: pytest tests/"
	@$(ASSISTANT)/bin/python -m pytest tests --ignore=tests/webchat

test-dialogue: $(ASSISTANT)/.installed $(MODEL) ## rasa test: the test conversations (tests/test_stories); the NLU sets are make eval-nlu's
	@echo "test-dialogue: rasa test core --fail-on-prediction-errors (reports in results/)"
	@rm -rf results && mkdir -p results
	@$(ASSISTANT)/bin/python -m server test core --model $(MODEL) --stories tests/test_stories \
	  --fail-on-prediction-errors --out results 2>&1 | tee results/rasa-test.log
	@# Rasa reads only files named test_*.yml as test stories; evaluating none would pass silently.
	@grep -Eq "Evaluating [1-9][0-9]* stories" results/rasa-test.log || \
	  { echo "test-dialogue: rasa test evaluated no test conversations"; exit 1; }

# The browser test runs in the shop environment (Playwright, Python 3.11) against a whole stack
# of its own on free ports; --confcutdir keeps the assistant's conftest (rasa-sdk) out of it.
test-webchat: $(SHOP)/.installed $(ASSISTANT)/.installed $(WEBCHAT) $(MODEL) .env browser ## the web chat in headless Chromium against a whole stack
	@echo "test-webchat: pytest tests/webchat (headless Chromium, its own stack on free ports)"
	@$(SHOP)/bin/python -m pytest --confcutdir=tests/webchat tests/webchat

# Debian's Chromium: Playwright's own browser download is never used (and cannot work offline).
browser: ## install Chromium for the browser test if it is missing (apt-get, needs root)
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "browser: $(CHROMIUM) is missing; installing Debian's chromium package (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "browser: $(CHROMIUM) is missing. Install Chromium as root, e.g. 'sudo apt-get install -y chromium'"; \
	    echo "         (Debian/Ubuntu), then run make test again."; exit 1; \
	  fi; \
	fi

# Figures, never a pass or a fail of `make test`: a slow machine only makes them slower. A missed
# search target is printed and the conversation benchmark still runs.
bench: setup $(MODEL) ## stock Rasa vs Bottega over the REST channel (var/bench/results.json, latency.png), then bench-search
	@$(MAKE) bench-search || echo "bench: the search benchmark missed a target (above); carrying on"
	@echo "bench: python -m bench (stock rasa init bot, then Bottega's whole stack, on free loopback ports)"
	@$(ASSISTANT)/bin/python -m bench $(ARGS)

bench-search: $(SHOP)/.installed ## the shop's search latency on the seed catalogue and on 100,000 products
	@cd shop && ../$(SHOP)/bin/python -m bench.search_latency

lock: $(UV) ## re-resolve every lock file (after editing a requirements *.in file)
	cd requirements && ../$(UV) pip compile -q --generate-hashes --python-version 3.10 --python-platform x86_64-manylinux_2_28 --excludes assistant-excludes.txt assistant.in -o assistant.txt
	cd requirements && ../$(UV) pip compile -q --generate-hashes --python-version 3.10 --python-platform x86_64-manylinux_2_28 assistant-test.in -o assistant-test.txt
	cd requirements && ../$(UV) pip compile -q --generate-hashes --python-version 3.10 tools.in -o tools.txt
	cd shop && ../$(UV) pip compile -q --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 requirements.in -o requirements.txt
	cd shop && ../$(UV) pip compile -q --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 requirements-test.in -o requirements-test.txt

clean: ## remove environments, models and local data (keeps .env)
	rm -rf $(VENV) models .rasa shop/var results webchat/node_modules

# --- environments --------------------------------------------------------------------------------

$(UV): requirements/tools.txt
	@echo "setup: installing uv (the installer for the other environments) into $(TOOLS)"
	@py=$$(scripts/find-python 3.11 3.12 3.13 3.10); rm -rf $(TOOLS); "$$py" -m venv $(TOOLS)
	@$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements/tools.txt
	@touch $@

$(ASSISTANT)/.installed: requirements/assistant.txt requirements/assistant-test.txt | $(UV)
	@echo "setup: assistant environment (Python 3.10: Rasa, rasa-sdk, spaCy) — about a minute on a fresh machine"
	@py=$$(scripts/find-python 3.10); [ -x $(ASSISTANT)/bin/python ] || $(UV) venv --quiet --python "$$py" $(ASSISTANT)
	@$(UV) pip sync --python $(ASSISTANT)/bin/python --require-hashes requirements/assistant.txt requirements/assistant-test.txt
	@touch $@

$(SHOP)/.installed: shop/requirements.txt shop/requirements-test.txt | $(UV)
	@echo "setup: shop environment (Python 3.11+: FastAPI, SQLAlchemy 2)"
	@py=$$(scripts/find-python 3.11 3.12 3.13); [ -x $(SHOP)/bin/python ] || $(UV) venv --quiet --python "$$py" $(SHOP)
	@$(UV) pip sync --python $(SHOP)/bin/python --require-hashes shop/requirements.txt shop/requirements-test.txt
	@touch $@

# The installed packages are byte-compiled once, after each install: Python never writes bytecode
# here (PYTHONDONTWRITEBYTECODE above), so every start would otherwise compile the modules it imports
# (TensorFlow's, Rasa's, SQLAlchemy's …) from source again — half of Rasa's import time. A few test
# and template files in those packages are not valid Python; compileall reports them with a failing
# status, which costs nothing here (they are never imported), hence -qq and `|| true`.
$(ASSISTANT)/.compiled $(SHOP)/.compiled: %/.compiled: %/.installed
	@echo "setup: byte-compiling the packages in $* (once per install; up to a few minutes)"
	@$*/bin/python -m compileall -qq -j 0 $*/lib || true
	@touch $@

$(WEBCHAT): webchat/package.json webchat/package-lock.json
	@echo "setup: web chat's socket.io client (npm ci --prefix webchat)"
	@npm ci --prefix webchat --no-audit --no-fund --loglevel=error
	@touch $@

.env: | $(UV)
	@$(TOOLS)/bin/python scripts/ensure_env.py .env

.PHONY: .env
