"""What run-examples.py runs the CI examples against, all from dist/ (scripts/release):
the release served over HTTP on loopback in the layout the action and the component download
from (BASE/vVERSION/seclab-VERSION-linux-x86_64.tar.gz), and a real seclab-server on SQLite with
an account, a vault, its secrets and a machine credential made by the released `seclab`.
"""
import functools, hashlib, http.server, os, pathlib, re, secrets, shutil, subprocess, tempfile, threading, time


class ReleaseServer:
    """dist/'s tarball and SHA256SUMS under BASE/vVERSION/, on 127.0.0.1 at a free port."""

    def __init__(self, dist, version):
        self.tarball = dist / f"seclab-{version}-linux-x86_64.tar.gz"
        self.sha256 = hashlib.sha256(self.tarball.read_bytes()).hexdigest()
        self.directory = pathlib.Path(tempfile.mkdtemp(prefix="seclab-release-http."))
        (self.directory / f"v{version}").mkdir()
        for f in (self.tarball, dist / "SHA256SUMS"):
            shutil.copy(f, self.directory / f"v{version}" / f.name)

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(self.directory)))
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.http.server_address[1]}"

    def close(self):
        self.http.shutdown()
        shutil.rmtree(self.directory, ignore_errors=True)


class SeclabServer:
    """dist/seclab-server on a fresh SQLite file; vault `production` with the examples' secrets."""

    def __init__(self, dist, work):
        self.dist, self.work = dist, work
        self.log = open(work / "server.log", "w+")
        self.process = subprocess.Popen([str(dist / "seclab-server"), "serve", "--listen", "127.0.0.1:0", "--database", f"sqlite:{work}/seclab.db"],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.url = None
        for _ in range(600):
            found = re.search(r"url=(http://127\.0\.0\.1:\d+)", (work / "server.log").read_text())
            if found:
                self.url = found.group(1)
                break
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        if not self.url:
            self.close()
            raise SystemExit(f"run-examples: seclab-server did not start: {(work / 'server.log').read_text()[-500:]}")
        token = secrets.token_urlsafe(24)
        # Multi-line, as a PEM file is: masking works line by line.
        self.secrets = {"DATABASE_URL": f"postgres://app:{secrets.token_hex(12)}@db:5432/app", "API_TOKEN": token,
                        "TLS_KEY": f"-----BEGIN TEST KEY-----\n{secrets.token_hex(20)}\n{secrets.token_hex(20)}\n-----END TEST KEY-----\n"}
        self.owner("account", "create", "--email", "ci@example.test", "--emergency-kit", str(work / "kit.txt"))
        self.owner("vault", "create", "production")
        for name, value in self.secrets.items():
            self.owner("secret", "set", "production", name, stdin=value)
        self.credential = self.owner("machine", "create", "production", "--name", "ci-examples").strip()

    def owner(self, *args, stdin=None):
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.work), "SECLAB_SERVER": self.url, "SECLAB_CONFIG_DIR": str(self.work / "config"),
               "SECLAB_PASSPHRASE": "ci examples passphrase (test only)"}
        run = subprocess.run([str(self.dist / "seclab"), *args], input=stdin, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(f"run-examples: seclab {' '.join(args)} failed: {run.stderr.strip()}")
        return run.stdout

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()


def fingerprint(value):
    """What examples/deploy.sh prints for a value: the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def executables_under(directory):
    return [p for p in pathlib.Path(directory).rglob("*") if p.is_file() and os.access(p, os.X_OK)]
