# The two commands of the README. Both create .venv (Python 3.11) on first use.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= .demo
DEMO_CUSTOMERS ?= 3000

.PHONY: install demo test lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (crmml needs Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: install
	$(BIN)/crmml demo-data --out $(DEMO_DIR)/raw --customers $(DEMO_CUSTOMERS) --seed 7
	$(BIN)/crmml validate $(DEMO_DIR)/raw --report $(DEMO_DIR)/quality/report.json
	$(BIN)/crmml features --raw $(DEMO_DIR)/raw --out $(DEMO_DIR)/features

test: install
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(DEMO_DIR) mlruns mlartifacts mlflow.db
