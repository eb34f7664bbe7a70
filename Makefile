# The two commands of the README. Both create .venv (Python 3.11) on first use.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= .demo
DEMO_CUSTOMERS ?= 15000

.PHONY: install demo test lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (crmml needs Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: install
	BIN=$(BIN) DEMO_DIR=$(DEMO_DIR) DEMO_CUSTOMERS=$(DEMO_CUSTOMERS) bash scripts/demo.sh

test: install
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(DEMO_DIR) mlruns mlartifacts mlflow.db serving/bundle
