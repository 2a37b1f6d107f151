# The two commands: `make run` (site + worker + beat on http://127.0.0.1:8000/) and `make test`.
# Both need only Python 3.11+; without REDIS_URL they start a private Redis (config/embedded_redis.py).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

# make run serves plain HTTP on 127.0.0.1: the settings then use a dev key and local hosts.
HTTPS ?= 0
export HTTPS

.PHONY: setup run test lint reminders-fault browser-deps

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed: make PYTHON=python3.12 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)

# The stamp makes pip run only when requirements.txt changes.
$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

# axe-core for the browser tests (tests/conftest.py), from the npm registry at the version
# package-lock.json pins; the stamp makes npm run only when the lock changes.
node_modules/.installed: package.json package-lock.json | browser-deps
	@command -v npm >/dev/null || { echo "npm is needed for the browser tests' axe-core: make browser-deps"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# A developer's local settings for plain `manage.py` (gitignored; the environment still wins).
.env:
	printf '# Local development settings (not for production).\nHTTPS=0\n' > $@

setup: $(VENV)/.installed .env
	@mkdir -p "$${LINLI_VAR_DIR:-var}"
	$(PY) manage.py compile_translations
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py seed_bulk --cases 600 --if-empty
	$(PY) manage.py seed_demo_cases
	$(PY) manage.py seed_demo_grid

run: setup
	$(PY) -m config.run

# What the browser tests need from the system, on a fresh Debian or Ubuntu machine: Debian's
# Chromium at /usr/bin/chromium (tests/conftest.py; Playwright's own browser download is not used)
# CJK fonts, without which every Chinese character in a screenshot is a box, and npm for axe-core
# (node_modules/.installed, after these). As root, apt-get
# installs what is missing; anyone else is told the command. `make test` checks them first unless
# PYTEST_ARGS leaves the browser tests out (-m "not browser").
BROWSER_PACKAGES_CHECK = \
	missing=""; \
	[ -x /usr/bin/chromium ] || missing=" chromium"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk"; \
	command -v npm >/dev/null || missing="$$missing npm"

browser-deps:
	@$(BROWSER_PACKAGES_CHECK); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then \
		echo "==> the browser tests need$$missing: installing them with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing \
			|| { echo "apt-get could not install$$missing"; exit 1; }; \
		$(BROWSER_PACKAGES_CHECK); \
		if [ -n "$$missing" ]; then echo "still missing after apt-get:$$missing"; exit 1; fi; \
	else \
		echo "The browser tests need$$missing, which only root can install. Run:"; \
		echo "    sudo apt-get install -y$$missing"; \
		echo "then make test again; or leave the browser tests out: make test PYTEST_ARGS='-m \"not browser\"'"; \
		exit 1; \
	fi

# pytest-django creates its own test database; the pytest settings module wins unless you set one.
test: export DJANGO_SETTINGS_MODULE ?= config.settings.test
test: $(VENV)/.installed .env $(if $(findstring not browser,$(PYTEST_ARGS)),,browser-deps node_modules/.installed)
	$(PY) manage.py compile_translations
	$(PY) -m config.embedded_redis -- $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The long fault run of the reminders (issue 6): 2,000 cases (4,000 rows), the worker SIGKILLed 30
# times and a private Redis restarted 5 times; prints the figures. The suite runs a short version.
# Runs on PostgreSQL with DATABASE_URL=postgres://... (pytest makes a test_ database), else SQLite.
reminders-fault: export DJANGO_SETTINGS_MODULE ?= config.settings.test
reminders-fault: export LINLI_FAULT_REMINDERS ?= 2000
reminders-fault: export LINLI_FAULT_KILLS ?= 30
reminders-fault: export LINLI_FAULT_RESTARTS ?= 5
reminders-fault: export LINLI_FAULT_TIMEOUT ?= 900
reminders-fault: $(VENV)/.installed
	$(PY) -m config.embedded_redis -- $(VENV)/bin/pytest tests/test_reminders_fault.py -s -q -p no:cacheprovider
