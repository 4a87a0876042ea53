"""seclab's side of the benchmark: release seclab-server on loopback (SQLite or PostgreSQL),
vaults seeded with the real `seclab` CLI, machine credentials, `seclab-run -- true` time to
child (plain HTTP and TLS), and machine pulls under wrk with the credential cache warm and cold."""
import base64, hashlib, hmac, os, re, shutil, subprocess, time
from common import log, spawn, stop, peak_rss_mib, wait_for, counter_shell, wrk_script, Tool

def auth_header(credential):
    """Machine auth header from an slmk2_ (or slmk1_) credential (spec §6.2: auth_secret =
    HKDF(MK, slot_id, "auth"); §11 A1: v2 is slot ‖ vault ‖ account ‖ MK ‖ CRC32)."""
    text = credential[len("slmk2_"):]
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    slot, mk = raw[:16], (raw[48:80] if credential.startswith("slmk2_") else raw[16:48])
    prk = hmac.new(slot, mk, hashlib.sha256).digest()
    auth = hmac.new(prk, b"auth\x01", hashlib.sha256).digest()
    h = slot.hex()
    slot_text = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return f"Machine {slot_text}.{base64.urlsafe_b64encode(auth).rstrip(b'=').decode()}"

class Server:
    """seclab-server on 127.0.0.1 with a free port, its URL read from its start-up log line."""
    def __init__(self, binary, database, workdir, name, env_extra=None, tls=None):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.log_path = os.path.join(self.dir, "server.log")
        env = dict(os.environ, **(env_extra or {}))
        extra = ["--tls-cert", tls[0], "--tls-key", tls[1]] if tls else []
        self.argv = [binary, "serve", "--listen", "127.0.0.1:0", "--database", database] + extra
        self.proc = spawn(self.argv, self.log_path, env=env, cwd=self.dir)
        def url():
            m = re.search(r"url=(https?://127\.0\.0\.1:\d+)", open(self.log_path).read())
            return m and m.group(1)
        self.url = wait_for(url, "seclab-server", 60, self.proc, self.log_path)

    def peak_rss_mib(self):
        return peak_rss_mib(self.proc)

    def stop(self):
        stop(self.proc)

def seclab(bin_dir, server, config, args):
    env = {"PATH": "/usr/bin:/bin", "HOME": config, "SECLAB_SERVER": server.url, "SECLAB_CONFIG_DIR": config,
           "SECLAB_PASSPHRASE": "benchmark passphrase, not secret"}
    r = subprocess.run([os.path.join(bin_dir, "seclab")] + args, capture_output=True, env=env, timeout=1800)
    if r.returncode != 0:
        raise SystemExit(f"seclab {' '.join(args)}: {r.stderr.decode()}")
    return r.stdout.decode()

def seed(bin_dir, server, secrets):
    """One account; one vault per size filled by the CLI's dotenv import; a machine credential each."""
    config = os.path.join(server.dir, "config")
    seclab(bin_dir, server, config, ["account", "create", "--email", "bench@example.test"])
    creds, seconds = {}, {}
    for n, values in sorted(secrets.items()):
        vault = f"v{n}"
        seclab(bin_dir, server, config, ["vault", "create", vault])
        path = os.path.join(server.dir, f"{vault}.env")
        with open(path, "w") as f:
            f.write("".join(f"{k}={v}\n" for k, v in values.items()))
        t = time.time()
        seclab(bin_dir, server, config, ["secret", "import", vault, "--dotenv", path])
        seconds[n] = time.time() - t
        os.remove(path)
        log(f"  seeded {n} secrets in {seconds[n]:.1f} s")
        creds[n] = seclab(bin_dir, server, config, ["machine", "create", vault, "--name", f"bench-{n}"]).strip()
    return creds, seconds

def self_signed(directory):
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key

PHASES = ["start to connect()", "request to first response byte", "rest of the response", "last byte to execve(child)",
          "child execve to exit"]

def phases(run_bin, server, creds, runs=5):
    """Where seclab-run's time goes, from `strace -f -ttt` timestamps of its few syscalls (median of
    `runs` traced runs; strace itself slows each traced syscall down a little)."""
    if not shutil.which("strace"):
        return None
    out = {}
    for n, cred in sorted(creds.items()):
        env = {"PATH": "/usr/bin:/bin", "SECLAB_SERVER": server.url, "SECLAB_MACHINE_KEY": cred}
        samples = []
        for _ in range(runs):
            r = subprocess.run(["strace", "-f", "--seccomp-bpf", "-ttt", "-e", "trace=execve,connect,sendto,recvfrom,exit_group",
                                run_bin, "--", "/bin/true"], env=env, capture_output=True, text=True, timeout=120)
            t = {}
            for line in r.stderr.splitlines():
                m = re.match(r"(?:\[pid +\d+\] )?(\d+\.\d+) (\w+)\((.*)", line)
                if not m:
                    continue
                ts, call, rest = float(m[1]), m[2], m[3]
                if call == "execve":
                    t.setdefault("start", ts) if "seclab-run" in rest.split(",")[0] else t.setdefault("exec", ts)
                elif call == "connect" and "exec" not in t:
                    t.setdefault("connect", ts)
                elif call == "sendto" and "exec" not in t:
                    t.setdefault("send", ts)
                elif call == "recvfrom" and "exec" not in t:
                    t.setdefault("first", ts)
                    t["last"] = ts
                elif call == "exit_group":
                    t["exit"] = ts
            keys = ["start", "connect", "send", "first", "last", "exec", "exit"]
            if all(k in t for k in keys):
                samples.append([(t["connect"] - t["start"]) * 1e3, (t["first"] - t["send"]) * 1e3, (t["last"] - t["first"]) * 1e3,
                                (t["exec"] - t["last"]) * 1e3, (t["exit"] - t["exec"]) * 1e3])
        if samples:
            out[n] = {name: sorted(col)[len(col) // 2] for name, col in zip(PHASES, zip(*samples))}
    return out

def fresh_database(engine, pg_url, workdir):
    if engine == "sqlite":
        return f"sqlite:{workdir}/seclab.db"
    name = "seclab_bench_" + os.urandom(4).hex()
    subprocess.run(["psql", pg_url, "-qc", f"CREATE DATABASE {name}"], check=True)
    return re.sub(r"/[^/?]+(\?|$)", f"/{name}\\1", pg_url, count=1)

class Engine:
    """One storage engine: a database seeded once, served at the same time by three servers —
    warm (credential cache on), TLS, and cold (`SECLAB_CREDENTIAL_CACHE_SECONDS=0`)."""
    def __init__(self, engine, pg_url, cfg, secrets, workdir):
        self.engine, self.cfg = engine, cfg
        self.dir = os.path.join(workdir, engine)
        os.makedirs(self.dir, exist_ok=True)
        server_bin = os.path.join(cfg["bin"], "seclab-server")
        database = fresh_database(engine, pg_url, self.dir)
        self.res = {"engine": engine, "pulls": [], "rss_mib": {}, "ttc": {}, "ttc_tls": {}}
        self.servers = {"warm": Server(server_bin, database, self.dir, "warm")}
        self.creds, self.res["seed_seconds"] = seed(cfg["bin"], self.servers["warm"], secrets)
        self.cacert, key = self_signed(self.dir)
        self.servers["tls"] = Server(server_bin, database, self.dir, "tls", tls=(self.cacert, key))
        self.servers["cold"] = Server(server_bin, database, self.dir, "cold", {"SECLAB_CREDENTIAL_CACHE_SECONDS": "0"})

    def tools(self, n):
        """seclab-run -- true over plain HTTP and over TLS, for round_robin()."""
        out = []
        for section, server in (("ttc", self.servers["warm"]), ("ttc_tls", self.servers["tls"])):
            env = {"PATH": "/usr/bin:/bin", "SECLAB_SERVER": server.url, "SECLAB_MACHINE_KEY": self.creds[n]}
            if section == "ttc_tls":
                env["SECLAB_CA_FILE"] = self.cacert
            run_bin = self.cfg["run_bin"]
            out.append(Tool((self.engine, section), [run_bin, "--", "/bin/true"], env,
                            check=lambda counter, run_bin=run_bin: [run_bin, "--", "/bin/sh", "-c", counter_shell(counter)]))
        floor = self.cfg.get("curl_floor")
        if floor and self.engine == "sqlite":
            # The same pull by a C program that only loads libcurl, sends it and execs `true` with n
            # dummy variables: what no libcurl client could go under here (bench/floor/curl-floor.c).
            base = [floor, self.servers["warm"].url + "/v1/machine/pull", auth_header(self.creds[n]), str(n)]
            out.append(Tool(("floor_curl", None), base + ["/bin/true"], {"PATH": "/usr/bin:/bin"},
                            check=lambda counter, base=base: base + ["/bin/sh", "-c", counter_shell(counter)]))
            swift = self.cfg.get("swift_floor")
            if swift:
                # The same pull under a Swift main linked like seclab-run: the runtime's own start.
                sbase = [swift] + base[1:]
                out.append(Tool(("floor_swift", None), sbase + ["/bin/true"], {"PATH": "/usr/bin:/bin"},
                                check=lambda counter, sbase=sbase: sbase + ["/bin/sh", "-c", counter_shell(counter)]))
        return out

    def load_targets(self, n, cache):
        """(key, url, wrk script) of the machine pull of the n-item vault on the warm or cold server."""
        server = self.servers[cache]
        script = wrk_script(os.path.join(self.dir, f"pull-{n}.lua"), "POST",
                            {"Content-Type": "application/json", "Authorization": auth_header(self.creds[n])}, "{}")
        return (self.engine, cache), server.url + "/v1/machine/pull", script

    def phases(self):
        self.res["phases"] = phases(self.cfg["run_bin"], self.servers["warm"], self.creds)

    def stop(self):
        for name, server in self.servers.items():
            self.res["rss_mib"][name] = server.peak_rss_mib()
            server.stop()
        if self.engine == "sqlite":
            shutil.rmtree(self.dir, ignore_errors=True)
        return self.res
