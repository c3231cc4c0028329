# Two commands for a fresh machine: `make demo` (the app on the shipped model) and `make test`.
# Each creates .venv when missing and installs only when pyproject.toml changed (stamp files).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_DEV := $(VENV)/.stamp-dev
STAMP_APP := $(VENV)/.stamp-app
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: demo test test-fast clean-venv

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Serving profile: numpy, Pillow, onnxruntime, gradio. No torch.
$(STAMP_APP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[app]'
	touch $@

# Development profile: training (torch from this machine's disk), app and test tools.
$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[train,app,dev]'
	touch $@

demo: $(STAMP_APP)
	$(BIN)/craftvision serve --host $(HOST) --port $(PORT)

test: $(STAMP_DEV)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP_DEV)
	$(BIN)/python -m pytest -q -m "not slow"

clean-venv:
	rm -rf $(VENV)
