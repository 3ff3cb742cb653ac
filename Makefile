# The README's two commands: `make demo` (set up, run the main job on the embedded defaults) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FORGE_HOME ?= $(CURDIR)/.forge

# The demo, the backtest and the UI: Dagster records one "planned" event per asset of a backfill instead of one per
# partition (the bookkeeping that dominated the demo). Partitions follow the source's data span by themselves
# (forge_assets/partitions.py), so a fully built warehouse shows 100% of its partitions with no variables set.
demo backtest ui: export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS ?= true

.PHONY: setup demo backtest tune test lint ui bench-features bench-accuracy clean

# torch first, from the local CPU build: with it installed, the project's torch bound is already met, and
# constraints.txt keeps pip from ever replacing it with a newer CUDA build.
$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

setup: $(BIN)/.installed

demo: setup
	$(BIN)/python -m forge_jobs.demo

# the demo, then the baseline walk-forward backtest of the last nine years (monthly windows, every target; the
# bundled data: 2010-2018) and its report
backtest: setup
	$(BIN)/python -m forge_jobs.demo --backtest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

# a small Optuna study of the MLP and EWMA on the first target, on the demo's instance (run `make demo` first)
tune: setup
	$(BIN)/python -m forge_jobs.tune

# the webserver and the daemon on the embedded instance (or DAGSTER_HOME's), stopped within seconds by Ctrl-C
ui: setup
	$(BIN)/python -m forge_jobs.ui --port 3000

bench-features: setup
	$(BIN)/python benchmarks/features.py

bench-accuracy: setup
	$(BIN)/python benchmarks/accuracy.py --symbols ^GSPC,^IXIC --refit monthly \
		--json benchmarks/results/accuracy_bundled_parkinson_monthly.json

clean:
	rm -rf $(FORGE_HOME)
