# Two front-door targets: `make demo` (set up + train the default model + figures) and
# `make test` (set up + run the test suite). Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN ?= runs/demo
# Tests and benchmarks read the shared real data sets from here (read-only).
export VAEKIT_DATA_DIR ?= $(abspath ../shared/data)

.PHONY: demo test fuzz lint venv clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

venv: $(BIN)/.installed

demo: venv
	$(BIN)/vaekit train --out $(RUN) --overwrite
	$(BIN)/vaekit sample $(RUN)
	$(BIN)/vaekit reconstruct $(RUN)
	$(BIN)/vaekit interpolate $(RUN) --from-index 0 --to-index 1 --steps 10
	$(BIN)/vaekit latent-map $(RUN)
	$(BIN)/vaekit report $(RUN)

test: venv
	$(BIN)/python -m pytest -q

fuzz: venv
	VAEKIT_FUZZ_PROFILE=slow $(BIN)/python -m pytest -q -m fuzz

lint: venv
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) runs
