# fangkong: `make demo` to try it, `make test` to check it.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
VENDOR := fangkong/static/vendor

.PHONY: demo test install assets lint serve bench clean stop-db

$(PY):
	@command -v $(PYTHON) >/dev/null || { echo "需要 Python 3.11 (python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Copies the npm packages into static/vendor (committed, so `make demo` needs no Node.js).
assets:
	npm ci --no-audit --no-fund
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/modern-normalize/modern-normalize.css $(VENDOR)/modern-normalize.css
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts.min.js
	cp node_modules/jsqr/dist/jsQR.js $(VENDOR)/jsQR.js

demo: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py compilemessages --ignore=.venv >/dev/null 2>&1 || true
	$(PY) manage.py demo_district --size small
	$(PY) manage.py runserver 127.0.0.1:8000

lint: install
	$(VENV)/bin/ruff check .

test: install
	$(VENV)/bin/ruff check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

bench: install
	$(PY) bench/persons.py

# The private PostgreSQL server (used when DATABASE_URL is unset) keeps running between commands.
stop-db:
	@if [ -x $(PY) ]; then $(PY) -m fangkong.core.devdb stop; fi

clean: stop-db
	rm -rf $(VENV) .pgdata staticfiles media
