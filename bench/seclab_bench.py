"""Drives seclab's benchmarks: real release binaries on loopback, timings with
time.perf_counter_ns, load with wrk. Prints a Markdown report on stdout."""
import argparse, base64, hashlib, hmac, json, os, platform, re, shutil, signal, statistics, subprocess, sys, tempfile, time

def log(*a): print(*a, file=sys.stderr, flush=True)

def b64u_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

def auth_header(credential):
    """Machine auth header from a slmk1_ credential (spec §6.2: auth_secret = HKDF(MK, slot_id, "auth"))."""
    raw = b64u_decode(credential[len("slmk1_"):])
    slot, mk = raw[:16], raw[16:48]
    prk = hmac.new(slot, mk, hashlib.sha256).digest()
    auth = hmac.new(prk, b"auth\x01", hashlib.sha256).digest()
    h = slot.hex()
    slot_text = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return f"Machine {slot_text}.{base64.urlsafe_b64encode(auth).rstrip(b'=').decode()}"

class Server:
    def __init__(self, binary, database, env_extra=None, tls=None):
        self.dir = tempfile.mkdtemp(prefix="seclab-bench-")
        self.log_path = os.path.join(self.dir, "server.log")
        db = database
        env = dict(os.environ, **(env_extra or {}))
        extra = ["--tls-cert", tls[0], "--tls-key", tls[1]] if tls else []
        self.proc = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--database", db] + extra,
                                     stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT, env=env)
        for _ in range(400):
            m = re.search(r"url=(https?://127\.0\.0\.1:\d+)", open(self.log_path).read())
            if m: self.url = m.group(1); return
            if self.proc.poll() is not None: raise SystemExit(open(self.log_path).read())
            time.sleep(0.05)
        raise SystemExit("server did not start")

    def peak_rss_mib(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmHWM:"): return int(line.split()[1]) / 1024
        return 0

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try: self.proc.wait(20)
        except subprocess.TimeoutExpired: self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

def seclab(bin_dir, server, config, args, stdin=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": config, "SECLAB_SERVER": server.url, "SECLAB_CONFIG_DIR": config,
           "SECLAB_PASSPHRASE": "benchmark passphrase, not secret"}
    r = subprocess.run([os.path.join(bin_dir, "seclab")] + args, input=stdin, capture_output=True, env=env)
    if r.returncode != 0: raise SystemExit(f"seclab {' '.join(args)}: {r.stderr.decode()}")
    return r.stdout.decode()

def seed(bin_dir, server, sizes):
    """One account; a vault per size filled by dotenv import (values: 40 random bytes, base64)."""
    config = os.path.join(server.dir, "config")
    seclab(bin_dir, server, config, ["account", "create", "--email", "bench@example.test"])
    creds = {}
    for n in sizes:
        vault = f"v{n}"
        seclab(bin_dir, server, config, ["vault", "create", vault])
        dotenv = "".join(f"SECRET_{i:05d}={base64.b64encode(os.urandom(40)).decode()}\n" for i in range(n))
        path = os.path.join(server.dir, f"{vault}.env")
        open(path, "w").write(dotenv)
        t = time.time()
        seclab(bin_dir, server, config, ["secret", "import", vault, "--dotenv", path])
        os.remove(path)
        log(f"  seeded {n} secrets in {time.time() - t:.1f} s")
        creds[n] = seclab(bin_dir, server, config, ["machine", "create", vault, "--name", f"bench-{n}"]).strip()
    return creds

def time_runs(argv, env, runs, warmup=3):
    for _ in range(warmup): subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    samples = []
    for _ in range(runs):
        t = time.perf_counter_ns()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        samples.append((time.perf_counter_ns() - t) / 1e6)
    return statistics.median(samples), min(samples), max(samples)

def self_signed(directory):
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key

def time_to_child(run_bin, server, creds, runs, cacert=None):
    rows = []
    for n, cred in sorted(creds.items()):
        env = {"PATH": "/usr/bin:/bin", "SECLAB_SERVER": server.url, "SECLAB_MACHINE_KEY": cred}
        if cacert: env["SECLAB_CA_FILE"] = cacert
        med, lo, hi = time_runs([run_bin, "--", "/bin/true"], env, runs)
        # The floor: exec'ing `true` with the same variables, no fetch and no decryption.
        floor_env = {"PATH": "/usr/bin:/bin", **{f"SECRET_{i:05d}": base64.b64encode(os.urandom(40)).decode() for i in range(n)}}
        fmed, flo, fhi = time_runs(["/usr/bin/env", "-i"] + [f"{k}={v}" for k, v in floor_env.items()] + ["/bin/true"], {}, runs)
        rows.append((n, med, lo, hi, fmed))
        log(f"  time to child, {n} secrets: {med:.1f} ms (floor {fmed:.1f} ms)")
    return rows

WRK_LUA = """wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "%s"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%.3f %%.3f %%d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""

def wrk(server, cred, connections, seconds, directory):
    script = os.path.join(directory, "pull.lua")
    open(script, "w").write(WRK_LUA % auth_header(cred))
    r = subprocess.run(["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{seconds}s", "-s", script,
                        server.url + "/v1/machine/pull"], capture_output=True, text=True)
    m = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)", r.stdout)
    if not m: raise SystemExit("wrk: " + r.stdout + r.stderr)
    requests, duration_us, p50, p99, errors = int(m[1]), int(m[2]), float(m[3]), float(m[4]), int(m[5])
    return requests / (duration_us / 1e6), p50, p99, errors

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--postgres", default="")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    seconds, runs = (3, 10) if a.quick else (10, 20)
    run_bin = "dist/seclab-run" if os.path.exists("dist/seclab-run") else os.path.join(a.bin, "seclab-run")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))) / 1024 / 1024
    print(f"# seclab benchmarks, {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}\n")
    print(f"- command: `bench/seclab-bench{' --quick' if a.quick else ''}` (release builds; seclab-run: `{run_bin}`)")
    print(f"- machine: {os.cpu_count()} cores, {mem:.0f} GiB, {cpu}; kernel {platform.release()}")
    print(f"- everything on loopback on the same machine: the load generator (wrk) shares the 2 cores with the server\n")

    engines = [("SQLite", None)] + ([("PostgreSQL", a.postgres)] if a.postgres else [])
    for engine, url in engines:
        log(f"== {engine}")
        workdir = tempfile.mkdtemp(prefix="seclab-bench-db-")
        database = url or f"sqlite:{workdir}/seclab.db"  # shared by the warm and the cold server
        if url:  # a fresh database per engine run
            name = "seclab_bench_" + os.urandom(4).hex()
            subprocess.run(["psql", url, "-qc", f"CREATE DATABASE {name}"], check=True)
            database = re.sub(r"/[^/?]+(\?|$)", f"/{name}\\1", url, count=1)
        sizes = [1, 100, 1000] + ([] if a.quick else [10000])
        server = Server(os.path.join(a.bin, "seclab-server"), database)
        try:
            creds = seed(a.bin, server, sizes)
            print(f"## {engine}: time to child (`seclab-run -- true`, plain HTTP on loopback)\n")
            print("| secrets | median ms | min ms | max ms | floor: `env -i VARS… true`, median ms |\n|---:|---:|---:|---:|---:|")
            for n, med, lo, hi, fmed in time_to_child(run_bin, server, creds, runs):
                print(f"| {n:,} | {med:.1f} | {lo:.1f} | {hi:.1f} | {fmed:.1f} |")
            print(f"\n## {engine}: machine pulls (`POST /v1/machine/pull`, all items), wrk {seconds} s each\n")
            print("| items | cache | connections | requests/s | p50 ms | p99 ms | errors |\n|---:|---|---:|---:|---:|---:|---:|")
            for n in [100, 1000]:
                for conns in [1, 8, 32]:
                    rps, p50, p99, errors = wrk(server, creds[n], conns, seconds, server.dir)
                    print(f"| {n:,} | warm | {conns} | {rps:,.0f} | {p50:.1f} | {p99:.1f} | {errors} |")
                    log(f"  pulls {n} items warm c={conns}: {rps:.0f}/s p99 {p99:.1f} ms")
            rss = server.peak_rss_mib()
        finally:
            server.stop()
        # The same over TLS (self-signed certificate, trusted through SECLAB_CA_FILE).
        tls = self_signed(workdir)
        tls_server = Server(os.path.join(a.bin, "seclab-server"), database, tls=tls)
        try:
            print(f"\n## {engine}: time to child over TLS (`SECLAB_CA_FILE`, self-signed P-256)\n")
            print("| secrets | median ms | min ms | max ms | floor median ms |\n|---:|---:|---:|---:|---:|")
            for n, med, lo, hi, fmed in time_to_child(run_bin, tls_server, creds, runs, cacert=tls[0]):
                print(f"| {n:,} | {med:.1f} | {lo:.1f} | {hi:.1f} | {fmed:.1f} |")
            rss = max(rss, tls_server.peak_rss_mib())
        finally:
            tls_server.stop()
        print(f"\n## {engine}: machine pulls, credential cache off (`SECLAB_CREDENTIAL_CACHE_SECONDS=0`: Argon2id m1 on every pull)\n")
        print("| items | cache | connections | requests/s | p50 ms | p99 ms | errors |\n|---:|---|---:|---:|---:|---:|---:|")
        # Cold: the verified-credential cache off, so every pull runs Argon2id m1.
        cold = Server(os.path.join(a.bin, "seclab-server"), database, {"SECLAB_CREDENTIAL_CACHE_SECONDS": "0"})
        try:
            for n in [100, 1000]:
                for conns in [1, 8, 32]:
                    rps, p50, p99, errors = wrk(cold, creds[n], conns, seconds, cold.dir)
                    print(f"| {n:,} | cold | {conns} | {rps:,.0f} | {p50:.1f} | {p99:.1f} | {errors} |")
                    log(f"  pulls {n} items cold c={conns}: {rps:.0f}/s p99 {p99:.1f} ms")
            rss = max(rss, cold.peak_rss_mib())
        finally:
            cold.stop()
            shutil.rmtree(workdir, ignore_errors=True)
        print(f"\nServer peak RSS ({engine}, whole run): {rss:.0f} MiB\n")

main()
