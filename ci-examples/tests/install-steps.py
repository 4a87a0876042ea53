#!/usr/bin/env python3
"""Runs the GitHub Action's and the GitLab component's install steps for real (issue 15 §5).

The release from scripts/release (dist/) is served over local HTTP in the layout the steps
expect (BASE/vVERSION/seclab-VERSION-linux-x86_64.tar.gz); each step's shell text is taken from
the YAML file exactly as written (inputs substituted as the runner would) and run with bash.
Checks: with the right SHA-256, seclab-run lands on PATH and prints the release's version; with
a wrong one, the step fails with a clear message and nothing is installed or put on PATH.

Usage: install-steps.py DIST_DIR
"""
import functools, hashlib, http.server, os, pathlib, re, shutil, subprocess, sys, tempfile, threading
import yaml

root = pathlib.Path(__file__).resolve().parents[2]
dist = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else root / "dist").resolve()
version = (root / "VERSION").read_text().strip()
tarball = dist / f"seclab-{version}-linux-x86_64.tar.gz"
good = hashlib.sha256(tarball.read_bytes()).hexdigest()
bad = hashlib.sha256(b"not the release").hexdigest()
failures = []


def check(ok, what):
    print(f"install-steps: {'ok' if ok else 'FAIL'}: {what}", file=sys.stderr)
    if not ok:
        failures.append(what)


# Serve BASE/vVERSION/<tarball> from a temporary directory on a loopback port.
served = pathlib.Path(tempfile.mkdtemp(prefix="seclab-release-http."))
(served / f"v{version}").mkdir()
shutil.copy(tarball, served / f"v{version}" / tarball.name)
class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


handler = functools.partial(QuietHandler, directory=str(served))
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
base_url = f"http://127.0.0.1:{server.server_address[1]}"


def github_action(sha256):
    action = yaml.safe_load((root / "ci-examples/github-action/action.yml").read_text())
    inputs = {"version": version, "sha256": sha256, "base-url": base_url}
    for name, spec in action["inputs"].items():
        check(name in inputs or "default" in spec, f"action input {name} has a value")
    step = action["runs"]["steps"][0]
    subst = lambda text: re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: inputs[m.group(1)], str(text))
    work = pathlib.Path(tempfile.mkdtemp(prefix="seclab-gha."))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(work / "home"), "RUNNER_TOOL_CACHE": str(work / "toolcache"),
           "GITHUB_PATH": str(work / "github_path"), "GITHUB_OUTPUT": str(work / "github_output")}
    (work / "home").mkdir()
    for f in ("github_path", "github_output"):
        (work / f).write_text("")
    env.update({k: subst(v) for k, v in step.get("env", {}).items()})
    run = subprocess.run(["bash", "-e", "-c", subst(step["run"])], env=env, capture_output=True, text=True)
    added = [line for line in (work / "github_path").read_text().splitlines() if line]
    return run, added, work


def gitlab_component(sha256):
    docs = list(yaml.safe_load_all((root / "ci-examples/gitlab-component/templates/seclab-run.yml").read_text()))
    spec, jobs = docs[0]["spec"]["inputs"], docs[1]
    work = pathlib.Path(tempfile.mkdtemp(prefix="seclab-gitlab."))
    inputs = {"version": version, "sha256": sha256, "base-url": base_url, "install-dir": str(work / "bin")}
    for name, s in spec.items():
        check(name in inputs or "default" in s, f"component input {name} has a value")
    job = jobs[".seclab-run"]
    subst = lambda text: re.sub(r"\$\[\[\s*inputs\.([\w-]+)\s*\]\]", lambda m: inputs[m.group(1)], str(text))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(work)}
    env.update({k: subst(v) for k, v in job.get("variables", {}).items()})
    # GitLab runs before_script and script in one shell: the script checks what is on PATH.
    script = "\n".join(subst(line) for line in job["before_script"]) + "\ncommand -v seclab-run\n"
    run = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True)
    return run, work


# GitHub Action, right checksum.
run, added, work = github_action(good)
check(run.returncode == 0, f"action installs with the right sha256 ({run.stderr.strip()[-300:]})")
check(len(added) == 1 and (pathlib.Path(added[0]) / "seclab-run").is_file(), "action adds seclab-run's directory to GITHUB_PATH")
if added:
    out = subprocess.run([str(pathlib.Path(added[0]) / "seclab-run"), "--version"], capture_output=True, text=True).stdout
    check(out.startswith(f"seclab-run {version} (commit "), f"installed seclab-run prints the release's version ({out.strip()})")
check(f"path={added[0] if added else ''}/seclab-run" in (work / "github_output").read_text(), "action sets the path output")
# GitHub Action, wrong checksum: fails, clear message, nothing on PATH, nothing installed.
run, added, work = github_action(bad)
check(run.returncode != 0, "action fails on a wrong sha256")
check("checksum mismatch" in run.stdout + run.stderr and "Nothing was installed" in run.stdout + run.stderr, "action says checksum mismatch")
check(added == [], "nothing added to GITHUB_PATH on a mismatch")
check(not any(p.name == "seclab-run" for p in work.rglob("*")), "no seclab-run file anywhere after a mismatch")
run, added, work = github_action("ABC")
check(run.returncode != 0 and "64 lowercase hex" in run.stdout, "action refuses a malformed sha256 input")

# GitLab component, right and wrong checksums.
run, work = gitlab_component(good)
check(run.returncode == 0 and run.stdout.strip().endswith(str(work / "bin" / "seclab-run")), f"component installs and puts seclab-run on PATH ({run.stderr.strip()[-300:]})")
check(f"seclab-run {version} (commit " in run.stdout, "component's seclab-run prints the release's version")
run, work = gitlab_component(bad)
check(run.returncode != 0 and "checksum mismatch" in run.stderr, "component fails on a wrong sha256 with a clear message")
check(not (work / "bin" / "seclab-run").exists() and not any(p.name == "seclab-run" for p in work.rglob("*")), "no seclab-run installed after a mismatch")

server.shutdown()
shutil.rmtree(served, ignore_errors=True)
if failures:
    sys.exit(f"install-steps: {len(failures)} check(s) failed")
print("install-steps: ok: GitHub Action and GitLab component (right, wrong and malformed checksums)", file=sys.stderr)
