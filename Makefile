# Wigan Impact Dashboard — the two commands are `make run` and `make test`; everything else is optional.
# Needs only Python 3.11+ and make: the virtual environment is built from the hash-locked requirements.lock.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_ROOT := data/snapshots
DEMO := $(DEMO_ROOT)/2026-11-20/manifest.json
PORT ?= 8501
SERVE_PORT ?= 8443
PYTEST_ARGS ?=
LOAD_TEST_ARGS ?=
# The replicated figures of `make load-test` come through the `make serve` stack with one replica per core.
LOAD_TEST_STACK ?= $(shell nproc 2>/dev/null || echo 2)
# `make run` / `make serve` on their own demo root ask for demo mode explicitly (demo accounts exist only then,
# and only while every served snapshot is a demo one). With IMPACT_SNAPSHOT_ROOT set, IMPACT_ENV is yours.
RUN_ENV := $(if $(IMPACT_SNAPSHOT_ROOT),,IMPACT_ENV=$(or $(IMPACT_ENV),demo))
AXE := node_modules/axe-core/axe.min.js

.PHONY: run serve test test-fast bench bench-quick load-test lint format demo check lock clean help

help:
	@echo "make run        install (if needed), create the demo snapshot (if missing) and open the dashboard"
	@echo "make serve      the production stack: nginx (TLS) in front of IMPACT_REPLICAS Streamlit replicas, on https://localhost:$(SERVE_PORT)"
	@echo "make test       install (if needed), create the demo snapshot (if missing) and run every test"
	@echo "make test-fast  every test except the headless-browser ones"
	@echo "make bench      speed and memory benchmarks against DuckDB at 250, 10,000 and 100,000 children"
	@echo "make bench-quick the same at 250 and 10,000 children only"
	@echo "make load-test  1, 2 and 25 sessions (stress and 5 s think time), replicated if given, 10-minute soak"
	@echo "                (the replicated figures through the make serve stack: nginx + LOAD_TEST_STACK replicas, default one per core)"
	@echo "make load-test-quick the same with 30 s scenarios and a 60 s soak"
	@echo "make load-test-profile py-spy profile of the server under 2 sessions for 60 s"
	@echo "make lint       ruff and mypy (strict on data_access/)"
	@echo "make lock       re-resolve requirements.lock from pyproject.toml (needs uv)"

# The venv is rebuilt whenever the lock file or pyproject.toml is newer than the last install.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	@# Make the project importable from any script (pages run directly on deep links) without a build backend.
	$(BIN)/python -c 'import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()["purelib"], "wigan_impact_dashboard.pth").write_text(str(pathlib.Path.cwd()) + "\n")'
	touch $@

$(DEMO): | $(STAMP)
	$(BIN)/python -m data_access demo $(DEMO_ROOT)

demo: $(DEMO)

run: $(STAMP)
ifeq ($(IMPACT_SNAPSHOT_ROOT),)
	@$(MAKE) --no-print-directory $(DEMO)
endif
	$(RUN_ENV) $(BIN)/python -m dashboard check
	$(RUN_ENV) $(BIN)/streamlit run app.py --server.port $(PORT) --server.address 127.0.0.1

serve: $(STAMP)
ifeq ($(IMPACT_SNAPSHOT_ROOT),)
	@$(MAKE) --no-print-directory $(DEMO)
endif
	$(RUN_ENV) $(BIN)/python -m dashboard serve --port $(SERVE_PORT)

# axe-core for the browser accessibility tests, pinned in package-lock.json (npm ci installs exactly that).
$(AXE): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is needed for the accessibility tests (e.g. apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: $(STAMP) $(DEMO) $(AXE)
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

test-fast: $(STAMP) $(DEMO)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not browser" $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks --scales 250,10000

load-test: $(STAMP)
	$(BIN)/python benchmarks/load_test.py --suite --stack $(LOAD_TEST_STACK) $(LOAD_TEST_ARGS)

.PHONY: load-test-quick load-test-profile
load-test-quick: $(STAMP)
	$(BIN)/python benchmarks/load_test.py --suite --quick --stack $(LOAD_TEST_STACK) $(LOAD_TEST_ARGS)

load-test-profile: $(STAMP)
	$(BIN)/python benchmarks/load_test.py --sessions 2 --duration 60 --profile $(LOAD_TEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m dashboard check

lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 --universal -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache artifacts node_modules
