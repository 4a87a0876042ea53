#!/usr/bin/env python3
"""Writes dist/RELEASE-NOTES.md and dist/seclab-VERSION.cdx.json (CycloneDX 1.5) for scripts/release.

Usage: release-notes.py VERSION COMMIT DIST [BASE_URL]   (BASE_URL: RELEASE-LOCATION's base-url)

The SBOM names every Swift package with the version Package.resolved pinned, and every Debian
package a binary links: the shared libraries it names (readelf NEEDED, resolved to a package
with dpkg-query) and the static archives linked in by scripts/lib/release-build.sh.
"""
import hashlib, json, os, re, subprocess, sys, uuid, datetime

version, commit, dist = sys.argv[1], sys.argv[2], sys.argv[3]
base_url = sys.argv[4].rstrip("/") if len(sys.argv) > 4 else None
binaries = ["seclab-run", "seclab", "seclab-server"]
epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def deb_package_of(path):
    """The Debian package owning PATH (following /usr merge symlinks), with its version."""
    for candidate in (path, os.path.realpath(path), re.sub(r"^/usr", "", path), re.sub(r"^/usr", "", os.path.realpath(path))):
        try:
            owner = run("dpkg-query", "-S", candidate).split(":")[0].strip()
        except subprocess.CalledProcessError:
            continue
        arch_owner = owner
        ver = run("dpkg-query", "-W", "-f=${Version}", arch_owner).strip()
        return owner, ver
    raise SystemExit(f"release-notes: no Debian package owns {path}")


def library_path(soname):
    for line in run("ldconfig", "-p").splitlines():
        m = re.match(r"\s*(\S+) \(libc6,x86-64.*\) => (\S+)", line)
        if m and m.group(1) == soname:
            return m.group(2)
    raise SystemExit(f"release-notes: {soname} not found by ldconfig")


def needed(path):
    return [m.group(1) for m in re.finditer(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run("readelf", "-d", path))]


def glibc_floor(path):
    found = set(re.findall(r"GLIBC_([0-9][0-9.]*)", run("objdump", "-T", path)))
    # Packed relative relocations (lld -z pack-relative-relocs, release-build.sh) need the
    # loader of glibc 2.36, which the binary says with the version GLIBC_ABI_DT_RELR.
    if "GLIBC_ABI_DT_RELR" in run("readelf", "-V", path):
        found.add("2.36")
    return max(found, key=lambda v: tuple(int(x) for x in v.split("."))) if found else "none"


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# Static archives linked into every binary (scripts/lib/release-build.sh).
libsodium_a = os.path.join(run("pkg-config", "--variable=libdir", "libsodium").strip(), "libsodium.a")
libstdcxx_a = run("gcc", "-print-file-name=libstdc++.a").strip()
libgcc_a = run("gcc", "-print-libgcc-file-name").strip()
static_debs = {deb_package_of(p) for p in (libsodium_a, libstdcxx_a, libgcc_a)}

components, dependencies, rows = [], [], []
deb_refs = {}


def deb_component(name, ver, scope_note):
    ref = f"pkg:deb/debian/{name}@{ver}?arch=amd64&distro=debian-12"
    if ref not in deb_refs:
        deb_refs[ref] = {"type": "library", "bom-ref": ref, "name": name, "version": ver, "purl": ref,
                         "properties": [{"name": "seclab:linkage", "value": scope_note}]}
    return ref


# Swift packages, as pinned.
resolved = json.load(open("Package.resolved"))
swift_refs = []
for pin in sorted(resolved.get("pins", []), key=lambda p: p["identity"]):
    location = pin["location"]
    path = re.sub(r"^https?://", "", location).removesuffix(".git")
    ver = pin["state"].get("version") or pin["state"].get("revision")
    ref = f"pkg:swift/{path}@{ver}"
    swift_refs.append(ref)
    components.append({"type": "library", "bom-ref": ref, "name": pin["identity"], "version": ver, "purl": ref,
                       "externalReferences": [{"type": "vcs", "url": location}],
                       "properties": [{"name": "seclab:git-revision", "value": pin["state"].get("revision", "")},
                                      {"name": "seclab:linkage", "value": "static (compiled in where used)"}]})

toolchain = run("swift", "--version").strip().splitlines()[0] if True else ""
for b in binaries:
    path = os.path.join(dist, b)
    libs = needed(path)
    refs = []
    for soname in libs:
        pkg, ver = deb_package_of(library_path(soname))
        refs.append(deb_component(pkg.split(":")[0], ver, "shared (NEEDED)"))
    for pkg, ver in sorted(static_debs):
        refs.append(deb_component(pkg.split(":")[0], ver, "static archive linked in"))
    floor = glibc_floor(path)
    size = os.path.getsize(path)
    ref = f"seclab-binary:{b}"
    components.append({"type": "application", "bom-ref": ref, "name": b, "version": version,
                       "hashes": [{"alg": "SHA-256", "content": sha256(path)}],
                       "properties": [{"name": "seclab:glibc-floor", "value": floor},
                                      {"name": "seclab:needed", "value": " ".join(libs)},
                                      {"name": "seclab:swift-toolchain", "value": toolchain + " (static Swift standard library)"}]})
    dependencies.append({"ref": ref, "dependsOn": sorted(set(refs)) + swift_refs})
    rows.append((b, size, libs, floor))

components.extend(sorted(deb_refs.values(), key=lambda c: c["bom-ref"]))
bom = {
    "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
    "serialNumber": "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"seclab/{version}/{commit}")),
    "metadata": {
        "timestamp": datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "component": {"type": "application", "bom-ref": "seclab", "name": "seclab", "version": version,
                      "properties": [{"name": "seclab:git-commit", "value": commit}]},
        "tools": {"components": [{"type": "application", "name": "scripts/lib/release-notes.py"}]},
    },
    "components": components,
    "dependencies": dependencies,
}
with open(os.path.join(dist, f"seclab-{version}.cdx.json"), "w") as f:
    json.dump(bom, f, indent=2, sort_keys=False)
    f.write("\n")

floor_all = max((r[3] for r in rows), key=lambda v: tuple(int(x) for x in v.split(".")))
with open(os.path.join(dist, "RELEASE-NOTES.md"), "w") as f:
    f.write(f"# seclab {version}\n\nBuilt from commit `{commit}` with {toolchain}, static Swift standard library, stripped.\n\n")
    f.write("| binary | size | runtime libraries (NEEDED) | highest GLIBC symbol |\n|---|---:|---|---|\n")
    for b, size, libs, floor in rows:
        f.write(f"| `{b}` | {size / 1048576:.1f} MiB | {', '.join(libs)} | GLIBC_{floor} |\n")
    static_list = ", ".join(sorted(p.split(":")[0] + " " + v for p, v in static_debs))
    f.write(f"\nLinked in (static): libsodium, libstdc++ and libgcc from Debian ({static_list}).\n")
    f.write(f"\nThe binaries need glibc {floor_all} or newer (see docs/install.md, \"Supported platforms\").\n")
    f.write(f"The SBOM (`seclab-{version}.cdx.json`, CycloneDX 1.5) lists every Swift package with its pinned version\n"
            "and every Debian package linked. Check downloads with `sha256sum -c SHA256SUMS --ignore-missing`.\n")
    f.write("\nReproducibility: see docs/install.md, \"Reproducible builds\".\n")
    if base_url:
        f.write(f"\nDownload: {base_url}/v{version}/seclab-{version}-linux-x86_64.tar.gz and {base_url}/v{version}/SHA256SUMS\n"
                "(the GitHub Action's and the GitLab component's default base-url; see RELEASE-LOCATION).\n")
