# Sourced by the install and container tests: a clean Debian 12 (bookworm) root file system
# with no Swift toolchain, made once with debootstrap and cached as a tarball.
#   rootfs_tarball        prints the cached tarball's path, creating it when missing
#   rootfs_fresh DIR      unpacks a fresh copy into DIR (a machine that never built seclab)
#   rootfs_mount DIR / rootfs_umount DIR   /proc, /dev and resolv.conf for apt inside a chroot
# The cache lives in $SECLAB_ROOTFS_CACHE (default /var/cache/seclab-test).

rootfs_cache="${SECLAB_ROOTFS_CACHE:-/var/cache/seclab-test}"

# The Debian mirror this machine already uses (deb822 URIs: or a one-line `deb URL`).
rootfs_mirror() {
  local url
  url="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/{print $2}' | grep -v -- '-security' | head -1)"
  [[ -n "$url" ]] || url="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1=="deb"{print $2}' | grep -v -- '-security' | head -1)"
  echo "${url:-http://deb.debian.org/debian}"
}

rootfs_tarball() {
  local tarball="$rootfs_cache/bookworm-minbase.tar" tmp
  mkdir -p "$rootfs_cache"
  # One debootstrap at a time (the install and container tests may start together).
  exec {rootfs_lock}> "$rootfs_cache/.lock"
  flock "$rootfs_lock"
  if [[ ! -s "$tarball" ]]; then
    if ! command -v debootstrap >/dev/null; then
      echo "rootfs: installing debootstrap" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    fi
    mkdir -p "$rootfs_cache"
    tmp="$(mktemp -d "$rootfs_cache/build.XXXXXX")"
    echo "rootfs: debootstrap --variant=minbase bookworm from $(rootfs_mirror) (cached in $tarball)" >&2
    debootstrap --variant=minbase bookworm "$tmp/root" "$(rootfs_mirror)" > "$tmp/debootstrap.log" 2>&1 \
      || { tail -20 "$tmp/debootstrap.log" >&2; rm -rf "$tmp"; return 1; }
    rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*_Packages 2>/dev/null || true
    tar -C "$tmp/root" -cf "$tmp/rootfs.tar" . && mv "$tmp/rootfs.tar" "$tarball"
    rm -rf "$tmp"
  fi
  flock -u "$rootfs_lock"; exec {rootfs_lock}>&-
  echo "$tarball"
}

rootfs_fresh() {
  local dir="$1" tarball
  tarball="$(rootfs_tarball)"
  mkdir -p "$dir" && tar -C "$dir" -xf "$tarball"
}

rootfs_mount() {
  local dir="$1"
  mount -t proc proc "$dir/proc"
  mount --bind /dev "$dir/dev"
  cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
}

rootfs_umount() {
  local dir="$1"
  umount -l "$dir/dev" 2>/dev/null || true
  umount -l "$dir/proc" 2>/dev/null || true
}
