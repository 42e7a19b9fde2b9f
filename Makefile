# Two commands do everything, each installing what it needs into .venv first:
#   make site   build the static site into _build/html
#   make test   run every test (unit, doctests, nbval over the notebooks, site build, browser, nbgrader)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
JOBS   ?= 2

.PHONY: site test serve benchmark clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.site-installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-test.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $(VENV)/.site-installed $@

site: $(VENV)/.site-installed
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Site built: open _build/html/index.html, or run 'make serve' and visit http://127.0.0.1:8000/"

# One BLAS thread per worker: two workers on two cores, and the models multiply small matrices.
test: $(VENV)/.test-installed
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest -n $(JOBS) --dist loadfile

serve:
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory _build/html 8000

benchmark: $(VENV)/.test-installed
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build .pytest_cache
