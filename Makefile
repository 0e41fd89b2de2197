# The two quickstart commands: `make plan` (install, run `gridfirst plan` on the bundled example) and
# `make test` (install with test extras, the browser the report test needs and the PostgreSQL
# server the deals tests start and stop themselves, run every test).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: plan test install install-test lint bench clean

$(BIN)/pip:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/pip
	@echo "== installing gridfirst into $(VENV)"
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/pip
	@echo "== installing gridfirst with test extras into $(VENV)"
	$(BIN)/pip install --quiet -e '.[test,web]'
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "== installing Debian's chromium for the report's browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  echo "== installing Debian's postgresql for the deals store tests (a throwaway server per run)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

plan: install
	@echo "== gridfirst plan on the bundled example (examples/apac.yaml)"
	$(BIN)/gridfirst plan

lint: install-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: install-test
	@echo "== lint, types, tests"
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 --durations=15

clean:
	rm -rf $(VENV) gridfirst-out .pytest_cache .mypy_cache .hypothesis
