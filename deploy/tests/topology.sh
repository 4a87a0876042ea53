#!/usr/bin/env bash
# The deploy/compose.yaml topology with the same processes on the host (no
# registry here for the postgres and nginx images): PostgreSQL, two seclab-server replicas
# from dist/ and nginx running the shipped deploy/nginx.conf (addresses and paths rewritten),
# terminating TLS with a throwaway CA. Proves: a loop of ≥200 seclab-run invocations through the
# proxy has zero failures while the replicas are killed (SIGKILL) and restarted in turn; a
# machine revoked through one replica is refused by the other at once.
# Usage: deploy/tests/topology.sh [DIST_DIR]   env: SECLAB_TEST_POSTGRES_URL (else a cluster
# is started with scripts/pg-test-cluster.sh), SECLAB_TOPOLOGY_RUNS (default 240).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dist="$(cd "${1:-$root/dist}" && pwd)"
runs="${SECLAB_TOPOLOGY_RUNS:-240}"
work="$(mktemp -d /tmp/seclab-topology.XXXXXX)"; chmod 0755 "$work"
pids=(); own_cluster=0; killer_pid=""; nginx_pid=""; database=""
cleanup() {
  [[ -z "$killer_pid" ]] || { kill "$killer_pid" 2>/dev/null || true; wait "$killer_pid" 2>/dev/null || true; }
  local p; for p in $(cat "$work"/replica-*.pid 2>/dev/null) ${nginx_pid}; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.3
  [[ -z "$database" ]] || psql "$admin_url" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  if ((own_cluster)); then "$root/scripts/pg-test-cluster.sh" stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "topology: FAIL: $*" >&2; for f in "$work"/replica-*.log "$work/nginx-error.log"; do [[ -f "$f" ]] && { echo "== $f" >&2; tail -5 "$f" >&2; }; done; exit 1; }
step() { echo "topology: $*" >&2; }

if ! command -v nginx >/dev/null; then
  # Why policy-rc.d: the package would start a system nginx on port 80; the test runs its own.
  policy=0; [[ -e /usr/sbin/policy-rc.d ]] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; policy=1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
  ((policy)) && rm -f /usr/sbin/policy-rc.d
fi
if [[ -z "${SECLAB_TEST_POSTGRES_URL:-}" ]]; then
  # A cluster of its own (never the default /tmp/seclab-pg another run may be using).
  export SECLAB_PG_DIR="${SECLAB_PG_DIR:-/tmp/seclab-pg-topology-$$}" SECLAB_PG_PORT="${SECLAB_PG_PORT:-55490}"
  SECLAB_TEST_POSTGRES_URL="$("$root/scripts/pg-test-cluster.sh" start)"; own_cluster=1
fi
admin_url="${SECLAB_TEST_POSTGRES_URL%%\?*}"
database="seclab_topology_$$"
psql "$admin_url" -qc "CREATE DATABASE $database" >/dev/null || fail "cannot create a database on $admin_url"
db_url="${admin_url%/*}/$database?sslmode=disable"

# Two replicas on fixed loopback ports (the task's range), plain HTTP behind the proxy.
ports=(56111 56112); proxy_port=56110
start_replica() {
  local i="$1"
  "$dist/seclab-server" serve --listen "127.0.0.1:${ports[$i]}" --database "$db_url" >> "$work/replica-$i.log" 2>&1 &
  echo $! > "$work/replica-$i.pid"
  local _; for _ in $(seq 1 200); do curl -fs "http://127.0.0.1:${ports[$i]}/healthz" >/dev/null 2>&1 && return 0; sleep 0.05; done
  return 1
}
start_replica 0 || fail "replica 1 did not start"
start_replica 1 || fail "replica 2 did not start"

# nginx with the shipped configuration, rewritten for the host.
mkdir -p "$work/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/tls/tls.key" -out "$work/tls/tls.crt" >/dev/null 2>&1
sed -e "s#seclab-1:8443#127.0.0.1:${ports[0]}#; s#seclab-2:8443#127.0.0.1:${ports[1]}#" \
    -e "s#listen 443 ssl;#listen 127.0.0.1:$proxy_port ssl;#" -e "s#/etc/nginx/tls/#$work/tls/#g" \
    -e "s#pid /tmp/nginx.pid;#pid $work/nginx.pid;#" "$root/deploy/nginx.conf" > "$work/nginx.conf"
grep -q "127.0.0.1:${ports[1]}" "$work/nginx.conf" && grep -q "listen 127.0.0.1:$proxy_port ssl" "$work/nginx.conf" || fail "rewriting deploy/nginx.conf"
nginx -e "$work/nginx-error.log" -p "$work" -c "$work/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 1 100); do curl -fs --cacert "$work/tls/tls.crt" "https://127.0.0.1:$proxy_port/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
curl -fs --cacert "$work/tls/tls.crt" "https://127.0.0.1:$proxy_port/healthz" >/dev/null || fail "nginx does not answer"

# An account, a vault, a secret and two machines, through replica 1 directly: the owner CLI
# trusts only the system's CAs (no --cacert yet), and this proxy's certificate is a throwaway.
# seclab-run goes through the proxy (SECLAB_CA_FILE).
export SECLAB_SERVER="http://127.0.0.1:${ports[0]}" SECLAB_CONFIG_DIR="$work/config"
export SECLAB_PASSPHRASE="topology test passphrase (test only)"
"$dist/seclab" account create --email t@example.test --emergency-kit "$work/kit.txt" >/dev/null || fail "account create"
"$dist/seclab" vault create prod >/dev/null
expected="$(head -c 30 /dev/urandom | base64 -w0)"
printf '%s' "$expected" | "$dist/seclab" secret set prod API_TOKEN
"$dist/seclab" machine create prod --name loop > "$work/loop.key"
"$dist/seclab" machine create prod --name doomed > "$work/doomed.key"

export SECLAB_SERVER="https://127.0.0.1:$proxy_port" SECLAB_CA_FILE="$work/tls/tls.crt"
SECLAB_MACHINE_KEY_FILE="$work/loop.key" "$dist/seclab-run" -- true || fail "seclab-run through the proxy"
step "$runs seclab-run invocations through nginx while the replicas are SIGKILLed and restarted in turn"
(
  i=0
  while :; do
    sleep 0.4
    kill -KILL "$(cat "$work/replica-$i.pid")" 2>/dev/null || true
    echo "killed replica $((i + 1))" >> "$work/kills.log"
    sleep 0.6
    start_replica "$i" || echo "restart of replica $((i + 1)) failed" >> "$work/kills.log"
    i=$((1 - i))
  done
) &
killer_pid=$!
failures=0
export EXPECT="$expected"
for n in $(seq 1 "$runs"); do
  if ! SECLAB_MACHINE_KEY_FILE="$work/loop.key" "$dist/seclab-run" -- sh -c '[ "$API_TOKEN" = "$EXPECT" ]' 2>> "$work/loop-errors.log"; then
    failures=$((failures + 1)); echo "run $n failed" >> "$work/loop-errors.log"
  fi
done
kill "$killer_pid" 2>/dev/null || true; wait "$killer_pid" 2>/dev/null || true; killer_pid=""
kills="$(grep -c killed "$work/kills.log" || true)"
step "$runs runs, $failures failures, $kills replica kills"
[[ "$kills" -ge 4 ]] || fail "only $kills replica kills happened during the loop (the loop was too fast to prove anything)"
[[ "$failures" == 0 ]] || { tail -20 "$work/loop-errors.log" >&2; fail "$failures of $runs seclab-run invocations failed"; }
grep -q "failed" "$work/kills.log" && fail "a replica did not come back: $(cat "$work/kills.log")"
for i in 0 1; do kill -0 "$(cat "$work/replica-$i.pid")" 2>/dev/null || start_replica "$i" || fail "replica $((i + 1)) is down"; done

step "a machine revoked through replica 1 is refused by replica 2 at once"
r1="http://127.0.0.1:${ports[0]}"; r2="http://127.0.0.1:${ports[1]}"
# Warm replica 2's verified-credential cache first, so the refusal cannot come from a cold cache.
SECLAB_SERVER="$r2" SECLAB_MACHINE_KEY_FILE="$work/doomed.key" "$dist/seclab-run" -- true || fail "the doomed machine could not pull before revocation"
SECLAB_SERVER="$r1" "$dist/seclab" machine revoke prod doomed >/dev/null 2>&1 || fail "revoke through replica 1"
set +e
SECLAB_SERVER="$r2" SECLAB_MACHINE_KEY_FILE="$work/doomed.key" "$dist/seclab-run" -- sh -c 'echo RAN' > "$work/revoked.out" 2>&1; code=$?
set -e
[[ "$code" == 123 ]] || fail "replica 2 after revocation through replica 1: exit $code ($(cat "$work/revoked.out"))"
grep -q '^RAN' "$work/revoked.out" && fail "the command ran after revocation"
step "pg_dump / pg_restore as docs/install.md gives them, then a server on the restored copy"
restored="${database}_restored"
pg_dump --format=custom --no-owner --file "$work/seclab.dump" "$db_url" || fail "pg_dump"
psql "$admin_url" -qc "CREATE DATABASE $restored" >/dev/null
pg_restore --no-owner --exit-on-error --dbname "${admin_url%/*}/$restored" "$work/seclab.dump" || fail "pg_restore"
"$dist/seclab-server" serve --listen 127.0.0.1:56113 --database "${admin_url%/*}/$restored?sslmode=disable" > "$work/replica-restored.log" 2>&1 &
echo $! > "$work/replica-2.pid"
for _ in $(seq 1 200); do curl -fs http://127.0.0.1:56113/healthz >/dev/null 2>&1 && break; sleep 0.05; done
SECLAB_SERVER=http://127.0.0.1:56113 SECLAB_MACHINE_KEY_FILE="$work/loop.key" "$dist/seclab-run" -- sh -c '[ "$API_TOKEN" = "$EXPECT" ]' \
  || fail "the machine credential does not pull the same value from the restored database"
set +e
SECLAB_SERVER=http://127.0.0.1:56113 SECLAB_MACHINE_KEY_FILE="$work/doomed.key" "$dist/seclab-run" -- true 2>/dev/null; code=$?
set -e
[[ "$code" == 123 ]] || fail "the revoked machine pulls from the restored database (exit $code)"
kill -TERM "$(cat "$work/replica-2.pid")"; psql "$admin_url" -qc "DROP DATABASE IF EXISTS $restored WITH (FORCE)" >/dev/null 2>&1 || true

echo "topology: ok: $runs/$runs seclab-run through nginx with $kills replica SIGKILLs, 0 failures; revocation through replica 1 refused by replica 2 at once (exit 123); pg_dump/pg_restore round trip"
