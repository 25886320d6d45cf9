# Two commands (see README): `make analysis` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1

.PHONY: analysis test bench install clean constraints

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[notebooks,test,dask,bench]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@# Build matplotlib's font cache now: its first-use message must not reach a notebook's output.
	$(BIN)/python -c "import matplotlib.pyplot" >/dev/null 2>&1
	touch $(STAMP)

install: $(STAMP)

## Build data/processed from data/raw, run the analyses and write reports/.
analysis: $(STAMP)
	$(BIN)/soleus analysis

## Run the test suite (both cores) and then every notebook under nbval (one at a time: they
## share the studies' builds in data/processed).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 soleus_analysis tests
	$(BIN)/python -m pytest --nbval --nbval-sanitize-with notebooks/sanitize.cfg notebooks

## Performance benchmarks (prints figures; see benchmarks/README.md).
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

## Re-pin constraints.txt from a fresh environment (maintainers only).
constraints:
	rm -rf .venv-pin && $(PYTHON) -m venv .venv-pin
	.venv-pin/bin/python -m pip install --quiet --upgrade "pip>=24"
	.venv-pin/bin/python -m pip install --quiet -e ".[notebooks,test,dask,bench]"
	.venv-pin/bin/python -m pip freeze --exclude-editable | grep -v "^-e" > constraints.txt
	rm -rf .venv-pin

clean:
	find data/processed -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
	rm -rf $(VENV) reports
