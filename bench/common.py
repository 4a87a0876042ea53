"""Shared benchmark plumbing: process bookkeeping (everything started is stopped), timing of
short-lived commands, wrk load runs and machine facts. No tool-specific code here."""
import atexit, os, platform, re, signal, socket, statistics, subprocess, sys, threading, time

def log(*a):
    print(*a, file=sys.stderr, flush=True)

# ---- processes: every long-running process goes through spawn() and is stopped at exit ----

_procs = []

def _write_pidfile():
    path = os.environ.get("BENCH_PIDFILE")
    if path:
        with open(path, "w") as f:
            f.write("".join(f"{p.pid}\n" for p in _procs if p.poll() is None))

def spawn(argv, log_path, env=None, cwd=None):
    """Starts a background process (stdout+stderr to log_path) that stop() or exit will end."""
    proc = subprocess.Popen(argv, stdout=open(log_path, "w"), stderr=subprocess.STDOUT, env=env, cwd=cwd,
                            stdin=subprocess.DEVNULL)
    _procs.append(proc)
    _write_pidfile()
    return proc

def stop(proc, timeout=20):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc in _procs:
        _procs.remove(proc)
    _write_pidfile()

def stop_all():
    for proc in list(_procs):
        stop(proc, timeout=10)

def _on_signal(signum, _frame):
    raise SystemExit(128 + signum)

atexit.register(stop_all)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)

def peak_rss_mib(proc):
    """The process's peak resident set (VmHWM), in MiB; 0 if it is gone."""
    try:
        for line in open(f"/proc/{proc.pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def wait_for(predicate, what, seconds=30, proc=None, log_path=None):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{what}: exited with {proc.returncode}\n" + (open(log_path).read()[-3000:] if log_path else ""))
        time.sleep(0.05)
    raise SystemExit(f"{what}: not ready after {seconds} s")

# ---- timing of a command from start to exit ----

def stats(samples):
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples), "n": len(samples),
            "samples": [round(s, 3) for s in samples]}

def count_secrets_delivered(argv_with_counter, env, counter_file, cwd=None):
    """Runs a command whose child writes `env | grep -c ^SECRET_` to counter_file; returns the count."""
    if os.path.exists(counter_file):
        os.remove(counter_file)
    r = subprocess.run(argv_with_counter, env=env, cwd=cwd, capture_output=True, timeout=600)
    if r.returncode != 0 or not os.path.exists(counter_file):
        raise RuntimeError(f"{os.path.basename(argv_with_counter[0])}: exit {r.returncode}: {r.stderr.decode()[-2000:]}")
    return int(open(counter_file).read().strip() or 0)

def counter_shell(counter_file):
    return f"env | grep -c '^SECRET_' > {counter_file}"

class Tool:
    """One way of starting `true` with n secrets, for round_robin(). `check(counter_file)` gives the
    argv of the same start whose child counts the SECRET_* variables it got (None: no check);
    `after()` runs after each timed run and `finish(stats, afters)` turns the results into the entry."""
    def __init__(self, key, argv, env, check=None, cwd=None, output=None, after=None, finish=None, budget_s=None):
        self.key, self.argv, self.env, self.check, self.cwd = key, argv, env, check, cwd
        self.output, self.after, self.finish, self.budget_s = output, after, finish, budget_s
        self.runs, self.first_ms = None, None

def round_robin(tools, n, runs, warmup, workdir):
    """Times every tool `runs` times (a tool's own `runs` if set), one run of each in turn, so that
    load from anything else on the machine falls on all of them alike. Returns ({key: entry}, {key: error})."""
    out, errors, live = {}, {}, []
    for tool in tools:
        try:
            if tool.check:
                counter = os.path.join(workdir, "count")
                t = time.perf_counter()
                got = count_secrets_delivered(tool.check(counter), tool.env, counter, tool.cwd)
                tool.first_ms = (time.perf_counter() - t) * 1000
                if got != n:
                    raise RuntimeError(f"delivered {got} of {n} secrets")
            if tool.budget_s and tool.first_ms:  # a slow tool (OpenBao Agent at 10,000): what fits, at least 5
                tool.runs = max(5, min(runs, int(tool.budget_s * 1000 / tool.first_ms)))
            live.append(tool)
        except Exception as e:
            errors[tool.key] = f"{type(e).__name__}: {e}"
            log(f"!! {tool.key} at {n} secrets: {e}")
    samples = {t.key: [] for t in live}
    extras = {t.key: [] for t in live}
    for _ in range(warmup):
        for tool in live:
            _time_once(tool)
    for i in range(max([t.runs or runs for t in live] or [0])):
        for tool in live:
            if i < (tool.runs or runs):
                samples[tool.key].append(_time_once(tool))
                if tool.after:
                    extras[tool.key].append(tool.after())
    for tool in live:
        st = stats(samples[tool.key])
        out[tool.key] = tool.finish(st, extras[tool.key]) if tool.finish else st
    return out, errors

def _time_once(tool, limit_s=600):
    """One run, wall clock from spawn to reaped exit. The wait blocks in waitpid(): subprocess's own
    timeout= would poll with sleeps doubling from 0.5 to 50 ms and round every sample up to the next
    step (15.5, 31.5, 63.5 … ms). A timer kills a run that hangs instead."""
    out = open(tool.output, "w") if tool.output else subprocess.DEVNULL
    try:
        t = time.perf_counter_ns()
        proc = subprocess.Popen(tool.argv, env=tool.env, cwd=tool.cwd, stdout=out,
                                stderr=subprocess.STDOUT if tool.output else out, stdin=subprocess.DEVNULL)
        killer = threading.Timer(limit_s, proc.kill)
        killer.start()
        code = proc.wait()
        elapsed = (time.perf_counter_ns() - t) / 1e6
        killer.cancel()
        if code != 0:
            raise RuntimeError(f"{os.path.basename(tool.argv[0])} exited with {code}")
        return elapsed
    finally:
        if tool.output:
            out.close()

# ---- load generation with wrk ----

WRK_LUA = """wrk.method = "{method}"
wrk.body = {body}
{headers}
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.3f %.3f %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""

def wrk_script(path, method, headers, body=None):
    lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    body_lua = "nil" if body is None else '"' + body.replace('"', '\\"') + '"'
    with open(path, "w") as f:
        f.write(WRK_LUA.format(method=method, body=body_lua, headers=lines))
    return path

def wrk(url, script, connections, seconds):
    """requests/s, p50 ms, p99 ms, errors (socket errors + non-2xx/3xx responses)."""
    # --timeout 10s: slow answers (cold-cache pulls queue behind Argon2id for 1-2 s) are measured, not dropped.
    argv = ["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--timeout", "10s",
            "-s", script, url]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120)
    m = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+) (\d+)", r.stdout)
    if not m:
        raise SystemExit("wrk: " + r.stdout + r.stderr)
    requests, duration_us = int(m[1]), int(m[2])
    return {"rps": requests / (duration_us / 1e6), "p50": float(m[3]), "p99": float(m[4]),
            "errors": int(m[5]) + int(m[6]), "requests": requests}

# ---- the machine ----

def _first(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"

def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem_kib = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")))
    return {"host": platform.node().split(".")[0], "cores": os.cpu_count(), "memory_gib": round(mem_kib / 1024 / 1024, 1),
            "cpu": cpu, "kernel": platform.release(), "swift": _first(["swift", "--version"]),
            "wrk": _first(["wrk", "-v"]), "age": _first(["age", "--version"]),
            "postgres": _first(["psql", "--version"]), "python": platform.python_version(),
            "loadavg_start": open("/proc/loadavg").read().split()[:3]}

def loadavg():
    return open("/proc/loadavg").read().split()[:3]
