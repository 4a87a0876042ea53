#!/bin/sh
# HEALTHCHECK: GET /healthz on the server's own port (https when the entrypoint enabled TLS;
# -k because the certificate names the public host, not 127.0.0.1).
port="${SECLAB_LISTEN##*:}"
dir="${SECLAB_TLS_DIR:-/etc/seclab/tls}"
if [ -f "$dir/tls.crt" ] && [ -f "$dir/tls.key" ]; then scheme=https; else scheme=http; fi
exec curl -fsSk --max-time 2 -o /dev/null "$scheme://127.0.0.1:$port/healthz"
