# Two commands do everything, each installing what it needs into .venv first:
#   make site   build the static site: English into _build/html, Chinese into _build/html/zh
#               (make site EDITION=en or EDITION=zh rebuilds one of the two; add ALONE=1 for a site of
#               that edition alone, without the language switcher)
#   make test   run every test (unit, doctests, nbval over the notebooks, site build, browser, grading)
#   make rounding   the notebooks' stored outputs under another BLAS kernel and numpy's baseline SIMD paths
# and one grades the assignments (installing only what grading needs; the sandbox is Debian's bubblewrap):
#   make grade [JOBS=N] [COURSE=assignments] [GRADE_ARGS="--student alice --timeout 30 --no-sandbox"]
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
JOBS   ?= 2
COURSE ?= assignments
EDITION ?= all
ALONE   ?=

# pip byte-compiles what it installs on one core; compileall does the same on every core (-j 0), which saves
# about half a minute of a fresh install here. The .pyc files must exist: the grading sandbox mounts the venv
# read-only. Like pip, it skips the few files that do not compile (templates, Python 2 examples): hence "|| true".
PIP_INSTALL = $(BIN)/python -m pip install --quiet --no-compile
COMPILE_VENV = $(BIN)/python -m compileall -q -j 0 "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >/dev/null || true

.PHONY: site test rounding grade serve benchmark clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.site-installed: requirements.txt pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -r requirements.txt
	$(COMPILE_VENV)
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-test.txt requirements-grade.txt pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -r requirements-test.txt
	$(COMPILE_VENV)
	touch $(VENV)/.site-installed $(VENV)/.grade-installed $@

$(VENV)/.grade-installed: requirements-grade.txt pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -r requirements-grade.txt
	$(COMPILE_VENV)
	touch $@

# each edition with the strict `jupyter-book build <project> -W -n --keep-going` (tools/build_site.py)
site: $(VENV)/.site-installed
	$(BIN)/python tools/build_site.py --edition $(EDITION) $(if $(ALONE),--alone)
	@echo "Site built: open _build/html/index.html (中文版: _build/html/zh/index.html), or run 'make serve' and visit http://127.0.0.1:8000/"

# One BLAS thread per worker: two workers on two cores, and the models multiply small matrices.
test: $(VENV)/.test-installed
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest -n $(JOBS) --dist loadfile

# Grade every submission in $(COURSE)/submitted/<student>/<id>/ in the sandbox, $(JOBS) students at a time:
# scores into $(COURSE)/gradebook.db, $(COURSE)/grades.csv, nbgrader's feedback, reports in $(COURSE)/reports/.
# (nbgrader runs `alembic` from PATH when it creates the gradebook, hence the venv's bin first.)
grade: $(VENV)/.grade-installed
	PATH="$(abspath $(BIN)):$$PATH" OPENBLAS_NUM_THREADS=1 $(BIN)/python -m grading --course $(COURSE) --jobs $(JOBS) $(GRADE_ARGS)

# The chapters' stored outputs under other rounding (README, "The same on any machine"): every notebook of both
# editions and the tests that rerun stored experiments, once with OpenBLAS's Sandybridge kernel and once with
# numpy's baseline SIMD paths. Not part of `make test` (it runs the notebooks twice more: about 4 minutes here).
rounding: $(VENV)/.test-installed
	CI=true OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Sandybridge $(BIN)/python -m pytest -q -p no:cacheprovider -n $(JOBS) --dist loadfile book zh/book tests/test_experiments_*.py
	CI=true OPENBLAS_NUM_THREADS=1 NPY_DISABLE_CPU_FEATURES=X86_V3 $(BIN)/python -m pytest -q -p no:cacheprovider -n $(JOBS) --dist loadfile book zh/book tests/test_experiments_*.py

serve:
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory _build/html 8000

benchmark: $(VENV)/.test-installed
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build .pytest_cache
