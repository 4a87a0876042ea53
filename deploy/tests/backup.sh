#!/usr/bin/env bash
# `seclab-server backup --to FILE` on a live SQLite database under a 32-way pull
# load; a new server on the copy serves every item byte-identical and the machine credential
# works; a backup by a binary older or newer in schema than the database is refused with a
# clear message; a server refuses a copy newer in schema than it knows.
# Usage: deploy/tests/backup.sh [DIST_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dist="$(cd "${1:-$root/dist}" && pwd)"
work="$(mktemp -d /tmp/seclab-backup.XXXXXX)"
pids=()
cleanup() {
  local p
  # Servers are started inside $(…), so their pids are kept in files, not in the array.
  for p in "${pids[@]}" $(cat "$work"/*.pid 2>/dev/null); do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true; rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "backup: FAIL: $*" >&2; exit 1; }
step() { echo "backup: $*" >&2; }

start_server() {  # start_server DB LOG → prints the URL
  "$dist/seclab-server" serve --listen 127.0.0.1:0 --database "sqlite:$1" > "$2" 2>&1 &
  echo $! > "$2.pid"
  local url="" _
  for _ in $(seq 1 200); do
    url="$(grep -o 'url=http://127.0.0.1:[0-9]*' "$2" | head -1 | cut -d= -f2 || true)"; [[ -n "$url" ]] && break; sleep 0.05
  done
  [[ -n "$url" ]] || { tail -5 "$2" >&2; return 1; }
  echo "$url"
}
url="$(start_server "$work/live.db" "$work/live.log")" || fail "the live server did not start"
export SECLAB_SERVER="$url" SECLAB_CONFIG_DIR="$work/config" SECLAB_PASSPHRASE="backup test passphrase (test only)"
"$dist/seclab" account create --email b@example.test --emergency-kit "$work/kit.txt" >/dev/null
"$dist/seclab" vault create prod >/dev/null
for i in $(seq 1 20); do head -c $((i * 53)) /dev/urandom | base64 -w0 > "$work/value-$i"; "$dist/seclab" secret set prod "ITEM_$i" < "$work/value-$i"; done
"$dist/seclab" machine create prod --name backup > "$work/machine.key"

step "32-way pull load on the live server while seclab-server backup runs"
: > "$work/load-failures"
for w in $(seq 1 32); do
  ( while [[ ! -e "$work/stop" ]]; do
      SECLAB_MACHINE_KEY_FILE="$work/machine.key" "$dist/seclab-run" -- sh -c '[ -n "$ITEM_20" ]' 2>> "$work/load-errors-$w" || echo "worker $w" >> "$work/load-failures"
      echo . >> "$work/load-count-$w"
    done ) &
  pids+=($!)
done
sleep 1
"$dist/seclab-server" backup --database "sqlite:$work/live.db" --to "$work/copy.db" > "$work/backup.out" 2>&1 || fail "backup under load: $(cat "$work/backup.out")"
sleep 0.5
touch "$work/stop"; sleep 1
pulls="$(cat "$work"/load-count-* | wc -l)"
[[ ! -s "$work/load-failures" ]] || { cat "$work"/load-errors-* | sort | uniq -c | sort -rn | head -5 >&2; fail "$(wc -l < "$work/load-failures") pulls failed during the backup"; }
[[ "$pulls" -ge 32 ]] || fail "only $pulls pulls ran around the backup: no load to speak of"
grep -q "backed up .* (schema version [0-9]*) to $work/copy.db" "$work/backup.out" || fail "backup output: $(cat "$work/backup.out")"
[[ -s "$work/copy.db" && ! -e "$work/copy.db-wal" ]] || fail "the copy is not a self-contained file"
[[ "$(sqlite3 "$work/copy.db" 'PRAGMA integrity_check')" == ok ]] || fail "the copy fails integrity_check"
cmp -s <(sqlite3 "$work/live.db" 'SELECT * FROM items ORDER BY 1, 2') <(sqlite3 "$work/copy.db" 'SELECT * FROM items ORDER BY 1, 2') || fail "the items rows differ"
step "$pulls pulls by 32 workers during the backup, 0 failures"

step "a new server on the copy: every item byte-identical, the machine credential works"
cp "$work/copy.db" "$work/restored.db"
url2="$(start_server "$work/restored.db" "$work/restored.log")" || fail "a server on the copy did not start"
for i in $(seq 1 20); do
  SECLAB_SERVER="$url2" "$dist/seclab" secret get prod "ITEM_$i" > "$work/got-$i" || fail "secret get ITEM_$i from the copy"
  cmp -s "$work/got-$i" "$work/value-$i" || fail "ITEM_$i differs after restore"
done
SECLAB_SERVER="$url2" SECLAB_MACHINE_KEY_FILE="$work/machine.key" "$dist/seclab-run" -- sh -c '[ -n "$ITEM_1" ]' || fail "the machine credential on the copy"

step "refusals: older and newer schema, existing target, PostgreSQL, missing database"
expect_refusal() {  # expect_refusal WHAT PATTERN ARGS...
  local what="$1" pattern="$2"; shift 2
  set +e; "$dist/seclab-server" backup "$@" > "$work/refusal.out" 2>&1; local code=$?; set -e
  [[ $code -ne 0 ]] || fail "$what: backup succeeded"
  grep -q -- "$pattern" "$work/refusal.out" || fail "$what: message was: $(cat "$work/refusal.out")"
}
cp "$work/copy.db" "$work/newer.db"; sqlite3 "$work/newer.db" "INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)"
expect_refusal "newer schema" "schema version 9999, newer than this seclab-server" --database "sqlite:$work/newer.db" --to "$work/x1.db"
cp "$work/copy.db" "$work/older.db"; sqlite3 "$work/older.db" "DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)"
expect_refusal "older schema" "older than this seclab-server" --database "sqlite:$work/older.db" --to "$work/x2.db"
[[ ! -e "$work/x1.db" && ! -e "$work/x2.db" ]] || fail "a refused backup left a file"
expect_refusal "existing target" "exists already" --database "sqlite:$work/restored.db" --to "$work/copy.db"
expect_refusal "PostgreSQL" "pg_dump" --database "postgres://u@127.0.0.1:1/db" --to "$work/x3.db"
expect_refusal "missing database" "no database file" --database "sqlite:$work/nothing.db" --to "$work/x4.db"
[[ ! -e "$work/nothing.db" ]] || fail "backup created the missing database"
set +e; "$dist/seclab-server" serve --listen 127.0.0.1:0 --database "sqlite:$work/newer.db" > "$work/newer.log" 2>&1; code=$?; set -e
[[ $code -ne 0 ]] && grep -q "newer than this server knows" "$work/newer.log" || fail "a server started on a copy newer in schema (exit $code)"
echo "backup: ok: backup under a 32-way load ($pulls pulls, 0 failures), 20 items byte-identical on the copy, credential works, 6 refusals" >&2
