# Two commands for a newcomer: `make demo` runs the main job on the sample articles, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= out/demo.db

.PHONY: demo test install install-test browser java bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e '.[ner,serve]'

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

# Debian's chromium for the browser test (skipped by the test when it is missing and not in CI).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
	  || echo "could not install chromium: the browser test will be skipped"

# Java for pyspark in local mode.
java:
	@command -v java >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null; } \
	  || echo "could not install java: the Spark tests will fail"

demo: install
	@mkdir -p out && rm -f $(DB)*
	$(BIN)/samestory compare examples/articles/sheffield-recycling-fire/northwire.txt \
	  examples/articles/sheffield-recycling-fire/dailybuzz-now.txt
	$(BIN)/samestory ingest examples/articles --db $(DB)
	$(BIN)/samestory stories --db $(DB)

# Lint and types first (ruff's rules and mypy's settings: pyproject.toml), then the tests.
test: install-test browser java
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

bench: install-test
	$(BIN)/python benchmarks/dedup.py
	$(BIN)/python benchmarks/score.py
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) out build *.egg-info src/*.egg-info .pytest_cache
