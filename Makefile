# Two commands set everything up on a fresh machine:
#   make book   -- create .venv from requirements.txt, build the HTML book executing every chapter
#   make test   -- the whole test suite, including the strict book build
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
# The networks here are tiny: BLAS threads only contend for the two cores (and make timings noisy).
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-stamp

.PHONY: help venv book lite book-student chapter notebooks pdf pdf-student singlehtml test test-fast lint bench bench-dqn clean freeze

help:
	@echo "make book   build the HTML book into _build/html (executes every chapter)"
	@echo "make test   run the whole test suite, including the strict book build"
	@echo "make lite   the JupyterLite site alone (chapters in the browser), into _build/html/lite"
	@echo "make book-student  the book without solutions, into _build/student/_build/html"
	@echo "make notebooks     one .ipynb per chapter (no outputs) in _build/notebooks"
	@echo "make pdf           the whole book as one PDF, _build/pdf/reinforce-from-scratch.pdf"
	@echo "make pdf-student   the same without solutions, _build/pdf/reinforce-from-scratch-student.pdf"
	@echo "make chapter CH=book/<file>.md  execute one chapter (no HTML), to check it quickly"
	@echo "make test-fast  unit tests only (no learning runs, no book)"
	@echo "make lint   ruff (lint and format check) and mypy"
	@echo "make bench  speed benchmarks (not part of make test)"
	@echo "make bench-dqn  the DQN rl-zoo reproduction, 10 seeds (tens of minutes on 2 cores)"

# (Re)install whenever requirements.txt or pyproject.toml is newer than the last install.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

venv: $(STAMP)

# Strict: every page rebuilt and every chapter executed afresh (--all, _config.yml), warnings
# and missing references are errors, and --keep-going reports them all before failing.
BOOK_FLAGS := --all --builder html -n -W --keep-going
BOOK_DIR ?= .
CHROMIUM := /usr/bin/chromium

# The chapters that train the same population runs (the protocol's base on the reporting
# seeds) train them once per build: reinforce.protocol.population_sweep keeps its runs in
# RUN_CACHE, keyed by the full Config and a hash of the package's source, and the
# directory is emptied first, so no run outlives the build that trained it.
RUN_CACHE = $(abspath $(BOOK_DIR))/_build/.run-cache

book: $(STAMP)
	rm -rf $(RUN_CACHE)
	REINFORCE_RUN_CACHE=$(RUN_CACHE) BOOK_LITE=$(if $(filter .,$(BOOK_DIR)),1,0) \
	  $(BIN)/jupyter-book build $(BOOK_DIR) $(BOOK_FLAGS)
	@if [ "$(BOOK_DIR)" = . ]; then $(MAKE) --no-print-directory lite; fi

# The JupyterLite site (every chapter as a notebook run by Pyodide in the browser) into
# _build/html/lite, from registry downloads pinned by version and sha256 and kept in
# $(LITE_CACHE) (book/_ext/jupyterlite_build.py).
LITE_CACHE ?= .lite-cache
lite: $(STAMP)
	$(BIN)/python book/_ext/jupyterlite_build.py _build/html/lite $(LITE_CACHE)

# Execute one chapter on its own (no HTML), e.g. `make chapter CH=book/07-discounting.md`:
# a quick check while writing; the strict book build remains the judge.
chapter: $(STAMP)
	@test -n "$(CH)" || { echo "usage: make chapter CH=book/<chapter>.md"; exit 2; }
	$(BIN)/python book/_ext/run_chapter.py $(CH)

# The same book with every exercise solution removed (book/_ext/student_build.py),
# in _build/student/_build/html.
book-student: $(STAMP)
	BOOK_STUDENT=1 $(BIN)/jupyter-book build $(BOOK_DIR) --path-output $(BOOK_DIR)/_build/student $(BOOK_FLAGS)

# One notebook per chapter, converted by jupytext, no outputs (BOOK_STUDENT=1: no solutions).
notebooks: $(STAMP)
	$(BIN)/python book/_ext/notebook_download.py _build/notebooks $(BOOK_DIR)/book/[0-9][0-9]-*.md

# The PDF: a single-page HTML build printed by Debian's Chromium (book/_ext/print_pdf.py),
# once MathJax has typeset it. Without --all, Sphinx reuses the doctrees of the last
# `make book` (the executed chapters, in _build/.doctrees), so nothing runs twice; with no
# earlier build it executes the book itself. The student PDF is printed from the same page
# with every solution block removed, as the student build removes them.
PDF_DIR := $(BOOK_DIR)/_build/pdf
PDF_NAME := reinforce-from-scratch
SINGLEHTML_FLAGS := --builder singlehtml -n -W --keep-going
PDFTOPPM := /usr/bin/pdftoppm

singlehtml: $(STAMP) $(CHROMIUM) $(PDFTOPPM)
	$(BIN)/jupyter-book build $(BOOK_DIR) $(SINGLEHTML_FLAGS)

pdf: singlehtml
	$(BIN)/python book/_ext/print_pdf.py $(BOOK_DIR)/_build/singlehtml $(PDF_DIR)/$(PDF_NAME).pdf

pdf-student: singlehtml
	$(BIN)/python book/_ext/print_pdf.py $(BOOK_DIR)/_build/singlehtml $(PDF_DIR)/$(PDF_NAME)-student.pdf --student

# The PDF test renders pages with poppler-utils (pdftoppm, pdftotext, pdfimages).
$(PDFTOPPM):
	@if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils; \
	else \
	  echo "poppler-utils is missing. Install it with:  sudo apt-get install -y poppler-utils" >&2; exit 1; \
	fi

# The browser test drives Debian's Chromium; install it if it is missing.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
	  echo "Chromium is missing. Install it with:  sudo apt-get install -y chromium" >&2; exit 1; \
	fi

test: $(STAMP) $(CHROMIUM) $(PDFTOPPM)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not book and not browser"

lint: $(STAMP)
	$(BIN)/ruff check reinforce tests benchmarks
	$(BIN)/ruff format --check reinforce tests benchmarks
	$(BIN)/mypy reinforce

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# The DQN preset rl-zoo against the RL Baselines3 Zoo's CartPole-v1 result (greedy return);
# chapter 13 reads the table it writes, benchmarks/results/dqn_rl_zoo.csv.
bench-dqn: $(STAMP)
	$(BIN)/python -m benchmarks.dqn_rl_zoo --out benchmarks/results

freeze: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | sed '1i # The pinned environment the package, its tests and the book are built and run in.\n# Regenerate with: make freeze' > requirements.txt
	echo "-e ." >> requirements.txt

clean:
	rm -rf _build .pytest_cache .ruff_cache .lite-cache
