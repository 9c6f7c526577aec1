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

# `make demo PORT=8080` serves on another port; for phones on the local network (README, "Try it"):
# `make demo HOST=0.0.0.0 FANGKONG_PUBLIC_URL=http://192.168.1.20:8000`. The public URL is what the posters'
# QR codes hold; its host name is allowed as a Host header. `USERS_FILE=users.json` writes the demo users.
PORT ?= 8000
HOST ?= 127.0.0.1
demo: export FANGKONG_PUBLIC_URL ?= http://127.0.0.1:$(PORT)
demo: PUBLIC_HOST = $(firstword $(subst :, ,$(subst /, ,$(patsubst https://%,%,$(patsubst http://%,%,$(FANGKONG_PUBLIC_URL))))))
demo: export FANGKONG_ALLOWED_HOSTS ?= 127.0.0.1,localhost,$(PUBLIC_HOST)
demo: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py compilemessages --ignore=.venv >/dev/null 2>&1 || true
	$(PY) manage.py demo_district --size small $(if $(USERS_FILE),--users-file $(USERS_FILE))
	@echo "海报二维码地址 FANGKONG_PUBLIC_URL=$$FANGKONG_PUBLIC_URL"
	$(PY) manage.py runserver $(HOST):$(PORT)

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
