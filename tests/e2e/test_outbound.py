# SPDX-License-Identifier: BSD-2-Clause
"""End-to-end: a Flask handler's outbound calls appear as client spans inside its request.

Starts real servers from Debian packages: PostgreSQL 15 (initdb + pg_ctl in a temporary
directory, run as the postgres user, TCP on a free port), redis-server, and two standard-library
HTTP servers (plain and HTTPS with a self-signed certificate), one endpoint answering 503. A
Flask app under gunicorn calls them through psycopg2, redis-py and requests. pyspan attaches to
the gunicorn master; a SIGHUP then forks new workers, whose import-time call (outside any
request) must come out as a root client span.

Checks: one server span per request and exactly the expected client spans under it (same trace,
parent_span_id = the server span, nested in time), SQL sanitised and no literal value anywhere
in the output, errors marked (SQLSTATE, 503, WRONGTYPE), the HTTPS call's path and status read
through the OpenSSL probes, and the probe hits per HTTPS call.

Needs root, kernel BTF and the packages; otherwise skipped. `-v` prints passing checks too.

/usr/bin/python3 tests/e2e/test_outbound.py [-v]
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib  # noqa: E402
from lib import Req  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
REDIS_SERVER = "/usr/bin/redis-server"
OPENSSL = "/usr/bin/openssl"
RUNUSER = "/usr/sbin/runuser"
WORKERS = 2

# Values the app sends that must appear nowhere in pyspan's output.
SECRETS = ["literal-secret-alice", "literal-secret-bob", "value-secret-carol",
           "AUTH-SECRET-dave", "token-secret-erin", "4242"]

HTTP_SERVER = r'''
import http.server, ssl, sys

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        code = 503 if self.path.startswith("/unavailable") else 200
        body = ("%s %s" % (code, self.path.split("?")[0])).encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

port = int(sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
if len(sys.argv) > 2:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
'''

APP = r'''
import os

import psycopg2
import redis
import requests
from flask import Flask

PG = dict(host="127.0.0.1", port=int(os.environ["OB_PG_PORT"]), user="postgres",
          dbname="postgres")
HTTP = "http://127.0.0.1:%s" % os.environ["OB_HTTP_PORT"]
HTTPS = "https://localhost:%s" % os.environ["OB_HTTPS_PORT"]
CERT = os.environ["OB_CERT"]
cache = redis.Redis(host="127.0.0.1", port=int(os.environ["OB_REDIS_PORT"]))

# A call made while the worker imports the app: outside any request. The marker file tells the
# test this worker is past it (a worker forked before the attach must not be caught mid-import).
requests.get(HTTP + "/startup?phase=import", timeout=10)
open(os.path.join(os.environ["OB_MARKERS"], "imported-%d" % os.getpid()), "w").close()

app = Flask(__name__)


@app.route("/db")
def db():
    conn = psycopg2.connect(**PG)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT %s::text AS who, 4242 + 1 AS answer", ("literal-secret-alice",))
    who = cur.fetchone()[0]
    try:
        cur.execute("SELECT * FROM no_such_table WHERE owner = 'literal-secret-bob'")
        failed = "no"
    except psycopg2.Error as e:
        failed = e.pgcode
    conn.close()
    return {"who_len": len(who), "failed": failed}


@app.route("/cache")
def cache_route():
    cache.set("session:42", "value-secret-carol")
    got = cache.get("session:42")
    try:
        cache.lpush("session:42", "value-secret-carol")
        failed = "no"
    except redis.exceptions.ResponseError as e:
        failed = str(e).split()[0]
    return {"got_len": len(got), "failed": failed}


@app.route("/calls")
def calls():
    a = requests.get(HTTP + "/ok?token=token-secret-erin",
                     headers={"Authorization": "Bearer AUTH-SECRET-dave"}, timeout=10)
    b = requests.get(HTTP + "/unavailable", timeout=10)
    c = requests.get(HTTPS + "/secure/path?key=token-secret-erin", verify=CERT, timeout=10)
    return {"codes": [a.status_code, b.status_code, c.status_code]}
'''


def missing_requirements():
    """Why this suite cannot run here, or None."""
    for path, pkg in ((PG_BIN / "initdb", "postgresql"), (Path(REDIS_SERVER), "redis-server"),
                      (Path(OPENSSL), "openssl"), (Path(RUNUSER), "util-linux"),
                      (Path(lib.GUNICORN), "gunicorn")):
        if not path.exists():
            return "%s is missing (Debian package %s)" % (path, pkg)
    probe = subprocess.run([lib.PYTHON, "-c", "import psycopg2, redis, requests, flask"],
                           capture_output=True, text=True)
    if probe.returncode:
        return ("python3-psycopg2, python3-redis, python3-requests or python3-flask is missing: "
                "%s" % probe.stderr.strip().splitlines()[-1:])
    return None


def as_postgres(argv, **kw):
    return subprocess.run([RUNUSER, "-u", "postgres", "--"] + [str(a) for a in argv],
                          capture_output=True, text=True, timeout=60, **kw)


class Postgres:
    def __init__(self, workdir):
        self.dir = Path(workdir) / "pg"
        self.dir.mkdir()
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.port = lib.free_port()
        self.started = False

    def start(self):
        r = as_postgres([PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres"])
        if r.returncode:
            raise lib.SetupError("initdb failed: %s" % r.stderr[-2000:])
        opts = "-p %d -k %s -c listen_addresses=127.0.0.1" % (self.port, self.dir)
        r = as_postgres([PG_BIN / "pg_ctl", "-D", self.data, "-o", opts,
                         "-l", self.dir / "log", "-w", "start"])
        if r.returncode:
            raise lib.SetupError("pg_ctl start failed: %s\n%s" % (r.stderr[-2000:],
                                                                 lib.tail(self.dir / "log")))
        self.started = True

    def stop(self):
        if self.started:
            as_postgres([PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "stop"])
            self.started = False


def make_cert(workdir):
    cert, key = Path(workdir) / "cert.pem", Path(workdir) / "key.pem"
    r = subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", key, "-out", cert], capture_output=True, text=True)
    if r.returncode:
        raise lib.SetupError("openssl req failed: %s" % r.stderr)
    return cert, key


def parent_of(span, servers):
    return next((s for s in servers if s["span_id"] == span.get("parent_span_id")), None)


def check_nested(t, label, server, calls):
    for c in calls:
        t.eq("%s: %s shares the request's trace id" % (label, c["name"]), c["trace_id"],
             server["trace_id"])
        t.check("%s: %s starts and ends inside the request" % (label, c["name"]),
                server["start_time_unix_nano"] <= c["start_time_unix_nano"]
                <= c["end_time_unix_nano"] <= server["end_time_unix_nano"],
                "inside [%d, %d]" % (server["start_time_unix_nano"],
                                     server["end_time_unix_nano"]),
                "[%d, %d]" % (c["start_time_unix_nano"], c["end_time_unix_nano"]))


def check_db(t, server, calls, pg_port):
    t.eq("/db: two PostgreSQL calls", [c.get("db.system") for c in calls],
         ["postgresql", "postgresql"])
    if len(calls) != 2:
        return
    ok, bad = calls
    t.eq("/db: the good query, sanitised", ok.get("db.query.text"),
         "SELECT ?::text AS who, ? + ? AS answer")
    t.eq("/db: its operation", ok.get("db.operation.name"), "SELECT")
    t.eq("/db: its command tag", ok.get("db.response.command_tag"), "SELECT 1")
    t.eq("/db: the database", ok.get("db.namespace"), "postgres")
    t.eq("/db: the user", ok.get("db.user"), "postgres")
    t.eq("/db: the peer port", ok.get("server.port"), pg_port)
    t.eq("/db: the peer address", ok.get("server.address"), "127.0.0.1")
    t.check("/db: the good query is no error", "error.type" not in ok, "no error.type", ok)
    t.eq("/db: the failing statement, sanitised", bad.get("db.query.text"),
         "SELECT * FROM no_such_table WHERE owner = ?")
    t.eq("/db: its SQLSTATE", bad.get("error.type"), "42P01")
    t.eq("/db: its status code", bad.get("db.response.status_code"), "42P01")
    t.eq("/db: its message", bad.get("pyspan.error.message"),
         'relation "no_such_table" does not exist')


def check_cache(t, server, calls, redis_port):
    t.eq("/cache: three Redis calls, command and key only",
         [c.get("db.query.text") for c in calls],
         ["SET session:42", "GET session:42", "LPUSH session:42"])
    t.eq("/cache: their operations", [c.get("db.operation.name") for c in calls],
         ["SET", "GET", "LPUSH"])
    t.eq("/cache: the systems", [c.get("db.system") for c in calls], ["redis"] * 3)
    t.eq("/cache: only LPUSH failed, with WRONGTYPE", [c.get("error.type") for c in calls],
         [None, None, "WRONGTYPE"])
    t.eq("/cache: the peer port", [c.get("server.port") for c in calls], [redis_port] * 3)


def check_calls(t, server, calls, http_port, https_port):
    t.eq("/calls: three HTTP calls, in order", [c.get("url.full") for c in calls],
         ["http://127.0.0.1:%d/ok?token=REDACTED" % http_port,
          "http://127.0.0.1:%d/unavailable" % http_port,
          "https://localhost:%d/secure/path?key=REDACTED" % https_port])
    t.eq("/calls: their statuses", [c.get("http.response.status_code") for c in calls],
         [200, 503, 200])
    t.eq("/calls: the 503 is an error", [c.get("error.type") for c in calls],
         [None, "503", None])
    t.eq("/calls: only the HTTPS call is TLS", [c.get("pyspan.tls") for c in calls],
         [None, None, True])
    t.eq("/calls: methods and names", [(c.get("http.request.method"), c["name"]) for c in calls],
         [("GET", "GET")] * 3)
    t.eq("/calls: the HTTPS response body size (plaintext, not ciphertext)",
         calls[2].get("http.response.body.size") if len(calls) == 3 else None,
         len("200 /secure/path"))
    t.eq("/calls: the peer ports", [c.get("server.port") for c in calls],
         [http_port, http_port, https_port])


def main():
    t = lib.Tally("outbound")
    lib.require_bpf(t)
    why = missing_requirements()
    if why:
        t.skip(why)
        t.finish()
    lib.exit_on_sigterm()

    tmp = tempfile.mkdtemp(prefix="pyspan-outbound-")
    os.chmod(tmp, 0o755)  # the postgres user reaches its directory through it
    procs, pg = [], Postgres(tmp)
    try:
        pg.start()
        redis_port, http_port, https_port, app_port = (lib.free_port() for _ in range(4))
        cert, key = make_cert(tmp)
        server_py = Path(tmp) / "servers.py"
        server_py.write_text(HTTP_SERVER)
        (Path(tmp) / "outbound_app.py").write_text(APP)
        rd = lib.Proc("redis", [REDIS_SERVER, "--port", redis_port, "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no"], tmp)
        procs.append(rd)
        hs = lib.Proc("http", [lib.PYTHON, server_py, http_port], tmp)
        procs.append(hs)
        tls = lib.Proc("https", [lib.PYTHON, server_py, https_port, cert, key], tmp)
        procs.append(tls)
        for port, p in ((redis_port, rd), (http_port, hs), (https_port, tls)):
            lib.wait_port(port, p)

        env = dict(os.environ, OB_PG_PORT=str(pg.port), OB_REDIS_PORT=str(redis_port),
                   OB_HTTP_PORT=str(http_port), OB_HTTPS_PORT=str(https_port),
                   OB_CERT=str(cert), OB_MARKERS=tmp)
        gu = lib.Proc("gunicorn", [lib.GUNICORN, "--workers", WORKERS, "--worker-class", "sync",
                                   "--bind", "127.0.0.1:%d" % app_port, "--chdir", tmp,
                                   "outbound_app:app"], tmp, cwd=tmp, env=env)
        procs.append(gu)
        lib.wait_port(app_port, gu)
        workers = lib.wait_workers(gu.pid, WORKERS)
        # Attach only once these workers have made their import-time call: only the calls of
        # the workers forked after the attach are the test's.
        deadline = time.time() + 30
        while not all((Path(tmp) / ("imported-%d" % w)).exists() for w in workers):
            if time.time() > deadline:
                raise lib.SetupError("workers %s never finished importing the app" % workers)
            time.sleep(0.05)

        ps = lib.Pyspan([gu.pid], tmp, ["--service-name", "outbound-app"])
        procs.append(ps)
        ps.wait_attached()
        # New workers, forked after the attach: their import-time call is traced.
        gu.send_signal(signal.SIGHUP)
        lib.wait_workers(gu.pid, WORKERS, timeout=30, old=workers)
        lib.wait_port(app_port, gu)
        time.sleep(1.0)

        answers = {}
        for path in ("/db", "/cache", "/calls"):
            r = lib.send_one(app_port, Req("GET", path))
            answers[path] = (r.status, r.resp_body)
        t.eq("the app answered every request",
             [answers[p][0] for p in ("/db", "/cache", "/calls")], [200, 200, 200])
        t.check("the app saw the failures it provoked",
                b'"failed":"42P01"' in answers["/db"][1].replace(b" ", b"")
                and b'"failed":"WRONGTYPE"' in answers["/cache"][1].replace(b" ", b"")
                and b"[200,503,200]" in answers["/calls"][1].replace(b" ", b""),
                "42P01, WRONGTYPE, [200, 503, 200]", answers)
        ps.wait_lines(3 + 2 + 3 + 3 + WORKERS, timeout=10)
        rc = ps.interrupt()
        t.eq("pyspan exits cleanly", rc, 0)

        spans, bad = ps.spans()
        t.eq("every stdout line is JSON", bad, [])
        servers = [s for s in spans if s["kind"] == "server"]
        clients = [s for s in spans if s["kind"] == "client"]
        t.eq("one server span per request", sorted(s["url.path"] for s in servers),
             ["/cache", "/calls", "/db"])
        by_path = {s["url.path"]: s for s in servers}
        for c in clients:
            t.check("client span %s has start and end times" % c.get("name"),
                    isinstance(c.get("start_time_unix_nano"), int)
                    and isinstance(c.get("end_time_unix_nano"), int), "ints", c)
        for path, server in sorted(by_path.items()):
            mine = sorted((c for c in clients if c.get("parent_span_id") == server["span_id"]),
                          key=lambda c: c["start_time_unix_nano"])
            check_nested(t, path, server, mine)
            if path == "/db":
                check_db(t, server, mine, pg.port)
            elif path == "/cache":
                check_cache(t, server, mine, redis_port)
            else:
                check_calls(t, server, mine, http_port, https_port)

        roots = [c for c in clients if "parent_span_id" not in c]
        t.eq("the import-time call of each new worker is a root client span",
             [c.get("url.full") for c in roots],
             ["http://127.0.0.1:%d/startup?phase=REDACTED" % http_port] * WORKERS)
        t.check("root client spans have trace ids of their own",
                len({c["trace_id"] for c in roots}) == len(roots)
                and not {c["trace_id"] for c in roots} & {s["trace_id"] for s in servers},
                "distinct", [c["trace_id"] for c in roots])
        orphans = [c for c in clients if "parent_span_id" in c
                   and parent_of(c, servers) is None]
        t.eq("no client span points at a missing parent", orphans, [])
        t.eq("client spans in all", len(clients), 2 + 3 + 3 + WORKERS)

        out = ps.stdout_text()
        leaked = [s for s in SECRETS if s in out]
        t.eq("no literal value, key secret or credential in the output", leaked, [])

        summary = [l for l in ps.stderr_text().splitlines() if "probe hits" in l]
        m = re.search(r"(\d+) OpenSSL librar\w+ probed, (\d+) probe hits \((\d+) calls\)",
                      summary[-1] if summary else "")
        t.check("the exit summary counts the OpenSSL probes", m is not None,
                "a 'probe hits' line", summary)
        if m:
            libs, hits, calls = (int(g) for g in m.groups())
            t.check("at least one libssl probed", libs >= 1, ">= 1", libs)
            # One HTTPS call was made in a traced process: its probe hits, per call.
            t.note("OpenSSL uprobe hits per HTTPS call: %d (%d SSL_read/SSL_write calls)"
                   % (hits, calls))
            t.check("a few probe hits per HTTPS call", 2 <= hits <= 12, "2..12", hits)
    except lib.SetupError as e:
        t.fail("setup", "the servers and pyspan start", str(e))
    finally:
        for p in reversed(procs):
            p.stop(signal.SIGINT if p.name == "pyspan" else signal.SIGTERM, 10)
        pg.stop()
        if "-k" not in sys.argv[1:]:
            shutil.rmtree(tmp, ignore_errors=True)
    t.finish()


if __name__ == "__main__":
    main()
