#!/bin/bash
# The whole round trip with installed binaries only (run inside a clean Debian root file
# system by packaging/tests/install-debian.sh): server on SQLite, account, vault, secrets,
# machine credential, seclab-run injecting them. Fails on any mismatch.
# Usage: roundtrip.sh WORKDIR [SERVER_USER]   (binaries from PATH)
set -euo pipefail
work="$1"; server_user="${2:-}"
mkdir -p "$work"
fail() { echo "roundtrip: FAIL: $*" >&2; [[ -f "$work/server.log" ]] && tail -20 "$work/server.log" >&2; exit 1; }
for b in seclab-run seclab seclab-server; do
  command -v "$b" >/dev/null || fail "$b is not on PATH"
  "$b" --version | grep -Eq "^$b [0-9]+\.[0-9]+\.[0-9]+.* \(commit [0-9a-f]{40}" || fail "$b --version: $("$b" --version)"
done
# The server's database, run as SERVER_USER when given (the packaged user and state directory).
db="${SECLAB_ROUNDTRIP_DB:-sqlite:$work/seclab.db}"
server=(seclab-server serve --listen 127.0.0.1:0 --database "$db")
if [[ -n "$server_user" ]]; then server=(setpriv --reuid "$server_user" --regid "$server_user" --init-groups "${server[@]}"); fi
"${server[@]}" > "$work/server.log" 2>&1 &
server_pid=$!
trap 'kill -TERM $server_pid 2>/dev/null || true; wait $server_pid 2>/dev/null || true' EXIT
url=""
for _ in $(seq 1 200); do
  url="$(grep -o 'url=http://127.0.0.1:[0-9]*' "$work/server.log" | head -1 | cut -d= -f2 || true)"
  [[ -n "$url" ]] && break
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited"
  sleep 0.05
done
[[ -n "$url" ]] || fail "the server did not start"
if command -v curl >/dev/null; then curl -fsS "$url/healthz" | grep -q ok || fail "/healthz"; fi

export SECLAB_SERVER="$url" SECLAB_CONFIG_DIR="$work/config"
if [[ "${SECLAB_ROUNDTRIP_REUSE:-0}" != 1 ]]; then
  export SECLAB_PASSPHRASE="correct horse battery staple (install test)"
  seclab account create --email install@example.test --emergency-kit "$work/emergency-kit.txt" >/dev/null
  seclab vault create production >/dev/null
  printf 'postgres://app:s3cr3t@db.internal:5432/app' | seclab secret set production DATABASE_URL
  head -c 24 /dev/urandom | base64 | tr -d '\n' > "$work/api_token"
  seclab secret set production API_TOKEN < "$work/api_token"
  printf 'line one\nline two\n' | seclab secret set production TLS_KEY
  seclab machine create production --name install-test > "$work/machine.key"
  unset SECLAB_PASSPHRASE
fi

# seclab-run with the credential from a file, values checked byte for byte by the child.
export SECLAB_MACHINE_KEY_FILE="$work/machine.key" EXPECT_TOKEN="$(cat "$work/api_token")"
out="$(seclab-run --file TLS_KEY=TLS_KEY_PATH -- bash -c '
  [[ "$DATABASE_URL" == "postgres://app:s3cr3t@db.internal:5432/app" ]] || { echo "DATABASE_URL wrong"; exit 3; }
  [[ "$API_TOKEN" == "$EXPECT_TOKEN" ]] || { echo "API_TOKEN wrong"; exit 3; }
  [[ "$(cat "$TLS_KEY_PATH")" == $'"'"'line one\nline two'"'"' ]] || { echo "TLS_KEY wrong"; exit 3; }
  [[ -z "${SECLAB_MACHINE_KEY_FILE:-}" ]] || { echo "credential variable leaked"; exit 3; }
  echo child-ok')" || fail "seclab-run: $out"
[[ "$out" == child-ok ]] || fail "seclab-run child printed: $out"
# A mistyped credential: seclab-run's own refusal, the command never runs.
set +e
env -u SECLAB_MACHINE_KEY_FILE SECLAB_MACHINE_KEY="$(sed 's/A$/B/; t; s/.$/A/' "$work/machine.key")" seclab-run -- bash -c 'echo RAN' > "$work/bad.out" 2>&1
code=$?
set -e
[[ $code -ge 122 && $code -le 125 ]] || fail "a mistyped credential gave exit $code: $(cat "$work/bad.out")"
grep -q RAN "$work/bad.out" && fail "the command ran with a mistyped credential"
echo "roundtrip: ok ($url, mistyped credential → exit $code)"
