# Set-up is part of every target: a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow test-all test-ci-rest install lint

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tfdeblur demo

# Two workers, one per core: much of a test's time is single-threaded (tracing, Python), so both cores stay
# busy; a file's tests stay on one worker (its module fixtures, e.g. the wheel's venv, are built once).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=15

lint: $(STAMP)
	$(BIN)/python -m ruff check .

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

# Every test: the default set, the slow ones and the browser ones (these need /usr/bin/chromium).
test-all: $(STAMP)
	$(BIN)/python -m pytest -m ""

# What `make test` leaves out, once each: the slow and the browser tests (.ci/run runs both targets).
test-ci-rest: $(STAMP)
	$(BIN)/python -m pytest -m "slow or browser" --durations=15
