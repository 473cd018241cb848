# make report : run the seven notebooks (papermill) and build report/report.pdf (Typst, from PyPI)
# make test   : the test suite (module, notebooks in the quick profile, report build)
# make smoke  : the whole pipeline on synthetic data in the quick profile (build-smoke/; QUICK=1 gives
#              -p quick True to the notebooks that have it)
# Parameters for every notebook: NB_PARAMS="-p name value"; a notebook refuses one it does not declare.
# SCHEDULER=tcp://HOST:8786 runs the notebooks that train many networks on that Dask scheduler.
# make bench  : time the default run (python bench/timing.py; add --search 4 for a parallel search)
# make lab    : open the notebooks in JupyterLab with the project's environment
# make clean  : remove build outputs (build/, build-smoke/)

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BUILD ?= build
REPORT_PDF ?= report/report.pdf
NB_PARAMS ?=
README_RESULTS ?= --readme README.md
NOTEBOOKS := 01_gradient_check 02_overfit 03_cyclical_lr 04_lambda_search 05_final_model 06_bonus 07_analysis
RESULTS := $(foreach nb,$(NOTEBOOKS),$(BUILD)/$(nb)/results.json)
SOURCES := $(wildcard assignment2/*.py assignment2/*/*.py assignment2/*/*/*.py)
# Modules only the PDF uses: a change to them rebuilds the PDF and executes no notebook.
REPORT_ONLY := assignment2/report/pdf.py assignment2/report/reproduction.py assignment2/report/formats.py \
  assignment2/report/facts.py
# The commands (the CLI, the cluster's certificates): no notebook uses them.
COMMANDS := assignment2/__main__.py assignment2/cluster_certs.py
NOTEBOOK_SOURCES := $(filter-out $(REPORT_ONLY) $(COMMANDS),$(SOURCES))
# The run store every notebook of a build shares: a run kept there is read, never trained again.
STORE ?= $(BUILD)/runs

# The notebooks run in notebooks/: hand them an absolute data folder; the report shows it as given.
ifndef DATA_LABEL
DATA_LABEL := $(CIFAR10_DIR)
endif
ifdef CIFAR10_DIR
override CIFAR10_DIR := $(abspath $(CIFAR10_DIR))
export CIFAR10_DIR
endif

.PHONY: report test smoke bench lab clean FORCE
.DELETE_ON_ERROR:

report: $(REPORT_PDF)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[report,test,cluster]'
	touch $@

# Re-run the notebooks when the data folder changes (the stamp is rewritten only then).
$(BUILD)/.data-root: FORCE
	@mkdir -p $(BUILD)
	@echo "$(CIFAR10_DIR) $(NB_PARAMS)" | cmp -s - $@ || echo "$(CIFAR10_DIR) $(NB_PARAMS)" > $@

# A notebook is re-run only when it, a module it can use, the installed environment or the data
# changed; its networks come from the run store, so a re-run trains only what the store lacks.
# What it writes to stderr (a line per network trained, and one a minute: study/progress.py) shows here.
# The executed notebook is also rendered to HTML beside its artifacts.
$(BUILD)/%/results.json: notebooks/%.ipynb $(NOTEBOOK_SOURCES) report/notebook.html.j2 $(VENV)/.installed $(BUILD)/.data-root
	@mkdir -p $(@D)
	ASSIGNMENT2_STORE=$(abspath $(STORE)) $(PY) -m papermill --engine assignment2 --log-level WARNING --no-progress-bar \
	  --stderr-file - -k python3 \
	  --cwd notebooks $< $(@D)/$*.ipynb -p out_dir $(abspath $(@D)) $(NB_PARAMS) $(EXTRA_PARAMS) \
	  $(if $(QUICK),$(if $(shell grep -l '"quick: bool' $<),-p quick True)) \
	  $(if $(SCHEDULER),$(if $(shell grep -l '"scheduler: ' $<),-p scheduler $(SCHEDULER)))
	$(PY) -m nbconvert --log-level WARN --to html --template-file report/notebook.html.j2 $(@D)/$*.ipynb

$(BUILD)/05_final_model/results.json: $(BUILD)/04_lambda_search/results.json
$(BUILD)/05_final_model/results.json: EXTRA_PARAMS = -p search_dir $(abspath $(BUILD)/04_lambda_search)
$(BUILD)/06_bonus/results.json: $(BUILD)/05_final_model/results.json
$(BUILD)/06_bonus/results.json: EXTRA_PARAMS = -p final_dir $(abspath $(BUILD)/05_final_model)
$(BUILD)/07_analysis/results.json: $(BUILD)/05_final_model/results.json $(BUILD)/06_bonus/results.json
$(BUILD)/07_analysis/results.json: EXTRA_PARAMS = -p final_dir $(abspath $(BUILD)/05_final_model) \
  -p bonus_dir $(abspath $(BUILD)/06_bonus)

$(REPORT_PDF): $(RESULTS) $(SOURCES) report/report.typ.j2 report/words.typ.j2 report/readme.md.j2 report/reference.json
	$(PY) -m assignment2.report.pdf $(BUILD) $@ --data-dir "$(DATA_LABEL)" $(README_RESULTS)

test: $(VENV)/.installed
	$(PY) -m pytest

smoke: $(VENV)/.installed
	$(PY) -m assignment2 synthetic build-smoke/synthetic
	$(MAKE) report BUILD=build-smoke REPORT_PDF=build-smoke/report.pdf README_RESULTS= DATA_LABEL=build-smoke/synthetic \
	  QUICK=1 NB_PARAMS="-p data_root $(abspath build-smoke/synthetic)"

bench: $(VENV)/.installed
	$(PY) bench/timing.py

lab: $(VENV)/.installed
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf build build-smoke
