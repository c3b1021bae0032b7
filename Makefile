# alertsync — every target installs what it needs into .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test test-fast lint format demo bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: install
	$(BIN)/pytest -q -n 2

test-fast: install  # the inner loop: no test marked slow, a tenth of the hypothesis examples
	$(BIN)/pytest -q -n 2 -m "not slow" --hypothesis-profile=fast

.PHONY: docs
docs: install  # docs/spec-reference.md from the schema's descriptions
	$(BIN)/python -m provisioner.spec.schema_docs > docs/spec-reference.md.tmp
	mv docs/spec-reference.md.tmp docs/spec-reference.md

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

demo: install
	@$(BIN)/python scripts/demo.py

bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
