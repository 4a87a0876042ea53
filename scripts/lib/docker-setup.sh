# Sourced by the container tests: a working Docker here, set up by the project itself.
#   docker_ready   installs docker.io when missing, starts dockerd in the background when no
#                  daemon answers, and imports the clean Debian 12 root file system
#                  (scripts/lib/debian-rootfs.sh) as debian:12-slim when that image is missing
#                  (no registry is reachable here; the Dockerfiles stay the standard ones).
source "$(dirname "${BASH_SOURCE[0]}")/debian-rootfs.sh"

docker_ready() {
  if ! command -v dockerd >/dev/null; then
    echo "docker: installing docker.io" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
  fi
  if ! docker info >/dev/null 2>&1; then
    echo "docker: starting dockerd (log: /var/log/seclab-dockerd.log)" >&2
    setsid nohup dockerd > /var/log/seclab-dockerd.log 2>&1 < /dev/null &
    local i
    for i in $(seq 1 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || { tail -20 /var/log/seclab-dockerd.log >&2; echo "docker: dockerd did not start" >&2; return 1; }
  fi
  if ! docker image inspect debian:12-slim >/dev/null 2>&1; then
    echo "docker: importing the debootstrap root file system as debian:12-slim" >&2
    docker import "$(rootfs_tarball)" debian:12-slim >/dev/null
  fi
}
