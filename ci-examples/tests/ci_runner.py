"""Runs a GitHub Actions job and a GitLab CI job from ci-examples/ on this machine, the way their
runners would, for run-examples.py.

What a runner would fetch from elsewhere is resolved to this tree, and only when the example
names the place RELEASE-LOCATION names, at this release's VERSION:
  uses: GITHUB-REPOSITORY/ci-examples/github-action@vVERSION  → ci-examples/github-action/action.yml
  component: GITLAB-COMPONENT-PROJECT/seclab-run@VERSION        → ci-examples/gitlab-component/templates/seclab-run.yml
  uses: actions/checkout@…                                      → nothing: the job runs in this checkout
Anything else the harness cannot run is an error, never skipped silently.
"""
import os, pathlib, re, subprocess, yaml

root = pathlib.Path(__file__).resolve().parents[2]
version = (root / "VERSION").read_text().strip()


def location(key):
    return subprocess.run([str(root / "scripts/release-location"), "get", key], check=True, capture_output=True, text=True).stdout.strip()


class Step:
    """One step's outcome: what ran, its exit status and both streams."""
    def __init__(self, name, status, stdout, stderr):
        self.name, self.status, self.stdout, self.stderr = name, status, stdout, stderr


def evaluate(text, context):
    """GitHub `${{ a.b.c }}` expressions that are plain look-ups in CONTEXT; anything else fails."""
    def look(match):
        value = context
        for part in match.group(1).strip().split("."):
            if not isinstance(value, dict) or part not in value:
                raise SystemExit(f"ci_runner: cannot evaluate ${{{{ {match.group(1).strip()} }}}}")
            value = value[part]
        return str(value)
    return re.sub(r"\$\{\{(.*?)\}\}", look, str(text))


class GitHubJob:
    """A GitHub Actions job on this machine: $GITHUB_PATH, $GITHUB_OUTPUT and the shells as the runner uses them."""

    def __init__(self, work, secrets, variables, input_overrides):
        self.work, self.overrides = work, input_overrides
        self.context = {"secrets": secrets, "vars": variables}
        for d in ("home", "toolcache", "tmp"):
            (work / d).mkdir(parents=True, exist_ok=True)
        self.github_path = work / "github_path"
        self.github_path.write_text("")

    def environment(self, extra):
        added = [line for line in self.github_path.read_text().splitlines() if line]
        env = {"HOME": str(self.work / "home"), "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_PATH": str(self.github_path),
               "GITHUB_WORKSPACE": str(root), "RUNNER_TOOL_CACHE": str(self.work / "toolcache"), "RUNNER_TEMP": str(self.work / "tmp"),
               # TMPDIR: so the test can see that a failed install leaves nothing behind.
               "TMPDIR": str(self.work / "tmp"), "PATH": ":".join(list(reversed(added)) + ["/usr/local/bin", "/usr/bin", "/bin"])}
        env.update(extra)
        return env

    def shell(self, name, script, env, shell):
        """`run:` as the runner does: the script in a file, `bash -e {0}` by default, `bash --noprofile --norc -eo pipefail {0}` for `shell: bash`."""
        path = self.work / "tmp" / f"step-{abs(hash((name, script)))}.sh"
        path.write_text(script)
        argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)] if shell == "bash" else ["bash", "-e", str(path)]
        output = self.work / "github_output"
        output.write_text("")
        run = subprocess.run(argv, cwd=root, env=self.environment({**env, "GITHUB_OUTPUT": str(output)}), capture_output=True, text=True)
        path.unlink()
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        return Step(name, run.returncode, run.stdout, run.stderr), outputs

    def action(self, name, uses, given):
        expected = f"{location('github-repository')}/ci-examples/github-action@v{version}"
        if uses != expected:
            raise SystemExit(f"ci_runner: step '{name}' uses {uses}; RELEASE-LOCATION and VERSION say {expected}")
        action = yaml.safe_load((root / "ci-examples/github-action/action.yml").read_text())
        inputs = {k: str(spec["default"]) for k, spec in action["inputs"].items() if "default" in spec}
        inputs.update({k: evaluate(v, self.context) for k, v in given.items()})
        inputs.update(self.overrides)
        unknown = set(inputs) - set(action["inputs"])
        missing = [k for k, spec in action["inputs"].items() if spec.get("required") and k not in inputs]
        if unknown or missing:
            raise SystemExit(f"ci_runner: step '{name}': unknown inputs {sorted(unknown)}, missing required {missing}")
        context = {**self.context, "inputs": inputs, "steps": {}}
        stdout = stderr = ""
        for i, step in enumerate(action["runs"]["steps"]):
            if "run" not in step or step.get("shell") != "bash":
                raise SystemExit(f"ci_runner: the action's step {i} is not a `shell: bash` run step")
            env = {k: evaluate(v, context) for k, v in step.get("env", {}).items()}
            result, outputs = self.shell(f"{name} / {step.get('id', i)}", evaluate(step["run"], context), env, "bash")
            context["steps"][step.get("id", str(i))] = {"outputs": outputs}
            stdout, stderr = stdout + result.stdout, stderr + result.stderr
            if result.status != 0:
                return Step(name, result.status, stdout, stderr)
        return Step(name, 0, stdout, stderr)

    def run(self, workflow, job):
        """Every step of JOB in order; stops at the first failure, as the runner does."""
        results = []
        for i, step in enumerate(yaml.safe_load(workflow.read_text())["jobs"][job]["steps"]):
            name = step.get("name", step.get("uses", f"step {i}"))
            if "uses" in step and step["uses"].startswith("actions/checkout@"):
                continue
            if "uses" in step:
                result = self.action(name, step["uses"], step.get("with", {}))
            elif "run" in step:
                env = {k: evaluate(v, self.context) for k, v in step.get("env", {}).items()}
                result, _ = self.shell(name, evaluate(step["run"], self.context), env, step.get("shell"))
            else:
                raise SystemExit(f"ci_runner: step '{name}' is neither `uses:` nor `run:`")
            results.append(result)
            if result.status != 0:
                break
        return results


def merge(base, over):
    """GitLab's `extends:` merge: mappings merge key by key, anything else is replaced."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def interpolate(value, inputs):
    if isinstance(value, dict):
        return {k: interpolate(v, inputs) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, inputs) for v in value]
    if isinstance(value, str):
        return re.sub(r"\$\[\[\s*inputs\.([\w-]+)\s*\]\]", lambda m: inputs[m.group(1)], value)
    return value


def gitlab_job(pipeline, job, input_overrides):
    """JOB of PIPELINE with its component included (inputs interpolated) and `extends:` resolved."""
    config = yaml.safe_load(pipeline.read_text())
    jobs = {}
    for entry in config.pop("include", []):
        expected = f"{location('gitlab-component-project')}/seclab-run@{version}"
        if entry.get("component") != expected:
            raise SystemExit(f"ci_runner: include {entry}; RELEASE-LOCATION and VERSION say component: {expected}")
        text = (root / "ci-examples/gitlab-component/templates/seclab-run.yml").read_text()
        header, body = text.split("\n---\n", 1)
        spec = yaml.safe_load(header)["spec"]["inputs"]
        inputs = {k: str(s["default"]) for k, s in spec.items() if "default" in s}
        inputs.update({k: str(v) for k, v in entry.get("inputs", {}).items()})
        inputs.update(input_overrides)
        if set(inputs) != set(spec):
            raise SystemExit(f"ci_runner: component inputs {sorted(inputs)} do not match its spec {sorted(spec)}")
        # GitLab interpolates $[[ inputs.X ]] in the parsed values (string inputs stay strings).
        jobs.update(interpolate(yaml.safe_load(body), inputs))
    jobs.update(config)
    resolved = jobs[job]
    while "extends" in resolved:
        parents = resolved.pop("extends")
        base = {}
        for parent in parents if isinstance(parents, list) else [parents]:
            base = merge(base, jobs[parent])
        resolved = merge(base, resolved)
    return resolved


def run_gitlab_job(pipeline, job, work, variables, input_overrides):
    """before_script and script in one bash, as GitLab's shell executor runs them."""
    resolved = gitlab_job(pipeline, job, input_overrides)
    flat = lambda items: [line for item in items for line in (item if isinstance(item, list) else [item])]
    script = "set -eo pipefail\n" + "\n".join(flat(resolved.get("before_script", [])) + flat(resolved["script"])) + "\n"
    (work / "tmp").mkdir(parents=True, exist_ok=True)
    env = {"HOME": str(work), "TMPDIR": str(work / "tmp"), "GITLAB_CI": "true", "CI": "true", "PATH": "/usr/local/bin:/usr/bin:/bin"}
    env.update({k: str(v) for k, v in resolved.get("variables", {}).items()})
    env.update(variables)
    run = subprocess.run(["bash", "-c", script], cwd=root, env=env, capture_output=True, text=True)
    return Step(job, run.returncode, run.stdout, run.stderr), resolved
