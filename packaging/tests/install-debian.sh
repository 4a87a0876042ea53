#!/usr/bin/env bash
# Proof on a machine that never built seclab. In a fresh Debian 12 root file
# system (debootstrap, cached), installs the .debs from dist/ with `apt-get install ./…deb`
# (dependencies from the Debian mirror) and runs the round trip with the installed binaries;
# upgrades the packages and checks the database and an edited conffile survive; checks the
# systemd unit with `systemd-analyze verify`; then the same round trip from the tarball
# unpacked into another fresh root file system. Needs root (chroot, mount).
# Usage: packaging/tests/install-debian.sh DIST_DIR   (scripts/release's output)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dist="$(cd "${1:-$root/dist}" && pwd)"
source "$root/scripts/lib/debian-rootfs.sh"
version="$(tr -d ' \n' < "$root/VERSION")"; deb_version="${version//-/\~}"
work="$(mktemp -d /tmp/seclab-install-test.XXXXXX)"
mounted=()
cleanup() {
  local d; for d in "${mounted[@]}"; do rootfs_umount "$d"; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "install-debian: FAIL: $*" >&2; exit 1; }
in_root() { local dir="$1"; shift; chroot "$dir" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

# --- the .debs -----------------------------------------------------------------------------
deb_root="$work/debs-root"
rootfs_fresh "$deb_root"; rootfs_mount "$deb_root"; mounted+=("$deb_root")
in_root "$deb_root" sh -c 'command -v swift || command -v swiftc' && fail "the clean root file system has a Swift toolchain"
mkdir -p "$deb_root/tmp/debs" && cp "$dist"/*_"$deb_version"_amd64.deb "$deb_root/tmp/debs/"
cp "$root/packaging/tests/roundtrip.sh" "$deb_root/usr/local/bin/roundtrip.sh"
in_root "$deb_root" apt-get update -qq
in_root "$deb_root" apt-get install -y -qq --no-install-recommends \
  ./tmp/debs/seclab-run_"$deb_version"_amd64.deb ./tmp/debs/seclab_"$deb_version"_amd64.deb ./tmp/debs/seclab-server_"$deb_version"_amd64.deb \
  > "$work/apt.log" 2>&1 || { tail -30 "$work/apt.log" >&2; fail "apt-get install ./…deb"; }
(cd "$deb_root/tmp" && true)
# Installed binaries only: no Swift runtime, no build tree, libsodium not installed at all.
in_root "$deb_root" dpkg-query -W -f='${Status}' libsodium23 2>/dev/null | grep -q "install ok" && fail "libsodium23 was pulled in (it should be linked in)"
in_root "$deb_root" getent passwd seclab | grep -q '/var/lib/seclab' || fail "no seclab system user"
[[ "$(in_root "$deb_root" stat -c '%U:%G %a' /var/lib/seclab)" == "seclab:seclab 750" ]] || fail "/var/lib/seclab owner/mode: $(in_root "$deb_root" stat -c '%U:%G %a' /var/lib/seclab)"
[[ "$(in_root "$deb_root" stat -c '%U:%G %a' /etc/seclab/server.env)" == "root:seclab 640" ]] || fail "server.env owner/mode"
in_root "$deb_root" man -w seclab-run >/dev/null 2>&1 || [[ -f "$deb_root/usr/share/man/man1/seclab-run.1.gz" ]] || fail "no manual page"
# The server as the unit runs it: the seclab user, settings from /etc/seclab/server.env, the
# database in the state directory (the unit's port is replaced by 0: a shared test machine).
in_root "$deb_root" bash -c 'set -a; . /etc/seclab/server.env; set +a
  SECLAB_ROUNDTRIP_DB="$SECLAB_DATABASE" roundtrip.sh /root/rt seclab' || fail "round trip with the .debs"
[[ -s "$deb_root/var/lib/seclab/seclab.db" ]] || fail "the database is not in /var/lib/seclab"
[[ "$(stat -c %U "$deb_root/var/lib/seclab/seclab.db")" == seclab || "$(in_root "$deb_root" stat -c %U /var/lib/seclab/seclab.db)" == seclab ]] || fail "the database is not owned by seclab"

# systemd-analyze verify on the installed unit, with systemd installed into this root file
# system (after seclab-server, so the package is proven not to need it).
in_root "$deb_root" apt-get install -y -qq --no-install-recommends systemd > "$work/apt-systemd.log" 2>&1 || { tail -20 "$work/apt-systemd.log" >&2; fail "apt-get install systemd"; }
in_root "$deb_root" systemd-analyze verify /lib/systemd/system/seclab-server.service > "$work/verify.log" 2>&1 \
  || { cat "$work/verify.log" >&2; fail "systemd-analyze verify seclab-server.service"; }
if grep -q 'seclab-server' "$work/verify.log"; then cat "$work/verify.log" >&2; fail "systemd-analyze verify warned about seclab-server.service"; fi
in_root "$deb_root" systemd-analyze security --offline=yes /lib/systemd/system/seclab-server.service > "$work/security.log" 2>&1 || true
grep -o 'Overall exposure level.*' "$work/security.log" >&2 || true

# Upgrade: a newer package version over the running state keeps the database and an edited conffile.
echo "SECLAB_LOG_LEVEL=notice # edited by the install test" >> "$deb_root/etc/seclab/server.env"
stage="$work/stage"; mkdir -p "$stage/bin" "$stage/completions"/{bash,zsh,fish} "$stage/docs"
tar -C "$work" -xzf "$dist/seclab-$version-linux-x86_64.tar.gz" && stage="$work/seclab-$version"
SECLAB_DEBS_LINTIAN=0 "$root/packaging/build-debs" "$stage" "$work/upgrade" "$deb_version+upgrade1" 2> "$work/build-debs.log" || { cat "$work/build-debs.log" >&2; fail "building the upgrade packages"; }
cp "$work/upgrade"/*.deb "$deb_root/tmp/debs/"
in_root "$deb_root" apt-get install -y -qq --no-install-recommends \
  ./tmp/debs/seclab-run_"$deb_version+upgrade1"_amd64.deb ./tmp/debs/seclab_"$deb_version+upgrade1"_amd64.deb ./tmp/debs/seclab-server_"$deb_version+upgrade1"_amd64.deb \
  > "$work/apt2.log" 2>&1 || { tail -30 "$work/apt2.log" >&2; fail "upgrade with apt-get install"; }
[[ "$(in_root "$deb_root" dpkg-query -W -f='${Version}' seclab-server)" == "$deb_version+upgrade1" ]] || fail "the upgrade did not install"
grep -q "edited by the install test" "$deb_root/etc/seclab/server.env" || fail "the upgrade replaced the edited conffile"
in_root "$deb_root" bash -c 'set -a; . /etc/seclab/server.env; set +a
  SECLAB_ROUNDTRIP_REUSE=1 SECLAB_ROUNDTRIP_DB="$SECLAB_DATABASE" roundtrip.sh /root/rt seclab' || fail "the old items after the upgrade"
# Removal keeps the database (and so does purge: it is the only copy of every vault).
in_root "$deb_root" apt-get purge -y -qq seclab-server > "$work/apt3.log" 2>&1 || { tail -20 "$work/apt3.log" >&2; fail "purge"; }
[[ -s "$deb_root/var/lib/seclab/seclab.db" ]] || fail "purging seclab-server deleted the database"
echo "install-debian: .debs ok (install, round trip as the seclab user, systemd-analyze verify, upgrade keeps database and conffile, purge keeps database)" >&2

# --- the tarball ---------------------------------------------------------------------------
tar_root="$work/tar-root"
rootfs_fresh "$tar_root"; rootfs_mount "$tar_root"; mounted+=("$tar_root")
cp "$dist/seclab-$version-linux-x86_64.tar.gz" "$dist/SHA256SUMS" "$tar_root/tmp/"
cp "$root/packaging/tests/roundtrip.sh" "$tar_root/usr/local/bin/roundtrip.sh"
in_root "$tar_root" bash -c 'cd /tmp && sha256sum -c --ignore-missing SHA256SUMS' > /dev/null || fail "the tarball's checksum"
in_root "$tar_root" apt-get update -qq
# The documented runtime dependencies of the tarball (docs/install.md): libcurl4 (brings libssl3).
in_root "$tar_root" apt-get install -y -qq --no-install-recommends libcurl4 > "$work/apt4.log" 2>&1 || { tail -20 "$work/apt4.log" >&2; fail "apt-get install libcurl4"; }
in_root "$tar_root" tar -C /opt -xzf "/tmp/seclab-$version-linux-x86_64.tar.gz"
in_root "$tar_root" bash -c "PATH=/opt/seclab-$version/bin:\$PATH roundtrip.sh /root/rt" || fail "round trip with the tarball"
echo "install-debian: tarball ok (checksum, libcurl4 only, round trip)" >&2
