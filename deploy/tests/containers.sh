#!/usr/bin/env bash
# In real Docker (set up by scripts/lib/docker-setup.sh): the application image
# (ci-examples/Dockerfile, ENTRYPOINT seclab-run) and the server image (deploy/Dockerfile),
# built from dist/ (scripts/release) and run for real. Needs root.
# Usage: deploy/tests/containers.sh [DIST_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dist="$(cd "${1:-$root/dist}" && pwd)"
source "$root/scripts/lib/docker-setup.sh"
docker_ready
work="$(mktemp -d /tmp/seclab-containers.XXXXXX)"
tag="seclab-test-$$"
server_pid=""
cleanup() {
  docker rm -f "$tag-app" "$tag-srv" >/dev/null 2>&1 || true
  docker volume rm "$tag-data" >/dev/null 2>&1 || true
  docker image rm "$tag-app" "$tag-server" >/dev/null 2>&1 || true
  [[ -z "$server_pid" ]] || { kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "containers: FAIL: $*" >&2; exit 1; }
step() { echo "containers: $*" >&2; }

# The build context is the repository root with dist/ in it (.dockerignore keeps it small).
if [[ "$dist" != "$root/dist" ]]; then fail "run scripts/release first: the Dockerfiles copy dist/ from the repository root"; fi
step "docker build ci-examples/Dockerfile"
docker build -q --network host -f "$root/ci-examples/Dockerfile" -t "$tag-app" "$root" >/dev/null || fail "building ci-examples/Dockerfile"

# A real server on the host (loopback; containers use --network host) with a vault.
"$dist/seclab-server" serve --listen 127.0.0.1:0 --database "sqlite:$work/seclab.db" > "$work/server.log" 2>&1 &
server_pid=$!
url=""
for _ in $(seq 1 200); do
  url="$(grep -o 'url=http://127.0.0.1:[0-9]*' "$work/server.log" | head -1 | cut -d= -f2 || true)"; [[ -n "$url" ]] && break; sleep 0.05
done
[[ -n "$url" ]] || fail "the host server did not start"
export SECLAB_SERVER="$url" SECLAB_CONFIG_DIR="$work/config" SECLAB_PASSPHRASE="container test passphrase (test only)"
"$dist/seclab" account create --email c@example.test --emergency-kit "$work/kit.txt" >/dev/null
"$dist/seclab" vault create production >/dev/null
db_value="postgres://app:$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')@db:5432/app"
api_value="$(head -c 24 /dev/urandom | base64 | tr -d '\n/+=')"
printf '%s' "$db_value" | "$dist/seclab" secret set production DATABASE_URL
printf '%s' "$api_value" | "$dist/seclab" secret set production API_TOKEN
printf 'container-file-%s\n' "$api_value" | "$dist/seclab" secret set production TLS_KEY
# In the vault but not in ci-examples/deploy.names: the image's pin must keep it out.
printf 'unpinned-%s' "$api_value" | "$dist/seclab" secret set production UNPINNED_EXTRA
"$dist/seclab" machine create production --name container > "$work/machine.key"
"$dist/seclab" machine create production --name doomed > "$work/doomed.key"
chmod 0644 "$work/machine.key" "$work/doomed.key"   # the image runs as nobody (65534)
run_app() { docker run --network host -e SECLAB_SERVER="$url" -e SECLAB_MACHINE_KEY_FILE=/run/seclab/key "$@"; }

step "the app gets its secrets (credential from a mounted file)"
out="$(run_app --rm -v "$work/machine.key:/run/seclab/key:ro" -e EXPECT_DB="$(printf '%s' "$db_value" | sha256sum | cut -c1-12)" \
  "$tag-app" sh -c '/app/deploy.sh && [ "$(printf %s "$DATABASE_URL" | sha256sum | cut -c1-12)" = "$EXPECT_DB" ] && echo values-match')" \
  || fail "the app container failed: $out"
grep -q "deploy: ok" <<<"$out" && grep -q values-match <<<"$out" || fail "the app did not get its secrets: $out"

step "the image as built: ENTRYPOINT pinned with --only-file, default CMD runs the deploy script, unpinned names stay out"
entrypoint="$(docker image inspect -f '{{json .Config.Entrypoint}}' "$tag-app")"
[[ "$entrypoint" == '["seclab-run","--only-file","/app/seclab.names","--"]' ]] || fail "unexpected ENTRYPOINT $entrypoint"
out="$(run_app --rm -v "$work/machine.key:/run/seclab/key:ro" "$tag-app")" || fail "the default CMD failed: $out"
grep -q "deploy: ok" <<<"$out" || fail "the default CMD did not run /app/deploy.sh: $out"
out="$(run_app --rm -v "$work/machine.key:/run/seclab/key:ro" "$tag-app" sh -c 'echo "extra=${UNPINNED_EXTRA:-none}"')" || fail "$out"
[[ "$out" == "extra=none" ]] || fail "a name outside the image's names file reached the app"

step "docker stop: SIGTERM reaches the app, the container's exit code is the app's"
run_app -d --name "$tag-app" -v "$work/machine.key:/run/seclab/key:ro" "$tag-app" \
  sh -c 'trap "echo got-sigterm; exit 42" TERM; echo app-ready; while :; do sleep 0.1; done' >/dev/null
for _ in $(seq 1 100); do docker logs "$tag-app" 2>&1 | grep -q app-ready && break; sleep 0.1; done
docker logs "$tag-app" 2>&1 | grep -q app-ready || fail "the app did not start: $(docker logs "$tag-app" 2>&1)"
docker stop -t 20 "$tag-app" >/dev/null
code="$(docker inspect -f '{{.State.ExitCode}}' "$tag-app")"
[[ "$code" == 42 ]] || fail "exit code after docker stop: $code (want the app's 42)"
docker logs "$tag-app" 2>&1 | grep -q got-sigterm || fail "the app never saw SIGTERM"
docker rm "$tag-app" >/dev/null

step "--mask: seclab-run supervises as PID 1, reaps orphans, forwards docker stop's SIGTERM, the container exits 143"
# The app orphans a short-lived process (adopted by PID 1, seclab-run, which must reap it: a
# zombie's /proc entry stays until then), then waits without a TERM handler. It is not PID 1 (its
# parent is seclab-run), so SIGTERM's default action kills it, and seclab-run returns 128 + 15,
# long before docker stop would SIGKILL (137).
app='orphan=$(sh -c "sleep 0.2 >/dev/null 2>&1 & echo \$!")
for i in $(seq 1 300); do [ -e /proc/$orphan ] || break; sleep 0.1; done
if [ -e /proc/$orphan ]; then reaped=no; else reaped=yes; fi
echo "app-ready pid=$$ ppid=$PPID orphan-reaped=$reaped"; sleep 600 & wait'
run_app -d --name "$tag-app" -v "$work/machine.key:/run/seclab/key:ro" --entrypoint seclab-run "$tag-app" \
  --mask --only-file /app/seclab.names -- sh -c "$app" >/dev/null
for _ in $(seq 1 400); do docker logs "$tag-app" 2>&1 | grep -q app-ready && break; sleep 0.1; done
docker logs "$tag-app" 2>&1 | grep -q "app-ready pid=[0-9]* ppid=1 orphan-reaped=yes$" \
  || fail "the supervised app's parent is not PID 1, or its orphan was not reaped: $(docker logs "$tag-app" 2>&1)"
started=$SECONDS
docker stop -t 60 "$tag-app" >/dev/null
code="$(docker inspect -f '{{.State.ExitCode}}' "$tag-app")"
[[ "$code" == 143 ]] || fail "--mask exit code after docker stop: $code (want 143: the app died of SIGTERM)"
(( SECONDS - started < 60 )) || fail "docker stop waited for its timeout: SIGTERM was not forwarded"
docker rm "$tag-app" >/dev/null

step "a revoked and a mistyped credential stop the container with seclab-run's code; the app never starts"
"$dist/seclab" machine revoke production doomed >/dev/null 2>&1
set +e
out="$(run_app --rm -v "$work/doomed.key:/run/seclab/key:ro" "$tag-app" sh -c 'echo APP-STARTED' 2>&1)"; code=$?
set -e
[[ "$code" == 123 ]] || fail "revoked credential: exit $code (want 123): $out"
grep -q APP-STARTED <<<"$out" && fail "the app started with a revoked credential"
sed 's/A$/B/; t; s/.$/A/' "$work/machine.key" > "$work/typo.key"; chmod 0644 "$work/typo.key"
set +e
out="$(run_app --rm -v "$work/typo.key:/run/seclab/key:ro" "$tag-app" sh -c 'echo APP-STARTED' 2>&1)"; typo_code=$?
set -e
[[ "$typo_code" == 123 || "$typo_code" == 125 ]] || fail "mistyped credential: exit $typo_code (want 123 or 125): $out"
grep -q APP-STARTED <<<"$out" && fail "the app started with a mistyped credential"

step "--read-only with a --tmpfs and --files-dir"
out="$(run_app --rm --read-only --tmpfs /run/app-secrets:rw,mode=1777,size=1m -v "$work/machine.key:/run/seclab/key:ro" \
  --entrypoint seclab-run "$tag-app" --files-dir /run/app-secrets --file TLS_KEY=TLS_KEY_PATH -- \
  sh -c 'case "$TLS_KEY_PATH" in /run/app-secrets/*) ;; *) echo "wrong path $TLS_KEY_PATH"; exit 3;; esac; cat "$TLS_KEY_PATH"')" \
  || fail "--read-only + --tmpfs + --files-dir: $out"
[[ "$out" == "container-file-$api_value" ]] || fail "the file secret under --read-only was wrong: $out"

step "no secret value (nor the credential) in docker history, docker inspect or any layer"
docker history --no-trunc "$tag-app" > "$work/history.txt"
docker image inspect "$tag-app" > "$work/inspect.txt"
docker save "$tag-app" -o "$work/image.tar"
mkdir -p "$work/layers" && tar -C "$work/layers" -xf "$work/image.tar"
for layer in "$work"/layers/*/layer.tar; do tar -xOf "$layer" 2>/dev/null; done > "$work/layers.bin" || true
cred="$(tr -d '\n' < "$work/machine.key")"
for needle in "$db_value" "$api_value" "$cred"; do
  for f in "$work/history.txt" "$work/inspect.txt" "$work/layers.bin" "$work/image.tar"; do
    grep -aqF -- "$needle" "$f" && fail "a secret appears in $(basename "$f")"
  done
done

# --- the server image ----------------------------------------------------------------------
step "docker build deploy/Dockerfile"
docker build -q --network host -f "$root/deploy/Dockerfile" -t "$tag-server" "$root" >/dev/null || fail "building deploy/Dockerfile"
[[ "$(docker image inspect -f '{{.Config.User}}' "$tag-server")" == 10001:10001 ]] || fail "the server image does not run as 10001"
# No certificate and a public address: the entrypoint refuses to serve plain HTTP.
set +e; out="$(docker run --rm "$tag-server" 2>&1)"; code=$?; set -e
[[ "$code" == 64 ]] && grep -q "no TLS certificate" <<<"$out" || fail "plain HTTP on 0.0.0.0 without SECLAB_BEHIND_PROXY: exit $code: $out"
port=56150
docker volume create "$tag-data" >/dev/null
docker run -d --name "$tag-srv" --network host -v "$tag-data:/var/lib/seclab" -e SECLAB_LISTEN="127.0.0.1:$port" \
  --health-interval 1s --health-start-period 1s "$tag-server" >/dev/null
health=""
for _ in $(seq 1 100); do health="$(docker inspect -f '{{.State.Health.Status}}' "$tag-srv")"; [[ "$health" == healthy ]] && break; sleep 0.2; done
[[ "$health" == healthy ]] || fail "the server container is not healthy ($health): $(docker logs "$tag-srv" 2>&1 | tail -5)"
[[ "$(docker exec "$tag-srv" id -u)" == 10001 ]] || fail "the server process is root"
export SECLAB_SERVER="http://127.0.0.1:$port" SECLAB_CONFIG_DIR="$work/config2"
"$dist/seclab" account create --email s@example.test --emergency-kit "$work/kit2.txt" >/dev/null
"$dist/seclab" vault create prod >/dev/null
for i in $(seq 1 20); do head -c $((i * 37)) /dev/urandom | base64 -w0 > "$work/value-$i"; "$dist/seclab" secret set prod "ITEM_$i" < "$work/value-$i"; done
"$dist/seclab" machine create prod --name after-restart > "$work/srv.key"
# Every item's plaintext through the owner CLI, and the items table's raw rows (ciphertext) read
# from the volume with the sqlite3 shell.
volume_db="$(docker volume inspect -f '{{.Mountpoint}}' "$tag-data")/seclab.db"
snapshot() {
  local out="$1" i
  for i in $(seq 1 20); do "$dist/seclab" secret get prod "ITEM_$i"; echo; done > "$out.values"
  sqlite3 -readonly "$volume_db" 'SELECT * FROM items ORDER BY 1, 2' > "$out.rows"
}
snapshot "$work/before"
for i in $(seq 1 20); do cat "$work/value-$i"; echo; done > "$work/expected.values"
cmp -s "$work/expected.values" "$work/before.values" || fail "the items read back wrong before the restart"
[[ "$(wc -l < "$work/before.rows")" -ge 20 ]] || fail "the items table has fewer than 20 rows"
docker restart -t 20 "$tag-srv" >/dev/null
for _ in $(seq 1 100); do health="$(docker inspect -f '{{.State.Health.Status}}' "$tag-srv")"; [[ "$health" == healthy ]] && break; sleep 0.2; done
[[ "$health" == healthy ]] || fail "not healthy after the restart"
snapshot "$work/after"
cmp -s "$work/before.values" "$work/after.values" || fail "item values changed across a container restart"
cmp -s "$work/before.rows" "$work/after.rows" || fail "the items table's rows changed across a container restart"
SECLAB_SERVER="http://127.0.0.1:$port" SECLAB_MACHINE_KEY_FILE="$work/srv.key" "$dist/seclab-run" -- sh -c '[ -n "$ITEM_20" ]' \
  || fail "the machine credential does not work after the restart"
step "ok: app image (secrets, pinned ENTRYPOINT and default CMD, unpinned name kept out, SIGTERM → 42, --mask as PID 1 reaps orphans and forwards SIGTERM → 143, revoked → 123, mistyped → $typo_code, read-only + tmpfs, nothing in history/inspect/layers); server image (non-root, healthy, refuses plain HTTP off loopback, 20 items byte-identical across a restart)"
