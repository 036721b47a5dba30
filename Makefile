# Two commands set everything up on a fresh machine:
#   make book   -- create .venv from requirements.txt, build the HTML book executing every chapter
#   make test   -- the whole test suite, including the strict book build
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-stamp

.PHONY: help venv book test test-fast lint bench clean freeze

help:
	@echo "make book   build the HTML book into _build/html (executes every chapter)"
	@echo "make test   run the whole test suite, including the strict book build"
	@echo "make test-fast  unit tests only (no learning runs, no book)"
	@echo "make lint   ruff"
	@echo "make bench  speed benchmarks (not part of make test)"

# (Re)install whenever requirements.txt or pyproject.toml is newer than the last install.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

venv: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --builder html -n -W --keep-going

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not book and not browser"

lint: $(STAMP)
	$(BIN)/ruff check reinforce tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

freeze: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | sed '1i # The pinned environment the package, its tests and the book are built and run in.\n# Regenerate with: make freeze' > requirements.txt
	echo "-e ." >> requirements.txt

clean:
	rm -rf _build .pytest_cache .ruff_cache
