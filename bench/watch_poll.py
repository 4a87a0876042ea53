#!/usr/bin/env python3
"""What a `seclab-run --watch` poll costs the server: requests/s of conditional pulls
of an unchanged vault (`{"if_revision":N}` → `{"revision":N,"unchanged":true}`) at 32
connections, beside full pulls of the same vault with the credential cache warm, and the
server's own counters (/metrics) before and after.

    python3 bench/watch_poll.py [BIN_DIR] [--secrets 100] [--seconds 10] [--connections 32]

BIN_DIR holds seclab-server and seclab (default .build/release). A result goes to stdout as
Markdown; record it with the machine in bench/results/."""
import argparse, base64, hashlib, hmac, json, os, platform, re, sys, tempfile, urllib.request
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import log, wrk, wrk_script
from seclab_bench import Server, auth_header, seclab

def machine_auth(credential):
    """`Machine <slot_id>.<auth_secret>` from a credential (the bench's one implementation)."""
    return auth_header(credential)

def post(url, auth, body):
    request = urllib.request.Request(url + "/v1/machine/pull", data=body.encode(), method="POST",
                                     headers={"Authorization": auth, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()

def metric(url, name):
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    return {m[1] or "": float(m[2]) for m in re.finditer(r"^" + re.escape(name) + r"(\{[^}]*\})? ([\d.e+]+)$", text, re.M)}

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin", nargs="?", default=".build/release")
    parser.add_argument("--secrets", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    bin_dir = os.path.abspath(args.bin)
    work = tempfile.mkdtemp(prefix="seclab-watch-bench-")
    server = Server(os.path.join(bin_dir, "seclab-server"), "sqlite:" + os.path.join(work, "seclab.db"), work, "server")
    config = os.path.join(server.dir, "config")
    seclab(bin_dir, server, config, ["account", "create", "--email", "bench@example.test"])
    seclab(bin_dir, server, config, ["vault", "create", "w"])
    dotenv = os.path.join(work, "w.env")
    with open(dotenv, "w") as f:
        f.write("".join(f"S{i:04d}={'v' * 40}{i}\n" for i in range(args.secrets)))
    seclab(bin_dir, server, config, ["secret", "import", "w", "--dotenv", dotenv])
    credential = seclab(bin_dir, server, config, ["machine", "create", "w", "--name", "bench"]).strip()
    auth = machine_auth(credential)
    revision = json.loads(post(server.url, auth, '{"if_revision":-1}'))["revision"]
    assert json.loads(post(server.url, auth, f'{{"if_revision":{revision}}}')) == {"revision": revision, "unchanged": True}
    rows = []
    for label, body in [("unchanged poll", f'{{"if_revision":{revision}}}'), ("full pull (warm)", "{}")]:
        post(server.url, auth, body)  # warm the credential cache
        before = (metric(server.url, "seclab_argon2id_verifications_total"), metric(server.url, "seclab_machine_polls_total"))
        script = wrk_script(os.path.join(work, f"{len(rows)}.lua"), "POST",
                            {"Authorization": auth, "Content-Type": "application/json"}, body)
        result = wrk(server.url + "/v1/machine/pull", script, args.connections, args.seconds)
        after = (metric(server.url, "seclab_argon2id_verifications_total"), metric(server.url, "seclab_machine_polls_total"))
        argon = sum(after[0].values()) - sum(before[0].values())
        polls = {k: after[1].get(k, 0) - before[1].get(k, 0) for k in after[1]}
        rows.append((label, result, argon, polls))
        log(label, result, "argon2id runs:", argon, "polls:", polls)
    server.stop()
    print(f"# Watch poll cost ({platform.node()}, {os.cpu_count()} CPUs, {args.secrets} secrets, "
          f"{args.connections} connections, {args.seconds} s, binaries {bin_dir})\n")
    print("| request | requests/s | p50 ms | p99 ms | errors | Argon2id runs | polls counted |")
    print("|---|---|---|---|---|---|---|")
    for label, r, argon, polls in rows:
        print(f"| {label} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['errors']} | {argon:.0f} | "
              f"{', '.join(f'{k} {v:.0f}' for k, v in polls.items() if v) or '-'} |")

if __name__ == "__main__":
    main()
