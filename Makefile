# The two commands a newcomer needs: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test test-fast test-lowest demo install lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,demo]'
	touch $(STAMP)

install: $(STAMP)

# -n auto: one worker per core; loadfile keeps a test file on one worker, so its module-scoped replica
# servers and corpora are built once.
XDIST := -n auto --dist loadfile

test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest $(XDIST)

# The edit-test loop: SQLite only, no browser, no kill -9, nothing marked slow. CI runs `make test`.
test-fast: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) -q -m "not slow and not chromium and not kill9 and not postgres"

# The fast tests on the lowest dependency versions pyproject.toml allows (a separate .venv-lowest).
test-lowest: $(STAMP)
	scripts/test-lowest-deps

demo: $(STAMP)
	$(BIN)/newswatch demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy crawler storage scheduler alerts newswatch

bench: $(STAMP)
	$(BIN)/python bench/search.py --n 100000

clean:
	rm -rf $(VENV) .venv-lowest var .pytest_cache
