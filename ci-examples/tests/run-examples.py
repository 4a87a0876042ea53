#!/usr/bin/env python3
"""Runs ci-examples/github-actions.yml and ci-examples/gitlab-ci.yml for real,
with the GitHub Action and the GitLab component they use resolved to this tree (ci_runner.py),
against the release in dist/ (scripts/release) served over loopback HTTP, and the examples'
own seclab-run steps against a real seclab-server with a real vault (release_fixture.py).

What stands in for the CI service: its secrets and variables (the machine credential, the
server's URL), the release's SHA-256 in place of the examples' REPLACE-… placeholder, the
action's and component's `base-url` (the loopback server), the component's `install-dir` (a
scratch directory instead of /usr/local/bin) and TMPDIR (a scratch directory, to see leftovers).

Checks, for each example: with the release's checksum seclab-run is installed from the tarball
(its --version is dist/'s) and put on PATH, and the deploy step gets its secrets (fingerprints
match), with no value in its output; with a wrong checksum the install fails with "checksum
mismatch … Nothing was installed", the deploy step never runs, no seclab-run is on PATH and no
executable file is left; with the placeholder left as it is, the install refuses it.

Usage: run-examples.py [DIST_DIR]
"""
import pathlib, shutil, subprocess, sys, tempfile
import ci_runner
from release_fixture import ReleaseServer, SeclabServer, executables_under, fingerprint

root, version = ci_runner.root, ci_runner.version
dist = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else root / "dist").resolve()
placeholder = f"REPLACE-with-the-sha256-of-seclab-{version}-linux-x86_64.tar.gz"
failures = []


def check(ok, what):
    print(f"run-examples: {'ok' if ok else 'FAIL'}: {what}", file=sys.stderr)
    if not ok:
        failures.append(what)


subprocess.run([str(root / "scripts/release-location"), "check"], check=True)
for example in ("github-actions.yml", "gitlab-ci.yml"):
    check(f"sha256: {placeholder}\n" in (root / "ci-examples" / example).read_text(), f"{example} pins sha256 with the placeholder this test replaces")
# A seclab-run already on the system PATH would hide whether the install put one there.
if shutil.which("seclab-run", path="/usr/local/bin:/usr/bin:/bin"):
    sys.exit(f"run-examples: {shutil.which('seclab-run', path='/usr/local/bin:/usr/bin:/bin')} exists; remove it so the test can see what the install adds")
released_version = subprocess.run([str(dist / "seclab-run"), "--version"], capture_output=True, text=True, check=True).stdout.strip()
scratch = pathlib.Path(tempfile.mkdtemp(prefix="seclab-ci-examples."))
release = ReleaseServer(dist, version)
server = SeclabServer(dist, scratch)
values = list(server.secrets.values()) + [line for v in server.secrets.values() for line in v.splitlines() if len(line) >= 6]
expected = {name: fingerprint(value) for name, value in server.secrets.items() if name != "TLS_KEY"}


def leaks(text):
    return [v for v in values if len(v) >= 6 and v in text] + ([server.credential] if server.credential in text else [])


def github(sha256, label):
    work = scratch / f"gha-{label}"
    job = ci_runner.GitHubJob(work, secrets={"SECLAB_MACHINE_KEY": server.credential}, variables={"SECLAB_SERVER": server.url},
                              input_overrides={"base-url": release.base_url, **({"sha256": sha256} if sha256 else {})})
    return job.run(root / "ci-examples/github-actions.yml", "deploy"), job, work


def gitlab(sha256, label):
    work = scratch / f"gitlab-{label}"
    overrides = {"base-url": release.base_url, "install-dir": str(work / "bin"), **({"sha256": sha256} if sha256 else {})}
    return ci_runner.run_gitlab_job(root / "ci-examples/gitlab-ci.yml", "deploy", work,
                                    {"SECLAB_MACHINE_KEY": server.credential, "SECLAB_SERVER": server.url}, overrides), work


try:
    # --- GitHub Actions: the workflow with the action it uses ------------------------------
    steps, job, work = github(release.sha256, "good")
    check([s.name for s in steps] == ["Install seclab-run", "Deploy"] and all(s.status == 0 for s in steps),
          f"github-actions.yml: both steps pass ({[(s.name, s.status, s.stderr.strip()[-300:]) for s in steps if s.status]})")
    added = [p for p in job.github_path.read_text().splitlines() if p]
    installed = pathlib.Path(added[0]) / "seclab-run" if len(added) == 1 else None
    check(installed is not None and str(installed).startswith(str(work / "toolcache")), f"the action put one directory in the tool cache on GITHUB_PATH ({added})")
    if installed:
        got = subprocess.run([str(installed), "--version"], capture_output=True, text=True).stdout.strip()
        check(got == released_version, f"the installed seclab-run is the release's ({got})")
    if len(steps) == 2:
        deploy = steps[1]
        check("deploy: ok" in deploy.stdout, "the Deploy step ran examples/deploy.sh under the installed seclab-run")
        for name, fp in expected.items():
            check(f"sha256 {fp}" in deploy.stdout, f"the Deploy step got the vault's {name} (fingerprint {fp})")
        check("deploy: TLS_KEY       file /dev/fd/" in deploy.stdout, "TLS_KEY arrives as a file (--file TLS_KEY=TLS_KEY_PATH)")
        # The runner reads ::add-mask:: from stderr; stdout is the command's own.
        check(f"::add-mask::{server.secrets['API_TOKEN']}" in deploy.stderr, "seclab-run asks the runner to mask API_TOKEN")
        check("::add-mask::" not in deploy.stdout and not leaks(deploy.stdout), "no value and no ::add-mask:: on the Deploy step's stdout")
        others = "\n".join(line for line in deploy.stderr.splitlines() if not line.startswith("::add-mask::"))
        check(not leaks(others), "no value on stderr outside ::add-mask:: lines")

    steps, job, work = github("0" * 64, "wrong")
    text = "".join(s.stdout + s.stderr for s in steps)
    check(len(steps) == 1 and steps[0].status != 0, "a wrong sha256: the install step fails and the Deploy step never runs")
    check(f"::error::seclab-run: checksum mismatch for seclab-{version}-linux-x86_64.tar.gz" in text and "Nothing was installed." in text,
          "a wrong sha256: the step says checksum mismatch … Nothing was installed.")
    check(job.github_path.read_text() == "" and shutil.which("seclab-run", path=job.environment({})["PATH"]) is None, "a wrong sha256: nothing on PATH")
    check(executables_under(work) == [], f"a wrong sha256: no executable file left ({executables_under(work)})")
    check(not any(p.name == "seclab-run" for p in work.rglob("*")), "a wrong sha256: no seclab-run file anywhere")

    steps, job, work = github(None, "placeholder")
    check(len(steps) == 1 and steps[0].status != 0 and "input 'sha256' must be 64 lowercase hex digits" in steps[0].stdout
          and executables_under(work) == [], "the example's placeholder left in place: the install refuses it, nothing installed")

    # --- GitLab CI: the job with the component it includes ---------------------------------
    (job_result, resolved), work = gitlab(release.sha256, "good")
    check(job_result.status == 0, f"gitlab-ci.yml: the deploy job passes ({job_result.stderr.strip()[-400:]})")
    check(resolved["image"] == "debian:12-slim" and "checksum mismatch" in str(resolved.get("before_script")), "the job's before_script is the component's (extends: .seclab-run)")
    installed = work / "bin" / "seclab-run"
    check(installed.is_file() and f"{released_version}\n" in job_result.stdout, "the component installed the release's seclab-run into install-dir")
    check("deploy: ok" in job_result.stdout, "the job's script ran examples/deploy.sh under the installed seclab-run")
    for name, fp in expected.items():
        check(f"sha256 {fp}" in job_result.stdout, f"the job got the vault's {name} (fingerprint {fp})")
    check(not leaks(job_result.stdout + job_result.stderr), "no value in the job's log (stdout or stderr)")

    (job_result, _), work = gitlab("0" * 64, "wrong")
    check(job_result.status != 0 and f"seclab-run: checksum mismatch for seclab-{version}-linux-x86_64.tar.gz" in job_result.stderr
          and "Nothing was installed." in job_result.stderr, "a wrong sha256: the job fails with checksum mismatch … Nothing was installed.")
    check("deploy:" not in job_result.stdout, "a wrong sha256: the job's script never runs")
    check(not (work / "bin" / "seclab-run").exists() and executables_under(work) == [], f"a wrong sha256: nothing installed, no executable left ({executables_under(work)})")

    (job_result, _), work = gitlab(None, "placeholder")
    check(job_result.status != 0 and "input 'sha256' must be 64 lowercase hex digits" in job_result.stderr and executables_under(work) == [],
          "the example's placeholder left in place: the component refuses it, nothing installed")
finally:
    server.close()
    release.close()
    shutil.rmtree(scratch, ignore_errors=True)

if failures:
    sys.exit(f"run-examples: {len(failures)} check(s) failed")
print("run-examples: ok: github-actions.yml with the action and gitlab-ci.yml with the component, installed from dist/ over HTTP "
      "(right, wrong and placeholder checksums), deploy step against a real seclab-server", file=sys.stderr)
