#!/usr/bin/env bash
# The whole test suite: everything on SQLite, then the storage, outbox and end-to-end tests
# again on a real PostgreSQL started on 127.0.0.1. Exit non-zero if anything failed.
# Both passes run in parallel workers (pytest-xdist): DDOR_TEST_WORKERS sets how many (default
# `auto`, one per CPU; 0 runs in-process). Extra arguments go to every pytest command (an
# extra -m replaces the passes' own marker selections).
set -uo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
workers=${DDOR_TEST_WORKERS:-auto}
# --dist loadgroup: each test goes to whichever worker is free, so a long file such as the
# crash matrix is shared out, except the tests of an xdist_group (the corpus, which caches
# its parses in-process), which stay on one worker.
parallel=(-n "$workers" --dist loadgroup)

# The site's browser tests need Chromium; installed from Debian's packages when missing.
bash scripts/install-chromium.sh

free_port() {
  "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pgdir=$(mktemp -d /tmp/ddor-pg.XXXXXX)
chmod 755 "$pgdir"
trap 'bash scripts/pg-test-server.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT

"$py" -m pytest -p no:randomly "${parallel[@]}" -m "not single_threaded" "$@"
parallel_status=$?
# Tests that must have the process to themselves (tests/conftest.py), in this one.
"$py" -m pytest -p no:randomly -m single_threaded "$@"
single_status=$?
[ $parallel_status -eq 0 ] && [ $single_status -eq 0 ]
sqlite_status=$?

# A free port, not a fixed one: CI may run beside other PostgreSQL servers. Another process
# can take the port between the probe and the start, so try a few.
url=""
for _ in 1 2 3; do
  rm -rf "${pgdir:?}/data"
  if url=$(bash scripts/pg-test-server.sh start "$pgdir" "$(free_port)"); then
    break
  fi
  url=""
done
if [ -z "$url" ]; then
  echo "PostgreSQL could not be started (see $pgdir/log)" >&2
  exit 1
fi
echo "PostgreSQL backend: $url"
DDOR_TEST_POSTGRES_URL=$url "$py" -m pytest -p no:randomly "${parallel[@]}" -m "not sqlite_only" tests/storage \
  tests/test_e2e.py tests/monitor/test_delivery.py tests/monitor/test_delivery_health.py tests/monitor/test_crash.py \
  tests/monitor/test_route_e2e.py tests/monitor/test_route_crash.py tests/monitor/test_sections_degrade.py \
  tests/ddor/test_research.py tests/ddor/test_failsafe.py tests/monitor/test_health.py "$@"
pg_status=$?

[ $sqlite_status -eq 0 ] && [ $pg_status -eq 0 ]
