PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint readme bench bench-quality bench-tune clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/sofa ask "what did Hornung suggest?"

# One pytest worker per core; each test file runs whole on one worker, so a file's session and
# module fixtures (test_shards.py's indexes, test_cluster.py's Dask cluster) are built once.
# Every test writes under its own tmp folders (tests/conftest.py), so workers share nothing.
# Files are handed out in collection order (conftest.py puts the two slowest first), not
# xdist's default of most tests first, which starts the slowest files last.
# Byte-code caching on, as Python has it by default: under PYTHONDONTWRITEBYTECODE=1 (set in some
# sandboxes and CI images) each worker rewrites and compiles every test module again and each of
# the Python processes the tests start compiles sofa from source (collection 4.2 -> 1.7 s of CPU a
# worker, test_robustness_index_attacks.py 13.7 -> 10.8 s: the commit that added this line).
test: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder

# README.md's example outputs, rewritten from what sofa prints now (tests/test_readme.py checks them).
readme: $(STAMP)
	$(BIN)/python tests/readme.py

lint: $(STAMP)
	$(BIN)/ruff check sofa_cli tests bench
	$(BIN)/ruff format --check sofa_cli tests bench

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run_all.py

# Answer quality only (issue 3): bench/results/quality.md, then BENCHMARKS.md reassembled.
bench-quality: $(STAMP)
	$(BIN)/python bench/run_all.py quality

# Held-out check of the ranking constants (issue 3): bench/results/tuning.md (about 20 min).
bench-tune: $(STAMP)
	$(BIN)/python bench/run_all.py tuning

clean:
	rm -rf $(VENV) build dist *.egg-info
