#!/usr/bin/env bash
# The whole test suite: everything on SQLite, then the storage, outbox and end-to-end tests
# again on a real PostgreSQL started on 127.0.0.1. Exit non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}

# The site's browser tests need Chromium; installed from Debian's packages when missing.
bash scripts/install-chromium.sh

"$py" -m pytest -p no:randomly "$@"
sqlite_status=$?

pgdir=$(mktemp -d /tmp/ddor-pg.XXXXXX)
chmod 755 "$pgdir"
url=$(bash scripts/pg-test-server.sh start "$pgdir" 55432)
trap 'bash scripts/pg-test-server.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
echo "PostgreSQL backend: $url"
DDOR_TEST_POSTGRES_URL=$url "$py" -m pytest -m "not sqlite_only" tests/storage tests/test_e2e.py \
  tests/monitor/test_delivery.py tests/monitor/test_delivery_health.py tests/monitor/test_crash.py \
  tests/monitor/test_route_e2e.py tests/monitor/test_route_crash.py tests/monitor/test_sections_degrade.py \
  tests/ddor/test_research.py tests/ddor/test_failsafe.py "$@"
pg_status=$?

[ $sqlite_status -eq 0 ] && [ $pg_status -eq 0 ]
