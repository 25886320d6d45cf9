# Two commands (see README): `make analysis` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MPLBACKEND := Agg

.PHONY: analysis test bench install clean constraints

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[notebooks,test,dask]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

## Build data/processed from data/raw, run the analyses and write reports/.
analysis: $(STAMP)
	$(BIN)/soleus analysis

## Run the test suite and execute every notebook under nbval.
test: $(STAMP)
	$(BIN)/python -m pytest --nbval --nbval-sanitize-with notebooks/sanitize.cfg

## Performance benchmarks (prints figures; see benchmarks/README.md).
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

## Re-pin constraints.txt from a fresh environment (maintainers only).
constraints:
	rm -rf .venv-pin && $(PYTHON) -m venv .venv-pin
	.venv-pin/bin/python -m pip install --quiet --upgrade "pip>=24"
	.venv-pin/bin/python -m pip install --quiet -e ".[notebooks,test,dask]"
	.venv-pin/bin/python -m pip freeze --exclude-editable | grep -v "^-e" > constraints.txt
	rm -rf .venv-pin

clean:
	rm -rf $(VENV) reports data/processed/*.parquet data/processed/quarantine
