#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the server tests.
#
#   scripts/pg-test-cluster.sh start   install postgresql if missing, init and start the cluster, print its URL
#   scripts/pg-test-cluster.sh url     print the URL (for SECLAB_TEST_POSTGRES_URL)
#   scripts/pg-test-cluster.sh stop    stop the cluster and delete its data
#
# The cluster runs as the `postgres` user (initdb and postgres refuse root), with its data
# and socket directories under $SECLAB_PG_DIR (default /tmp/seclab-pg), on loopback port
# $SECLAB_PG_PORT (default 55432), trust authentication on loopback only.
set -euo pipefail

dir="${SECLAB_PG_DIR:-/tmp/seclab-pg}"
port="${SECLAB_PG_PORT:-55432}"
database="seclab_test"
url="postgres://postgres@127.0.0.1:${port}/${database}?sslmode=disable"

find_bin() {
    local bin
    bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
    [ -n "$bin" ] && [ -x "$bin/initdb" ] && echo "$bin"
}

as_postgres() {
    if [ "$(id -u)" = 0 ]; then
        su postgres -s /bin/sh -c "$*"
    else
        sh -c "$*"
    fi
}

start() {
    local bin
    bin="$(find_bin || true)"
    if [ -z "$bin" ]; then
        echo "pg-test-cluster: installing postgresql" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq postgresql >&2
        bin="$(find_bin)"
    fi
    if [ -f "$dir/data/postmaster.pid" ] && as_postgres "'$bin/pg_ctl' -D '$dir/data' status" >/dev/null 2>&1; then
        echo "$url"
        return
    fi
    rm -rf "$dir"
    mkdir -p "$dir/data" "$dir/socket"
    if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$dir"; fi
    as_postgres "'$bin/initdb' -D '$dir/data' -U postgres --auth=trust --no-sync -E UTF8" >"$dir/initdb.log" 2>&1
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/socket'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF
    cat >"$dir/data/pg_hba.conf" <<HBA
local all all trust
host  all all 127.0.0.1/32 trust
HBA
    as_postgres "'$bin/pg_ctl' -D '$dir/data' -l '$dir/postgres.log' -w -t 30 start" >&2
    as_postgres "'$bin/psql' -h 127.0.0.1 -p $port -U postgres -d postgres -qc 'CREATE DATABASE $database'" >&2
    echo "$url"
}

stop() {
    local bin
    bin="$(find_bin || true)"
    if [ -n "$bin" ] && [ -d "$dir/data" ]; then
        as_postgres "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop" >&2 || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) echo "$url" ;;
    *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
