# The two set-up commands are `make run` and `make test`; the rest support them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
LOCALES := ar bn hi ur si ta dv

.PHONY: run test lint format translations compile-translations bench clean sbom lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

compile-translations: $(VENV)/.installed-run
	$(BIN)/pybabel compile -d translations -D messages --statistics 2>&1 | grep -v '^compiling' || true
	@# Guide content is never %-formatted; Babel's format check on it ("42% in ...") is noise.
	$(BIN)/pybabel compile -d translations -D guides 2>&1 | grep -v -e '^compiling' -e 'placeholders are incompatible' -e 'errors encountered' || true

run: $(VENV)/.installed-run compile-translations
	$(FLASK) db upgrade
	$(FLASK) accounts setup-link
	$(FLASK) run --host 127.0.0.1 --port 5000

test: $(VENV)/.installed-test compile-translations
	$(BIN)/ruff check --quiet .
	$(BIN)/bandit --quiet --recursive app --severity-level medium
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Extract interface strings, merge them into every catalog, extract guide content, compile all.
translations: $(VENV)/.installed-run
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l -o translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i translations/messages.pot -d translations -D messages
	$(FLASK) guides extract
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i translations/guides.pot -d translations -D guides
	$(MAKE) compile-translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Figures for the speed and weight targets (prints, asserts nothing). BENCH_SECONDS sets each load run.
bench: $(VENV)/.installed-bench compile-translations
	$(BIN)/python bench/run.py

# CycloneDX SBOM of the installed environment (git-ignored; attach it to a release).
sbom: $(VENV)/.installed-test
	$(BIN)/cyclonedx-py environment --pyproject pyproject.toml -o sbom.json $(BIN)/python

# requirements.lock: runtime dependencies, direct and transitive, pinned with sha256 hashes at the
# installed versions (needs the package index). Commit the result.
lock: $(VENV)/.installed-run
	$(BIN)/python scripts/lock.py requirements.lock
