# Tavlan. `make run` serves the app on http://127.0.0.1:5000; `make test` runs every test.
# Both start from nothing: they create .venv and install what is missing.
# DATABASE_URL, REDIS_URL and PORT are read from the environment (see README, Configuration).

PYTHON ?= python3
PORT ?= 5000
HTMX_VERSION ?= 4.0.1

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PO_FILES := $(wildcard translations/*/LC_MESSAGES/*.po)
HTMX_DIR := static/vendor/htmx
# One gevent worker holds thousands of idle SSE streams; a short graceful timeout so that a
# SIGTERM does not wait 30 s for open streams.
GUNICORN := $(BIN)/gunicorn -c python:board.serving -k gevent -w 1 --worker-connections 10000 --graceful-timeout 3 --timeout 60 --no-control-socket

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

# The targets share one venv; two pip installs into it at once would trip over each other.
.NOTPARALLEL:
.DEFAULT_GOAL := help
.PHONY: help run install dev translations messages test test-hostile vendor-htmx clean distclean

help: ## Show this list
	@echo "Tavlan make targets (PORT=$(PORT) PYTHON=$(PYTHON) HTMX_VERSION=$(HTMX_VERSION)):"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# Join links and QR codes carry the public address; for `make run` that is its own.
run: export TAVLAN_BASE_URL ?= http://127.0.0.1:$(PORT)
run: install translations ## Serve the app on 127.0.0.1:PORT (SQLite and in-process broker unless DATABASE_URL/REDIS_URL are set)
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi seed-demo
	@echo "Tavlan: http://127.0.0.1:$(PORT)"
	@# Every phone in a session holds one live connection: allow many open files.
	ulimit -n "$$(ulimit -Hn)"; exec $(GUNICORN) -b 127.0.0.1:$(PORT) wsgi:app

install: $(STAMP) ## Create .venv and install the app into it

dev: $(DEV_STAMP) ## Create .venv and install the app with the test tools

# A venv whose creation failed halfway (no ensurepip, say) is removed, so the next run retries.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "Could not create $(VENV) with $(PYTHON). On Debian: apt-get install python3-venv" >&2; exit 1; }

# Reinstall only when pyproject.toml changed since the last install. A dev install that is
# newer than pyproject.toml already covers it (`make dev translations` would otherwise run pip twice).
$(STAMP): pyproject.toml | $(BIN)/python
	@if [ -f $(DEV_STAMP) ] && [ ! pyproject.toml -nt $(DEV_STAMP) ]; then :; \
	else echo "$(BIN)/python -m pip install -e ."; $(BIN)/python -m pip install -e .; fi
	@touch $@

# The dev install is a superset of the plain one, so it refreshes both stamps.
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	touch $@ $(STAMP)

translations: install ## Compile translations/*/LC_MESSAGES/*.po into .mo files
ifneq ($(PO_FILES),)
	$(BIN)/pybabel -q compile -d translations -f
endif

messages: install ## Extract messages to translations/messages.pot and update the .po catalogs
	$(BIN)/pybabel extract -F babel.cfg -k _l -k _ -k ngettext:1,2 -k lazy_gettext -o translations/messages.pot .
ifneq ($(PO_FILES),)
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching
else
	@echo "No catalogs yet; start one with: $(BIN)/pybabel init -i translations/messages.pot -d translations -l en"
endif

test: ## Install what is missing (Debian packages, dev venv) and run every test
	bash scripts/system-deps.sh
	$(MAKE) --no-print-directory dev translations
	bash scripts/run-tests.sh

test-hostile: ## The full fuzz (10,000 requests) and the whole XSS corpus; make test runs a sample of both
	bash scripts/system-deps.sh
	$(MAKE) --no-print-directory dev translations
	FUZZ_REQUESTS=10000 XSS_SAMPLE=1 $(BIN)/python -m pytest -q -s tests/test_fuzz.py tests/test_xss_corpus.py $(PYTEST_ARGS)

# Fetch htmx from npm, check the tarball against the registry's sha512, copy the files we serve
# and rewrite VERSION. Run it by hand to upgrade: make vendor-htmx HTMX_VERSION=4.0.2
vendor-htmx: ## Re-vendor htmx.org HTMX_VERSION and hx-sse from npm into static/vendor/htmx
	@set -eu; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	echo "npm pack htmx.org@$(HTMX_VERSION)"; \
	( cd "$$tmp" && npm pack --loglevel=error htmx.org@$(HTMX_VERSION) >/dev/null ); \
	tgz=$$(ls "$$tmp"/htmx.org-*.tgz); \
	integrity=$$(npm view htmx.org@$(HTMX_VERSION) dist.integrity); \
	actual=sha512-$$($(PYTHON) -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$$tgz"); \
	if [ "$$actual" != "$$integrity" ]; then \
		echo "sha512 mismatch: registry says $$integrity, tarball is $$actual" >&2; exit 1; fi; \
	tar -xzf "$$tgz" -C "$$tmp"; \
	cp "$$tmp/package/dist/htmx.min.js" "$(HTMX_DIR)/htmx.min.js"; \
	cp "$$tmp/package/dist/ext/hx-sse.min.js" "$(HTMX_DIR)/hx-sse.min.js"; \
	cp "$$tmp/package/LICENSE" "$(HTMX_DIR)/LICENSE"; \
	{ echo "htmx.org $(HTMX_VERSION) (npm), files: dist/htmx.min.js, dist/ext/hx-sse.min.js"; \
	  echo "sha512 of the npm tarball: $$integrity"; \
	  echo "Re-vendor with: make vendor-htmx"; } > "$(HTMX_DIR)/VERSION"; \
	echo "Vendored htmx.org $(HTMX_VERSION) into $(HTMX_DIR)"

clean: ## Remove caches and install stamps (keeps .venv contents and instance/ data)
	rm -f $(STAMP) $(DEV_STAMP)
	find . -path ./$(VENV) -prune -o -path ./instance -prune -o \
		\( -name __pycache__ -o -name .pytest_cache \) -type d -prune -exec rm -rf {} +
	find translations -name '*.mo' -delete 2>/dev/null || true
	rm -rf build *.egg-info test-results

distclean: clean ## Also remove .venv (never instance/)
	rm -rf $(VENV)
