"""The Markdown report and the PNG chart of one bench/run, from the results dict (or its JSON)."""
import json, os

ENGINES = [("sqlite", "SQLite"), ("postgres", "PostgreSQL")]
# The issues' goals (#3, #5, #6); reference numbers are the ones the issues measured "here".
SOPS_FACTOR, PULL_100, PULL_1000, P99_WARM_MS = 0.4, 1.5, 2.0, 50.0
FLOOR_100, FLOOR_1000 = 1.2, 1.4  # issue #16: time to child against the C + libcurl floor

def load(path):
    def ints(d):
        return {int(k) if isinstance(k, str) and k.isdigit() else k: v for k, v in d.items()}
    return json.load(open(path), object_hook=ints)

def ms(x):
    return "–" if x is None else (f"{x:,.0f}" if x >= 100 else f"{x:.1f}")

def get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d

def series(r):
    """(label, {n: stats}, style) for every time-to-child line, in legend order."""
    out = []
    for key, name in ENGINES:
        out.append((f"seclab-run, {name}", get(r, key, "ttc"), "seclab"))
        out.append((f"seclab-run, {name}, TLS", get(r, key, "ttc_tls"), "seclab-tls"))
    out += [("sops exec-env", get(r, "sops", "exec_env"), "sops"),
            ("sops exec-env --same-process", get(r, "sops", "same_process"), "sops2"),
            ("bao kv get + exec", get(r, "openbao", "kv_get"), "bao"),
            ("bao agent (exec mode)", get(r, "openbao", "agent"), "agent"),
            ("bao agent without its 2 s wait", {n: s["without_wait"] for n, s in (get(r, "openbao", "agent") or {}).items()}, "agent2"),
            ("floor: env -i VARS… true", r.get("floor"), "floor"),
            ("floor: execve(true) with VARS", r.get("floor_exec"), "floor2"),
            ("floor: C + libcurl, one pull, then execve", r.get("floor_curl"), "floor3"),
            ("floor: the same C pull under a Swift main", r.get("floor_swift"), "floor4")]
    return [(label, data, style) for label, data, style in out if data]

def chart(r, png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker
    styles = {"seclab": ("tab:blue", "-", "o"), "seclab-tls": ("tab:blue", ":", "o"), "sops": ("tab:green", "-", "s"),
              "sops2": ("tab:green", ":", "s"), "bao": ("tab:orange", "-", "^"), "agent": ("tab:red", "-", "v"),
              "agent2": ("tab:red", ":", "v"), "floor": ("gray", "--", "."), "floor2": ("black", ":", "."),
              "floor3": ("tab:brown", "--", "x"), "floor4": ("tab:purple", "--", "x")}
    fig, ax = plt.subplots(figsize=(12, 6.5), dpi=110)
    for i, (label, data, style) in enumerate(series(r)):
        color, line, marker = styles[style]
        if "PostgreSQL" in label:
            color = "tab:purple"
        ns = sorted(data)
        med = [data[n]["median"] for n in ns]
        lo = [data[n]["median"] - data[n]["min"] for n in ns]
        hi = [data[n]["max"] - data[n]["median"] for n in ns]
        ax.errorbar(ns, med, yerr=[lo, hi], label=label, color=color, linestyle=line, marker=marker, capsize=3, linewidth=1.5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    sizes = sorted(r.get("floor") or [])
    ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda y, _: f"{y:,.0f}" if y >= 1 else f"{y:g}"))
    ax.set_xlabel("secrets delivered (values: base64 of 40 random bytes)")
    ax.set_ylabel("time to child, ms (median; bars: min–max)")
    m = r["meta"]
    ax.set_title(f"Time from start to the command running, {m['host']} ({m['cores']} cores), {m['started'][:10]}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)

def ttc_tables(r, L):
    sizes = sorted(r.get("floor") or [])
    rows = series(r)
    L += ["## Time to child: medians at a glance (ms)", "",
          "| tool | " + " | ".join(f"{n:,}" for n in sizes) + " |", "|---|" + "---:|" * len(sizes)]
    for label, data, _ in rows:
        L.append(f"| {label} | " + " | ".join(ms(get(data, n, "median")) for n in sizes) + " |")
    L += ["", f"![time to child against secret count]({os.path.basename(r['_png'])})", "",
          "## Time to child in detail", "",
          "Per size, the tools ran in turn (one run of each, round robin), so load from elsewhere on the machine "
          "fell on all of them alike; load is the 1-minute load average when the size started.", "",
          "| tool | secrets | median ms | min ms | max ms | runs | load |", "|---|---:|---:|---:|---:|---:|---:|"]
    for label, data, _ in rows:
        for n in sorted(data):
            s = data[n]
            load = s.get("loadavg") or get(r, "floor", n, "loadavg") or ""
            L.append(f"| {label} | {n:,} | {ms(s['median'])} | {ms(s['min'])} | {ms(s['max'])} | {s.get('n', '')} | {load} |")
    agent = get(r, "openbao", "agent")
    if agent:
        L += ["", "OpenBao Agent's wait, from its own log (last `(runner) rendered` line to `(child) spawning`), per run:", "",
              "| secrets | wait median ms | min | max | agent total median ms | total minus the wait, median ms |",
              "|---:|---:|---:|---:|---:|---:|"]
        for n in sorted(agent):
            w = agent[n]["wait_ms"]
            L.append(f"| {n:,} | {ms(w['median'])} | {ms(w['min'])} | {ms(w['max'])} | {ms(agent[n]['median'])} | "
                     f"{ms(agent[n]['without_wait']['median'])} |")
    L.append("")

def phase_tables(r, L):
    for key, name in ENGINES:
        ph = get(r, key, "phases")
        if not ph:
            continue
        names = list(next(iter(ph.values())))
        L += [f"### Where seclab-run's time goes ({name}, plain HTTP; `strace -f --seccomp-bpf -ttt` of five syscalls, median of 5 traced runs, ms)", "",
              "| secrets | " + " | ".join(names) + " |", "|---:|" + "---:|" * len(names)]
        for n in sorted(ph):
            L.append(f"| {n:,} | " + " | ".join(ms(ph[n][x]) for x in names) + " |")
        L += ["", "Start to `connect()` is process start, the dynamic loader, libcurl and credential parsing; the "
              "request row is the server's work plus loopback; last byte to `execve` is JSON decoding, HPKE and "
              "XChaCha20 opens, key_ref re-checks and building the environment.", ""]

def server_tables(r, L):
    bao = {(x["items"], x["connections"]): x for x in get(r, "openbao", "reads") or []}
    secs = r["cfg"]["seconds"]
    for key, name in ENGINES:
        pulls = get(r, key, "pulls")
        if not pulls:
            continue
        by = {(x["items"], x["cache"], x["connections"]): x for x in pulls}
        L += [f"## Server on {name}: machine pulls beside OpenBao KV reads (wrk, {secs:g} s each)", "",
              "`POST /v1/machine/pull` (all items, one request) against `GET /v1/secret/data/vN` (OpenBao KV v2, a "
              "read-only policy token). Warm: credential cache on (default 60 s); cold: `SECLAB_CREDENTIAL_CACHE_SECONDS=0`, "
              "Argon2id m1 on every pull. Per (items, connections) the runs were back to back: seclab warm (SQLite), "
              "OpenBao, seclab warm (PostgreSQL), then seclab cold on each. Errors: socket errors and timeouts plus non-2xx "
              "responses (warm/cold/OpenBao). Load: the 1-minute load average when the point started.", "",
              "| items | conns | warm req/s | p50 ms | p99 ms | cold req/s | p50 ms | p99 ms | OpenBao req/s | p50 ms | p99 ms | warm ÷ OpenBao | errors | load |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
        for n in r["cfg"]["pull_sizes"]:
            for c in r["cfg"]["connections"]:
                w, k, b = by.get((n, "warm", c)), by.get((n, "cold", c)), bao.get((n, c))
                cells = lambda x: [f"{x['rps']:,.0f}", ms(x["p50"]), ms(x["p99"])] if x else ["–"] * 3
                ratio = f"{w['rps'] / b['rps']:.2f}×" if w and b and b["rps"] else "–"
                errs = "/".join(str(x["errors"]) if x else "–" for x in (w, k, b))
                L.append(f"| {n:,} | {c} | " + " | ".join(cells(w) + cells(k) + cells(b)) + f" | {ratio} | {errs} | "
                         f"{(w or {}).get('loadavg', '')} |")
        rss = get(r, key, "rss_mib") or {}
        L += ["", f"seclab-server peak RSS (VmHWM, over the whole run) on {name}: " +
              ", ".join(f"{phase} server {v:.0f} MiB" for phase, v in rss.items()) + ".", ""]
    if get(r, "openbao", "rss_mib"):
        L += [f"OpenBao dev server peak RSS (VmHWM, over the whole run incl. agent and reads): {r['openbao']['rss_mib']:.0f} MiB.", ""]

def goals(r, out):
    L = []
    sops = get(r, "sops", "exec_env") or {}
    bao = {(x["items"], x["connections"]): x for x in get(r, "openbao", "reads") or []}
    for key, name in ENGINES:
        ttc = get(r, key, "ttc")
        if ttc:
            for n in (100, 1000):
                if n in ttc and n in sops:
                    s, q = ttc[n]["median"], sops[n]["median"]
                    L.append(f"| time to child ≤ {SOPS_FACTOR}× `sops exec-env` at {n:,} secrets | {name} | "
                             f"{ms(s)} ms vs {ms(q)} ms = {s / q:.2f}× (goal ≤ {ms(SOPS_FACTOR * q)} ms) | {'yes' if s <= SOPS_FACTOR * q else 'no'} |")
            floor = r.get("floor_curl") or {}
            # Issue #16: seclab-run's time to child against the C + libcurl floor.
            for n, factor in ((100, FLOOR_100), (1000, FLOOR_1000)) if key == "sqlite" else ():
                if ttc and n in ttc and n in floor:
                    s, f = ttc[n]["median"], floor[n]["median"]
                    L.append(f"| time to child ≤ {factor}× the C + libcurl floor at {n:,} secrets | {name} | "
                             f"{ms(s)} ms vs {ms(f)} ms = {s / f:.2f}× (goal ≤ {ms(factor * f)} ms) | {'yes' if s <= factor * f else 'no'} |")
                swift = (r.get("floor_swift") or {}).get(n)
                if swift and n in floor:
                    L.append(f"| (context, not a goal) the same pull under a Swift main ÷ the C floor at {n:,} secrets | — | "
                             f"{ms(swift['median'])} ms vs {ms(floor[n]['median'])} ms = {swift['median'] / floor[n]['median']:.2f}× | — |")
            for n in (100, 1000) if key == "sqlite" else ():
                if n in floor and n in sops:
                    f, q = floor[n]["median"], sops[n]["median"]
                    L.append(f"| (context, not a goal) C + libcurl floor ÷ `sops exec-env` at {n:,} secrets | — | "
                             f"{ms(f)} ms vs {ms(q)} ms = {f / q:.2f}× | — |")
        by = {(x["items"], x["cache"], x["connections"]): x for x in get(r, key, "pulls") or []}
        for n, factor in ((100, PULL_100), (1000, PULL_1000)):
            w, b = by.get((n, "warm", 32)), bao.get((n, 32))
            if w and b:
                ratio = w["rps"] / b["rps"]
                L.append(f"| pulls ≥ {factor}× OpenBao KV reads, {n:,} keys, 32 connections (warm) | {name} | "
                         f"{w['rps']:,.0f} vs {b['rps']:,.0f} req/s = {ratio:.2f}× | {'yes' if ratio >= factor else 'no'} |")
        w = by.get((100, "warm", 32))
        if w:
            L.append(f"| p99 ≤ {P99_WARM_MS:.0f} ms warm, 100 items, 32 connections | {name} | {ms(w['p99'])} ms | "
                     f"{'yes' if w['p99'] <= P99_WARM_MS else 'no'} |")
    out += ["## Goals (issues #3, #5, #6, #16) — reported, not asserted", ""]
    out += (["| goal | engine | measured | met |", "|---|---|---|---|"] + L) if L else ["Not measured in this run (a part was skipped or failed)."]
    out += ["", "The issues' own reference measurements on this machine kind: `sops exec-env` 35 / 62 ms at 100 / 1,000 "
          "secrets; OpenBao KV reads about 2,300 req/s (p99 98 ms) at 100 keys and 650 req/s (p99 290 ms) at 1,000 keys, "
          "32 connections. The verdicts above compare against the peers measured in this same run.", ""]

def commands(r, L):
    m = r["meta"]
    L += ["## Exact commands", "",
          f"- whole run: `{m['command']}`",
          "- time to child: wall clock from spawn to reaped exit (Python `subprocess.Popen` + a blocking `wait()`, "
          "`time.perf_counter_ns`; about 1 ms of it is the spawn itself, as the execve floor shows), "
          f"{r['cfg']['warmup']} untimed warm-up run(s) first; every tool is first run once with a command that counts "
          "the `SECRET_*` variables it received, and the run stops if any secret is missing",
          "- seclab-run: `env -i PATH=/usr/bin:/bin SECLAB_SERVER=http://127.0.0.1:PORT SECLAB_MACHINE_KEY=slmk1_… "
          "seclab-run -- /bin/true` (TLS: `https://…` plus `SECLAB_CA_FILE=cert.pem`, self-signed P-256)",
          "- floor: `env -i SECRET_00000=… SECRET_00001=… /bin/true`",
          "- C + libcurl floor: `curl-floor URL/v1/machine/pull 'Machine SLOT.AUTH' N /bin/true` "
          "(`bench/floor/curl-floor.c`, `cc -O2 … -lcurl`): loads Debian's libcurl, `curl_global_init`, one POST, reads "
          "the body, then `execve`s with N dummy `SECRET_*` variables; no parsing, decryption or checks",
          "- seclab-server: `seclab-server serve --listen 127.0.0.1:0 --database sqlite:DIR/seclab.db` or "
          "`--database postgres://postgres@127.0.0.1:PORT/seclab_bench_…` (a fresh database on a throwaway cluster from "
          "`scripts/pg-test-cluster.sh`, fsync off); vaults seeded with `seclab secret import VAULT --dotenv FILE`, "
          "credentials from `seclab machine create VAULT --name NAME`",
          "- sops: `age-keygen -o age.key`; `sops --disable-version-check encrypt --age AGE1… --input-type dotenv "
          "--output-type dotenv vN.env > vN.enc.env`; timed: `SOPS_AGE_KEY_FILE=age.key sops --disable-version-check "
          "exec-env vN.enc.env /bin/true` (sops runs the command through `/bin/sh -c`), and the same with `--same-process`",
          "- OpenBao server: `bao server -dev -dev-root-token-id=… -dev-listen-address=127.0.0.1:PORT -dev-no-store-token "
          "-config=listener.hcl`, the config adding a loopback listener setting `max_request_json_strings = -1` and `max_request_json_memory = -1` (one `bao kv put "
          "-mount=secret vN @vN.json` of 10,000 pairs), a policy `path \"secret/data/*\" { capabilities = [\"read\"] }` "
          "and a token of it",
          "- bao kv get + exec: `bash -c 'set -o pipefail; mapfile -d \"\" -t v < <(bao kv get -format=json -mount=secret vN | "
          "jq -j \".data.data | to_entries[] | \\\"\\(.key)=\\(.value)\\u0000\\\"\"); exec env -i \"${v[@]}\" /bin/true'` "
          "with `BAO_ADDR`, `BAO_TOKEN`",
          "- bao agent: `bao agent -config=agent-N.hcl`: `auto_auth` with `method \"token_file\"`, one `env_template \"NAME\" "
          "{ contents = \"{{ with secret \\\"secret/data/vN\\\" }}{{ .Data.data.NAME }}{{ end }}\" }` per secret, "
          "`exec { command = [\"/bin/true\"], restart_on_secret_changes = \"never\" }`; the agent exits when the child does",
          "- load: `wrk -t min(C,2) -c C -d " + f"{r['cfg']['seconds']:g}" + "s --timeout 10s -s script.lua URL`, the Lua script setting "
          "the method, body `{}` and `Authorization: Machine SLOT.AUTH` (seclab) or `X-Vault-Token` (OpenBao), and "
          "printing requests, p50, p99 and errors from `done()`",
          "- crypto: `seclab-bench-crypto` (release build of `bench/crypto/`)", ""]

def notes(r, L):
    L += ["## How to read this", "",
          "- Everything runs on loopback on one machine: wrk shares the cores with the server it loads, and the "
          "machine is shared with other builds (load average at start and end above), so compare tools within a run.",
          "- OpenBao runs in dev mode: in-memory storage, no disk; seclab-server writes an audit row per pull to its "
          "database (SQLite file or PostgreSQL).",
          "- OpenBao Agent waits a hard-coded 2 s before it starts the child; its row without the wait is the wall time "
          "minus the gap its own log shows between the last rendered template and the spawn.",
          "- `bao kv get + exec` includes bash and jq turning the JSON into variables; `sops exec-env` includes `/bin/sh -c`; "
          "seclab-run `execve`s the command directly. sops reads a local file (no network at all); seclab-run and OpenBao "
          "go over HTTP to a server on loopback.", ""]

def render(r):
    m = r["meta"]
    L = [f"# seclab beside OpenBao and sops: {m['started']}{' (quick)' if m.get('quick') else ''}", "",
         f"- command: `{m['command']}` — {m.get('duration_s', '?')} s in all",
         f"- measured at: {m['revision']}",
         f"- machine: {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu']}; kernel {m['kernel']}; host `{m['host']}`",
         f"- load average (1/5/15 min) at start {' '.join(m['loadavg_start'])}, at end {' '.join(m.get('loadavg_end', ['?']))}",
         f"- toolchain: {m['swift']}; {m['postgres']}; {m['wrk'].split(' Copyright')[0]}; age {m['age']}; Python {m['python']}",
         f"- seclab-run timed: `{os.path.relpath(m['run_bin'], os.path.dirname(os.path.dirname(m['bin'])))}` "
         f"({m.get('run_bin_mib', '?')} MiB); server and CLI: `.build-release/release`",
         f"- peers (PyPI wheels, the ELF inside timed directly): {get(r, 'openbao', 'version') or 'OpenBao: not run'}; "
         f"{get(r, 'sops', 'version') or 'sops: not run'}",
         f"- runs per time-to-child point: {r['cfg']['runs']} after {r['cfg']['warmup']} warm-up (OpenBao Agent: as many "
         f"as fit {r['cfg']['agent_budget_s']} s per size, at least 5 — see the runs column); load runs {r['cfg']['seconds']:g} s each", ""]
    errors = list((r.get("errors") or {}).items()) + ([("chart", r["chart_error"])] if r.get("chart_error") else [])
    if errors:
        L += ["## What failed in this run", ""] + [f"- {k}: `{v}`" for k, v in errors] + [""]
    goals(r, L)
    ttc_tables(r, L)
    phase_tables(r, L)
    server_tables(r, L)
    L += ["## Seeding (the real `seclab` CLI, `secret import --dotenv`)", "", "| secrets | " +
          " | ".join(name for key, name in ENGINES if get(r, key, "seed_seconds")) + " |",
          "|---:|" + "---:|" * sum(1 for key, _ in ENGINES if get(r, key, "seed_seconds"))]
    for n in sorted(r.get("floor") or []):
        L.append(f"| {n:,} | " + " | ".join(f"{r[key]['seed_seconds'][n]:.1f} s" for key, _ in ENGINES
                                            if get(r, key, "seed_seconds", n) is not None) + " |")
    L.append("")
    if r.get("crypto"):
        L += ["## Crypto micro-benchmarks (`seclab-bench-crypto`)", "", r["crypto"].strip(), ""]
    commands(r, L)
    notes(r, L)
    L += ["Durations of the parts (s): " + ", ".join(f"{k} {v:g}" for k, v in (r.get("durations_s") or {}).items()) +
          f". Raw samples: `{os.path.basename(r['_json'])}`.", ""]
    return "\n".join(L)

def write(r, md, png):
    r = dict(r, _png=png, _json=os.path.splitext(md)[0] + ".json")
    try:
        chart(r, png)
    except Exception as e:  # the tables still matter without the picture
        r["chart_error"] = f"{type(e).__name__}: {e}"
    with open(md, "w") as f:
        f.write(render(r))
