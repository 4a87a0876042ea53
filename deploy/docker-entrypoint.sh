#!/bin/sh
# seclab-server image entrypoint: native TLS when $SECLAB_TLS_DIR holds tls.crt and tls.key,
# plain HTTP only when SECLAB_BEHIND_PROXY=1 says a TLS-terminating proxy is in front.
# Extra arguments go to `seclab-server serve`.
set -eu
dir="${SECLAB_TLS_DIR:-/etc/seclab/tls}"
if [ -f "$dir/tls.crt" ] && [ -f "$dir/tls.key" ]; then
    exec seclab-server serve --tls-cert "$dir/tls.crt" --tls-key "$dir/tls.key" "$@"
elif [ "${SECLAB_BEHIND_PROXY:-}" = 1 ]; then
    exec seclab-server serve --allow-insecure-http "$@"
else
    case "${SECLAB_LISTEN:-}" in
        127.0.0.1:*|localhost:*|\[::1\]:*) exec seclab-server serve "$@" ;;
    esac
    echo "seclab-server: error: no TLS certificate in $dir (tls.crt, tls.key)" >&2
    echo "seclab-server: hint: mount one there, or set SECLAB_BEHIND_PROXY=1 when a TLS proxy is in front" >&2
    exit 64
fi
