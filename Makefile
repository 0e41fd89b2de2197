# The two quickstart commands: `make plan` (install, run `gridfirst plan` on the bundled example) and
# `make test` (install with test extras and the browser the report test needs, run every test).
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
	$(BIN)/pip install --quiet -e '.[test]'
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "== installing Debian's chromium for the report's browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

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
