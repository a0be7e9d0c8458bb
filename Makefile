# Two commands do all the set-up on a fresh clone: `make demo` and `make test`.
# Installs go into .venv, pinned by requirements.lock; stamps make re-runs instant when nothing changed.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --disable-pip-version-check --quiet --constraint requirements.lock
PYTEST_ARGS ?=

.PHONY: demo test lint lock stop clean

# The viewer's front-end libraries (Leaflet, Cytoscape.js, Swagger UI), pinned by package-lock.json, into node_modules/ (served by /vendor/).
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the map's libraries: install Node.js 20 or newer" >&2; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

# The browser tests drive the system's Chromium (Playwright downloads no browser): installed with apt when missing.
/usr/bin/chromium:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "The browser tests need Chromium at /usr/bin/chromium: run sudo apt-get install -y chromium" >&2; exit 1; fi

$(VENV)/.runtime: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Recoupe needs Python 3.11 or newer: run make PYTHON=python3.11 …")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --editable .
	@touch $@

$(VENV)/.test: $(VENV)/.runtime
	$(PIP) --editable '.[test]'
	@touch $@

## demo: install, start the graph server, load, link and forecast the demo city, then serve the viewer
demo: $(VENV)/.runtime node_modules/.installed
	$(BIN)/recoupe demo --serve

## test: install what the tests need, lint, type-check, run the whole suite on real components
test: $(VENV)/.test node_modules/.installed /usr/bin/chromium
	$(BIN)/ruff check recoupe tests benchmarks tools
	$(BIN)/mypy
	@$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: treated as a failure" >&2; fi; exit $$rc

lint: $(VENV)/.test
	$(BIN)/ruff check recoupe tests benchmarks tools
	$(BIN)/mypy

## stop: stop the embedded graph server started by `make demo`
stop: $(VENV)/.runtime
	$(BIN)/recoupe db stop

## lock: re-pin the whole dependency tree from the current environment
lock: $(VENV)/.test
	@{ echo "# The whole dependency tree, pinned (pip freeze of a working environment). Used as pip constraints by the Makefile."; \
	   echo "# Refresh: make lock"; \
	   $(BIN)/python -m pip freeze --exclude-editable | grep -v '^torch=='; echo "torch==2.13.0"; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info node_modules test-artifacts
