# `make run` and `make test` bootstrap .venv themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= storage/monitor.db

.PHONY: run test serve lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/scrapy crawl files -a path=seeds -s MONITOR_DB=$(DB) -s LOG_LEVEL=WARNING
	$(BIN)/monitor --db $(DB) summary

test: $(STAMP)
	$(BIN)/python -m pytest -q

serve: $(STAMP)
	$(BIN)/monitor --db $(DB) serve

lint: $(STAMP)
	$(BIN)/ruff check monitor spiders tests benchmarks

clean:
	rm -rf $(VENV) storage/*.db storage/*.db-*
