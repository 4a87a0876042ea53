"""bench/run's driver: one run of seclab and its peers on this machine, then the report.
Run through bench/run (which builds, installs the peers and starts PostgreSQL), or directly:
  bench/.venv/bin/python bench/bench.py --bin .build-release/release --run-bin dist/seclab-run \\
      --postgres postgres://… --out bench/results/X.md [--quick] [--seconds S] [--runs N]
  bench/.venv/bin/python bench/bench.py --report-only bench/results/X.json --out bench/results/X.md"""
import argparse, base64, json, os, shutil, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import log, machine, loadavg, stop_all, round_robin, wrk, Tool
import seclab_bench, peers, report

def make_secrets(sizes):
    """The same secrets for every tool: SECRET_00000…, values the base64 text of 40 random bytes."""
    return {n: {f"SECRET_{i:05d}": base64.b64encode(os.urandom(40)).decode() for i in range(n)} for n in sizes}

def floor_tools(values):
    """`env -i VARS… true` (the issues' floor), and `true` spawned with the same environment directly:
    env(1) calls setenv() once per variable, which is quadratic in their number (~0.5 s at 10,000)."""
    return [Tool(("floor", None), ["/usr/bin/env", "-i"] + [f"{k}={v}" for k, v in values.items()] + ["/bin/true"], {}),
            Tool(("floor_exec", None), ["/bin/true"], dict(values))]

def put(results, key, n, value):
    section, sub = key
    if sub is None:
        results.setdefault(section, {})[n] = value
    else:
        results.setdefault(section, {}).setdefault(sub, {})[n] = value

def time_to_child(results, secrets, cfg, engines, bao, sops, workdir):
    """Per size, every tool in turn (round robin), so a busy machine weighs on all of them alike."""
    for n, values in sorted(secrets.items()):
        tools = floor_tools(values)
        for engine in engines:
            tools += engine.tools(n)
        if sops:
            tools += sops.tools(n)
        if bao:
            tools += bao.tools(n, list(values), cfg)
        load = loadavg()[0]
        out, errors = round_robin(tools, n, cfg["runs"], cfg["warmup"], workdir)
        for key, entry in out.items():
            entry["loadavg"] = load
            put(results, key, n, entry)
        for key, error in errors.items():
            results.setdefault("errors", {})[f"{key[0]} {key[1] or ''} at {n} secrets".replace("  ", " ")] = error
        log(f"  {n:>6} secrets: " + ", ".join(f"{k[0]}{'.' + k[1] if k[1] else ''} {v['median']:.1f}" for k, v in out.items()))

def load_runs(results, cfg, engines, bao):
    """Per (items, connections): seclab warm on each engine, OpenBao, then seclab cold, back to back."""
    for n in cfg["pull_sizes"]:
        targets = [e.load_targets(n, "warm") for e in engines[:1]] + ([bao.load_target(n)] if bao else [])
        targets += [e.load_targets(n, "warm") for e in engines[1:]] + [e.load_targets(n, "cold") for e in engines]
        for c in cfg["connections"]:
            load = loadavg()[0]
            for (section, cache), url, script in targets:
                r = wrk(url, script, c, cfg["seconds"])
                row = {"items": n, "connections": c, "loadavg": load, **r}
                if section == "openbao":
                    results["openbao"].setdefault("reads", []).append(row)
                else:
                    results[section]["pulls"].append({**row, "cache": cache})
                log(f"  {section} {cache} {n} items, {c} conn: {r['rps']:,.0f}/s p50 {r['p50']:.1f} p99 {r['p99']:.1f} ms, errors {r['errors']}")

def crypto(bin_dir):
    binary = os.path.join(bin_dir, "seclab-bench-crypto")
    r = subprocess.run([binary], capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise RuntimeError(f"seclab-bench-crypto exit {r.returncode}: {r.stderr[-1000:]}")
    return r.stdout

def step(results, name, fn, *args):
    """Runs one part; a failure is recorded (and reported) instead of ending the whole run."""
    t = time.time()
    try:
        value = fn(*args)
        return True if value is None else value
    except Exception as e:
        results.setdefault("errors", {})[name] = f"{type(e).__name__}: {e}"
        log(f"!! {name} failed: {e}")
        return None
    finally:
        results.setdefault("durations_s", {})[name] = round(time.time() - t, 1) + results.get("durations_s", {}).get(name, 0)

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", help="release bin folder (seclab-server, seclab, seclab-bench-crypto)")
    p.add_argument("--run-bin", help="the seclab-run binary to time (default: BIN/seclab-run)")
    p.add_argument("--curl-floor", help="bench/floor/curl-floor.c built: timed beside seclab-run on SQLite")
    p.add_argument("--swift-floor", help="bench/floor/swift-floor.swift built: the same pull under a Swift main")
    p.add_argument("--postgres", default="", help="PostgreSQL URL; empty: SQLite only")
    p.add_argument("--out", required=True, help="report path (.md); the .png and .json go beside it")
    p.add_argument("--quick", action="store_true", help="sizes 1-1,000, 5 runs, 2 s load runs: a few minutes")
    p.add_argument("--seconds", type=float, help="duration of each wrk run (default 10, quick 2)")
    p.add_argument("--runs", type=int, help="timed runs per time-to-child point (default 20, quick 5)")
    p.add_argument("--sizes", help="comma-separated secret counts (default 1,100,1000,10000)")
    p.add_argument("--skip", default="", help="comma-separated parts to skip: sqlite,postgres,openbao,sops,crypto")
    p.add_argument("--revision", default="?", help="source revision measured (bench/run passes git's)")
    p.add_argument("--command", default="bench/run", help="the command line, for the report")
    p.add_argument("--report-only", metavar="JSON", help="re-render the report of an earlier run")
    a = p.parse_args()
    png = os.path.splitext(a.out)[0] + ".png"
    if a.report_only:
        results = report.load(a.report_only)
        report.write(results, a.out, png)
        return
    if not a.bin:
        p.error("--bin is needed")
    skip = set(filter(None, a.skip.split(",")))
    sizes = [int(s) for s in a.sizes.split(",")] if a.sizes else ([1, 100, 1000] if a.quick else [1, 100, 1000, 10000])
    cfg = {"bin": os.path.abspath(a.bin), "run_bin": os.path.abspath(a.run_bin or os.path.join(a.bin, "seclab-run")),
           "curl_floor": os.path.abspath(a.curl_floor) if a.curl_floor else None,
           "swift_floor": os.path.abspath(a.swift_floor) if a.swift_floor else None,
           "runs": a.runs or (5 if a.quick else 20), "warmup": 1 if a.quick else 3,
           "seconds": a.seconds or (2 if a.quick else 10), "connections": [1, 8, 32],
           "pull_sizes": [n for n in (100, 1000) if n in sizes], "sizes": sizes,
           "agent_budget_s": 60 if a.quick else 300}
    workdir = os.path.abspath(os.path.join(os.path.dirname(__file__), "work", f"run-{os.getpid()}"))
    os.makedirs(workdir, exist_ok=True)
    results = {"meta": {**machine(), "started": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()), "quick": a.quick,
                        "command": a.command, "revision": a.revision, "run_bin": cfg["run_bin"], "bin": cfg["bin"],
                        "run_bin_mib": round(os.path.getsize(cfg["run_bin"]) / 2**20, 1)},
               "cfg": {k: v for k, v in cfg.items() if k not in ("bin", "run_bin")}}
    t0 = time.time()
    engines, bao, sops = [], None, None
    try:
        log(f"== secrets: {sizes}")
        secrets = make_secrets(sizes)
        # Everything up at once: the measurements below interleave the tools.
        for engine, url in [("sqlite", None), ("postgres", a.postgres)]:
            if engine in skip or (engine == "postgres" and not url):
                continue
            log(f"== seclab-server on {engine}: seeding")
            e = step(results, engine, seclab_bench.Engine, engine, url, cfg, secrets, workdir)
            if e:
                engines.append(e)
                results[engine] = e.res
        if "sops" not in skip:
            log("== sops: encrypting")
            sops = step(results, "sops", peers.Sops, secrets, workdir)
            if sops:
                results["sops"] = {"version": sops.version}
        if "openbao" not in skip:
            log("== OpenBao: dev server, seeding")
            bao = step(results, "openbao", peers.OpenBao, workdir)
            if bao and step(results, "openbao", bao.seed, secrets):
                results["openbao"] = {"version": bao.version}
            else:
                bao = None
        log("== time to child")
        step(results, "time_to_child", time_to_child, results, secrets, cfg, engines, bao, sops, workdir)
        for e in engines:
            step(results, e.engine + "_phases", e.phases)
        log("== server load")
        step(results, "load", load_runs, results, cfg, engines, bao)
        for e in engines:
            e.stop()
        if bao:
            results["openbao"]["rss_mib"] = bao.peak_rss_mib()
            bao.stop()
        if "crypto" not in skip:
            log("== crypto micro-benchmarks")
            results["crypto"] = step(results, "crypto", crypto, cfg["bin"])
    finally:
        stop_all()
        results["meta"]["loadavg_end"] = loadavg()
        results["meta"]["duration_s"] = round(time.time() - t0)
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
            json.dump(results, f, indent=1)
        shutil.rmtree(workdir, ignore_errors=True)
    report.write(results, a.out, png)
    log(f"written: {a.out}, {png}")

if __name__ == "__main__":
    main()
