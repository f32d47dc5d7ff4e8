# seeclick: `make run` serves the demo city on http://127.0.0.1:5000; `make test` runs the tests.
# Both set up what is missing first: system packages, the virtualenv, a project-local PostGIS
# cluster and a Redis (the throttles' shared counts) under instance/ (reused on the next run),
# migrations and the demo city.
# With DATABASE_URL set, that database is used instead of the local cluster; with
# SEECLICK_RATELIMIT_STORAGE (TEST_RATELIMIT_STORAGE for the tests) set, that Redis.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_REPORTS ?= 20000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := postgresql postgresql-contrib
# PostGIS for whichever PostgreSQL major version the distribution ships.
POSTGIS_CONTROL := $(wildcard /usr/share/postgresql/*/extension/postgis.control)

.PHONY: run worker test system venv db testdb migrate demo stop lint bench messages constraints soak pooler replica cluster

# The web app and, beside it, the job worker that sends mail (to instance/mail/ without SMTP settings),
# started again whenever it dies (seeclick/supervise.py; systemd in production, docs/production.md).
# POOLER=1: the app through the local PgBouncer (the worker on a direct connection); REPLICA=1: public pages read
# from the local streaming replica (docs/production.md).
RUN_ENV := $(if $(POOLER),DATABASE_URL="$$($(PYTHON) seeclick/devpgbouncer.py url)" \
	SEECLICK_DIRECT_DATABASE_URL="$$($(PYTHON) seeclick/devdb.py url)") \
	$(if $(REPLICA),SEECLICK_REPLICA_DATABASE_URL="$$($(PYTHON) seeclick/devreplica.py url)")
run: venv db migrate demo $(if $(POOLER),pooler) $(if $(REPLICA),replica)
	$(RUN_ENV) $(BIN)/python -m seeclick.supervise --keep '$(FLASK) jobs worker' -- $(FLASK) run --host $(HOST) --port $(PORT)

# The demo city as production runs it on several hosts: nginx on http://127.0.0.1:5080 in front of two gunicorn
# instances that share only the database, Redis and the photo store, and the job worker beside them
# (seeclick/devbalancer.py; its nginx.conf, logs and tile cache in instance/balancer/).
cluster: venv db migrate demo
	$(BIN)/python -m seeclick.supervise --keep '$(FLASK) jobs worker' -- $(PYTHON) seeclick/devbalancer.py run

worker: venv db migrate
	$(FLASK) jobs worker

test: venv testdb
	$(BIN)/pytest $(PYTEST_ARGS)

system:
ifeq ($(POSTGIS_CONTROL),)
	$(SUDO) apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(APT_PACKAGES) \
		$$(apt-cache search --names-only '^postgresql-[0-9]+-postgis-3$$' | cut -d' ' -f1 | sort -V | tail -1)
endif
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { $(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv; }
	@# The throttles count in Redis, shared by every worker (the local one: seeclick/devredis.py).
	@command -v redis-server >/dev/null || { $(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server; }
	@# The pooler in front of PostgreSQL (the local one: seeclick/devpgbouncer.py).
	@test -x /usr/sbin/pgbouncer || command -v pgbouncer >/dev/null || { $(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbouncer; }
	@# The load balancer in front of several app servers (make cluster, the tests; seeclick/devbalancer.py).
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { $(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx; }
	@# make bench's load generator.
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }
	@# Browser tests drive the distribution's Chromium (Playwright never downloads a browser).
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }
	@# A font with Chinese characters, so pages in Chinese are drawn (and screenshotted) as people read them.
	@fc-list :lang=zh-cn 2>/dev/null | grep -q . || { $(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei; }

# Each language's catalogue (seeclick/translations/<code>/LC_MESSAGES/messages.po), compiled for gettext
# whenever it changed; the .mo files are built, never committed.
PO_FILES := $(wildcard seeclick/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

venv: $(VENV)/.installed $(MO_FILES)

%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@

# Installed within .ci/constraints.txt: the versions CI passed with, the same on every machine.
$(VENV)/.installed: setup.cfg pyproject.toml .ci/constraints.txt | system
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c .ci/constraints.txt -e '.[test]'
	touch $@

# After changing the dependencies in setup.cfg: install them unconstrained, then record what was installed.
constraints: system
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	{ sed -n '1,2p' .ci/constraints.txt; $(BIN)/pip freeze --exclude-editable; } > .ci/constraints.txt.new
	mv .ci/constraints.txt.new .ci/constraints.txt
	touch $(VENV)/.installed

db: system
ifndef DATABASE_URL
	$(PYTHON) seeclick/devdb.py start
endif
ifndef SEECLICK_RATELIMIT_STORAGE
	$(PYTHON) seeclick/devredis.py start
endif

# The tests use TEST_DATABASE_URL, or the local cluster's seeclick_test (never DATABASE_URL).
testdb: system
ifndef TEST_DATABASE_URL
	$(PYTHON) seeclick/devdb.py start
endif
ifndef TEST_RATELIMIT_STORAGE
	$(PYTHON) seeclick/devredis.py start
endif

migrate: venv db
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo load --if-empty --reports $(DEMO_REPORTS)

# PgBouncer in transaction mode in front of the local cluster; `devpgbouncer.py url NAME` prints its URL.
pooler: db
	$(PYTHON) seeclick/devpgbouncer.py start

# A hot standby of the local cluster (pg_basebackup -R, instance/replica-pgdata); `devreplica.py url` prints its URL.
replica: db
	$(PYTHON) seeclick/devreplica.py start

stop:
	$(PYTHON) seeclick/devbalancer.py stop
	$(PYTHON) seeclick/devpgbouncer.py stop
	$(PYTHON) seeclick/devreplica.py stop
	$(PYTHON) seeclick/devdb.py stop
	$(PYTHON) seeclick/devredis.py stop

# Minutes of citizens on the web form and Open311 under gunicorn while PostgreSQL (a durable cluster of
# its own, instance/soak-pgdata) is crashed and restarted and the worker is killed: nothing acknowledged lost.
# SOAK_SERVERS=2: across two app servers behind nginx (seeclick/devbalancer.py).
SOAK_SECONDS ?= 90
SOAK_SERVERS ?= 1
soak: venv
	$(PYTHON) seeclick/devredis.py start
	$(BIN)/python bench/soak.py --seconds $(SOAK_SECONDS) --servers $(SOAK_SERVERS)

lint: venv
	$(BIN)/ruff check seeclick tests bench migrations config.py wsgi.py

# Every hot path under gunicorn beside its floor, on a database of BENCH_REPORTS generated reports (built once,
# then reused), served directly and through the local PgBouncer side by side: one table, saved under bench/results/
# (docs/benchmarks.md). BENCH_ARGS adds options of bench/run.py.
BENCH_REPORTS ?= 5000000
BENCH_SECONDS ?= 10
bench: venv db pooler
	$(BIN)/python bench/run.py --pooler --reports $(BENCH_REPORTS) --seconds $(BENCH_SECONDS) $(BENCH_ARGS)

# Every string to translate, extracted afresh into messages.pot and merged into each language's catalogue
# (new and changed strings come in empty: tests/test_translations.py fails until they are translated).
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 --sort-by-file \
		--project seeclick -o seeclick/translations/messages.pot .
	$(BIN)/pybabel update -i seeclick/translations/messages.pot -d seeclick/translations --ignore-obsolete \
		--no-fuzzy-matching
	$(MAKE) --no-print-directory $(MO_FILES)
