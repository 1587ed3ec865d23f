# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= 2

.PHONY: demo test lint format bench clean help

help:
	@echo "make demo   generate ./$(DEMO_DIR) (if missing), migrate, create a demo user, serve on http://$(HOST):$(PORT)"
	@echo "make test   run the whole test suite (PostgreSQL when DATABASE_URL is set, SQLite otherwise)"
	@echo "make lint   ruff and mypy"
	@echo "make bench  run every benchmark in benchmarks/"

$(STAMP): pyproject.toml setup.cfg
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "QuickScale needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { echo 'Creating the virtual environment failed. On Debian or Ubuntu: apt-get install python3-venv (or python3.11-venv).'; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The demo buys credits from a local fake of Stripe (quickscale.testing.fakestripe), which keeps
# its state in the demo's .fake-stripe.json; real environment variables win over these.
STRIPE_PORT ?= 12111
demo: export STRIPE_API_HOST ?= http://$(HOST):$(STRIPE_PORT)
demo: export STRIPE_SECRET_KEY ?= sk_test_quickscaleFakeStripe0000000000

demo: $(STAMP)
	test -f $(DEMO_DIR)/manage.py || $(BIN)/quickscale init $(DEMO_DIR) --title "QuickScale Demo"
	cd $(DEMO_DIR) && $(BIN)/python manage.py migrate --noinput
	@echo "Serving on http://$(HOST):$(PORT)/ with a fake Stripe on http://$(HOST):$(STRIPE_PORT)/ (Ctrl+C stops both)"
	cd $(DEMO_DIR) && \
	  { $(BIN)/python manage.py quickscale_fake_stripe --host $(HOST) --port $(STRIPE_PORT) --state .fake-stripe.json & fake=$$!; \
	    trap 'kill $$fake 2>/dev/null' EXIT INT TERM; \
	    $(BIN)/python manage.py quickscale_demo --site-url http://$(HOST):$(PORT) && \
	    $(BIN)/python manage.py runserver $(HOST):$(PORT); }

test: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	for script in $$(ls benchmarks/*.py | grep -v support.py); do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
