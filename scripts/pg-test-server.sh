#!/usr/bin/env bash
# Start a throwaway PostgreSQL on 127.0.0.1 for the test suite (installing Debian's server
# package first if this machine lacks it). Usage: pg-test-server.sh start|stop DIR PORT
set -euo pipefail
action=$1 dir=$2 port=${3:-55432}

pg_bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$found" ]; then
    echo "installing PostgreSQL from Debian's packages…" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    found=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$found"
}

as_postgres() {
  # The server refuses to run as root; use the postgres account Debian's package creates.
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

case "$action" in
  start)
    bin=$(pg_bin)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_postgres "'$bin/initdb' -D '$dir/data' -U postgres -A trust --no-sync >/dev/null"
    as_postgres "'$bin/pg_ctl' -D '$dir/data' -l '$dir/log' -w -o \"-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir' -c fsync=off\" start >/dev/null"
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    bin=$(pg_bin)
    as_postgres "'$bin/pg_ctl' -D '$dir/data' -m immediate stop >/dev/null" || true
    ;;
esac
