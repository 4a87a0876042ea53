#!/bin/sh
# An example deploy step: proves it received its secrets without printing any of them.
# Run it under seclab-run; it fails if a secret is missing or the credential leaked through.
set -eu

fail() { echo "deploy: $*" >&2; exit 1; }
fingerprint() { printf '%s' "$1" | sha256sum | cut -c1-12; }

[ -n "${DATABASE_URL:-}" ] || fail "DATABASE_URL is missing"
[ -n "${API_TOKEN:-}" ] || fail "API_TOKEN is missing"
[ -z "${SECLAB_MACHINE_KEY:-}" ] || fail "the machine credential leaked into the environment"

echo "deploy: DATABASE_URL  ${#DATABASE_URL} bytes, sha256 $(fingerprint "$DATABASE_URL")…"
echo "deploy: API_TOKEN     ${#API_TOKEN} bytes, sha256 $(fingerprint "$API_TOKEN")…"
if [ -n "${TLS_KEY_PATH:-}" ]; then
  [ -r "$TLS_KEY_PATH" ] || fail "TLS_KEY_PATH ($TLS_KEY_PATH) is not readable"
  echo "deploy: TLS_KEY       file $TLS_KEY_PATH, $(wc -c < "$TLS_KEY_PATH") bytes, $(grep -c '' "$TLS_KEY_PATH") lines, sha256 $(sha256sum < "$TLS_KEY_PATH" | cut -c1-12)…"
fi
echo "deploy: ok, secrets received in memory; nothing printed"
