"""End-to-end: pyspan exports X-Ray segments for the sample service, one per request.

Daemon mode: gunicorn traced with `--export stdout,xray --sampling all` against a loopback UDP
receiver that checks every datagram as the X-Ray daemon would (header line, JSON document,
required fields, at most 64 kB); every segment is matched to the request that made it, field
by field. Also the usage errors (exit 2) the X-Ray options add. Needs root and kernel BTF for
the tracing parts; otherwise they are skipped. `-v` prints passing checks too.

/usr/bin/python3 tests/e2e/test_xray.py [-v]
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib  # noqa: E402
from lib import Req  # noqa: E402

HEADER = b'{"format": "json", "version": 1}'
TRACE_ID = re.compile(r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
SERVICE = "shop api (e2e)!"  # the segment name drops the characters X-Ray does not allow
SERVICE_XRAY = "shop api e2e"
XRAY_PARENT = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
XRAY_UNSAMPLED = "Root=1-5759e988-bd862e3fe1be46a994272794;Parent=53995c3f42cd8ad9;Sampled=0"
CLOCK_SLACK_S = 1.0


class PyspanEnv(lib.Pyspan):
    """lib.Pyspan with extra environment variables."""

    def __init__(self, pids, workdir, extra=(), env=None):
        argv = [lib.PYSPAN]
        for p in pids:
            argv += ["--pid", str(p)]
        argv += list(extra)
        full = dict(os.environ)
        full.update(env or {})
        lib.Proc.__init__(self, "pyspan", argv, workdir, cwd=str(lib.REPO), env=full)


class UdpDaemon:
    """A loopback stand-in for the X-Ray daemon: keeps the datagrams it would accept and the
    reasons it would reject the others."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.docs, self.rejected = [], []
        self.largest = 0
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop:
            try:
                data = self.sock.recv(70000)
            except socket.timeout:
                continue
            self.largest = max(self.largest, len(data))
            if len(data) > 64 * 1024:
                self.rejected.append("datagram of %d bytes" % len(data))
                continue
            head, nl, body = data.partition(b"\n")
            try:
                h = json.loads(head)
            except ValueError:
                self.rejected.append("header is not JSON: %r" % head[:80])
                continue
            if not nl or not body or str(h.get("format", "")).lower() != "json" \
                    or h.get("version") != 1:
                self.rejected.append("bad header or no body: %r" % data[:80])
                continue
            try:
                self.docs.append(json.loads(body))
            except ValueError:
                self.rejected.append("document is not JSON: %r" % body[:80])

    def stop(self):
        self._stop = True
        self.thread.join(2)
        self.sock.close()


def required_fields(t, what, d):
    """Contract 1(a): what every segment must have, in the right form."""
    t.check(what + ": name", isinstance(d.get("name"), str) and 0 < len(d["name"]) <= 200,
            "1-200 chars", repr(d.get("name")))
    t.check(what + ": id", isinstance(d.get("id"), str) and HEX16.match(d["id"]),
            "16 lowercase hex", repr(d.get("id")))
    t.check(what + ": trace_id", isinstance(d.get("trace_id"), str)
            and TRACE_ID.match(d["trace_id"]), "1-<8hex>-<24hex>", repr(d.get("trace_id")))
    st, et = d.get("start_time"), d.get("end_time")
    t.check(what + ": start_time <= end_time (numbers)", isinstance(st, float)
            and isinstance(et, float) and st <= et, "epoch seconds", "%r, %r" % (st, et))


def client_mix(port):
    reqs = []
    for r in (Req("GET", "/health"),
              Req("GET", "/api/activities?limit=2"),
              Req("GET", "/api/activities/42"),
              Req("POST", "/api/activities", {"Content-Type": "application/json"},
                  json.dumps({"handle": "x", "message": "hi"}).encode()),
              Req("GET", "/nope"),
              Req("GET", "/api/fail"),
              Req("GET", "/api/activities/7", {"X-Amzn-Trace-Id": XRAY_PARENT},
                  label="x-ray parent"),
              Req("GET", "/api/activities/8", {"X-Amzn-Trace-Id": XRAY_UNSAMPLED},
                  label="x-ray unsampled"),
              Req("GET", "/api/big")):
        reqs.append(lib.send_one(port, r))
    return reqs


def check_segment(t, what, r, d, port):
    required_fields(t, what, d)
    t.eq(what + ": name", d.get("name"), SERVICE_XRAY)
    req = (d.get("http") or {}).get("request") or {}
    resp = (d.get("http") or {}).get("response") or {}
    t.eq(what + ": http.request.method", req.get("method"), r.method)
    url = "http://127.0.0.1:%d%s" % (port, r.path)
    if r.query:
        url += "?" + lib.redact_query(r.query)
    t.eq(what + ": http.request.url", req.get("url"), url)
    t.eq(what + ": http.request.user_agent", req.get("user_agent"), lib.USER_AGENT)
    t.eq(what + ": http.request.client_ip", req.get("client_ip"), "127.0.0.1")
    t.eq(what + ": http.response.status", resp.get("status"), r.status)
    t.eq(what + ": http.response.content_length", resp.get("content_length"), len(r.resp_body))
    t.eq(what + ": error (4xx)", d.get("error", False), 400 <= r.status < 500)
    t.eq(what + ": throttle (429)", d.get("throttle", False), r.status == 429)
    t.eq(what + ": fault (5xx)", d.get("fault", False), r.status >= 500)
    route = "/".join("{id}" if s.isdigit() else s for s in r.path.split("/"))
    t.eq(what + ": annotations.route", (d.get("annotations") or {}).get("route"), route)
    t.eq(what + ": annotations.pid", (d.get("annotations") or {}).get("pid"), r.served_by)
    t.eq(what + ": service.version", (d.get("service") or {}).get("version"), "2.3.4")
    st, et = d.get("start_time") or 0, d.get("end_time") or 0
    t.check(what + ": start/end within the client's wall-clock window",
            r.wall_start - CLOCK_SLACK_S <= st <= et <= r.wall_end + CLOCK_SLACK_S,
            "%.6f .. %.6f" % (r.wall_start, r.wall_end), "%.6f .. %.6f" % (st, et))
    t.check(what + ": times have microseconds", abs(st * 1e6 - round(st * 1e6)) < 0.6,
            "6 decimals", repr(st))
    if r.label == "x-ray parent":
        t.eq(what + ": trace_id from X-Amzn-Trace-Id", d.get("trace_id"),
             "1-5759e988-bd862e3fe1be46a994272793")
        t.eq(what + ": parent_id from X-Amzn-Trace-Id", d.get("parent_id"), "53995c3f42cd8ad8")
    else:
        t.check(what + ": no parent_id", "parent_id" not in d, "absent", d.get("parent_id"))
        tid = d.get("trace_id") or ""
        if TRACE_ID.match(tid):
            t.check(what + ": trace_id epoch is the request's second",
                    abs(int(tid[2:10], 16) - r.wall_start) <= 60, "within 60 s",
                    tid[2:10])
    if r.path == "/api/fail":
        exc = ((d.get("cause") or {}).get("exceptions") or [{}])
        t.eq(what + ": cause.exceptions[0].type", exc[0].get("type"),
             "demo.errors.ActivityStoreError")
        stack = exc[0].get("stack") or []
        t.check(what + ": cause stack innermost first, with path/line/label",
                bool(stack) and stack[0].get("label") == "_query"
                and stack[0].get("path", "").endswith("demo/app.py")
                and isinstance(stack[0].get("line"), int),
                "label _query in demo/app.py first", stack[:2])
    else:
        t.check(what + ": no cause", "cause" not in d, "absent", d.get("cause"))


def match(t, mode, reqs, docs, port):
    pool = {}
    for d in docs:
        req = (d.get("http") or {}).get("request") or {}
        key = (req.get("method"), re.sub(r"^http://[^/]*", "", req.get("url") or "")
               .split("?")[0])
        pool.setdefault(key, []).append(d)
    for r in reqs:
        what = "%s: %s" % (mode, r.label)
        cands = pool.get((r.method, r.path)) or []
        if r.label == "x-ray unsampled":
            t.check(what + ": no segment (the caller said Sampled=0)", not cands, "none",
                    cands)
            continue
        if not cands:
            t.fail(what + ": a segment", "one for %s %s" % (r.method, r.path), "none")
            continue
        check_segment(t, what, r, cands.pop(0), port)
    left = [d for v in pool.values() for d in v]
    t.check(mode + ": no segment without a request", not left, "none", left[:2])


def export_line(ps, name):
    for line in ps.stderr_text().splitlines():
        if line.startswith("pyspan: export %s:" % name):
            return line
    return None


def scenario_daemon(t, tmp):
    mode = "daemon"
    port = lib.free_port()
    gu = ps = None
    daemon = UdpDaemon()
    try:
        gu = lib.start_gunicorn(port, tmp)
        lib.wait_port(port, gu)
        lib.wait_workers(gu.pid, 2)
        ps = PyspanEnv([gu.pid], tmp, ["--export", "stdout,xray", "--sampling", "all",
                                       "--service-name", SERVICE, "--service-version", "2.3.4"],
                       env={"AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:%d" % daemon.port})
        ps.wait_attached(30)
        reqs = client_mix(port)
        sent = [r for r in reqs if r.label != "x-ray unsampled"]
        deadline = time.monotonic() + 5
        while len(daemon.docs) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.05)
        t.eq("%s: segments arrive while tracing (before SIGINT)" % mode, len(daemon.docs),
             len(sent))
        rc = ps.interrupt(timeout=15)
        t.eq("%s: pyspan exit code" % mode, rc, 0)
        time.sleep(0.3)
        t.check("%s: every datagram valid" % mode, not daemon.rejected, "none rejected",
                daemon.rejected[:3])
        t.check("%s: every datagram <= 64 kB" % mode, daemon.largest <= 64 * 1024,
                "<= 65536", daemon.largest)
        t.eq("%s: segments received == requests sent (less the unsampled one)" % mode,
             len(daemon.docs), len(sent))
        match(t, mode, reqs, daemon.docs, port)
        spans, bad = ps.spans()
        t.eq("%s: stdout exporter ran side by side: one span per sampled request" % mode,
             len(spans), len(sent))
        line = export_line(ps, "xray")
        t.check("%s: summary names the xray exporter with sent/retried/dropped" % mode,
                line is not None and ("%d sent, 0 retried, 0 dropped" % len(sent)) in line,
                "'export xray: %d sent, 0 retried, 0 dropped'" % len(sent), line)
        t.check("%s: summary names the stdout exporter" % mode,
                export_line(ps, "stdout") is not None, "a line", lib.tail(ps.stderr_path, 6))
        if t.failed:
            t.note("pyspan stderr:\n%s" % lib.tail(ps.stderr_path, 10))
    except lib.SetupError as e:
        t.fail("%s: scenario setup" % mode, "processes start and pyspan attaches", str(e))
    finally:
        if ps is not None:
            ps.stop(signal.SIGINT, 10)
        if gu is not None:
            gu.stop(signal.SIGTERM, 10)
        daemon.stop()


def usage_errors(t):
    """Bad X-Ray input: one clear line on stderr, exit 2, before attaching to anything."""
    base = [str(lib.PYSPAN), "--pid", str(os.getpid())]
    env0 = {k: v for k, v in os.environ.items()
            if not k.startswith("AWS_") or k == "AWS_EC2_METADATA_DISABLED"}
    cases = [
        ("malformed AWS_XRAY_DAEMON_ADDRESS", ["--export", "xray"],
         {"AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1"}, "AWS_XRAY_DAEMON_ADDRESS"),
        ("malformed AWS_XRAY_DAEMON_ADDRESS (two-address form)", ["--export", "xray"],
         {"AWS_XRAY_DAEMON_ADDRESS": "tcp:a:1 udp:b"}, "AWS_XRAY_DAEMON_ADDRESS"),
        ("unknown --export name", ["--export", "stdout,honeypot"], {}, "honeypot"),
        ("bad --sampling", ["--sampling", "1.5"], {}, "--sampling"),
        ("bad --xray-mode", ["--export", "xray", "--xray-mode", "agent"], {}, "--xray-mode"),
    ]
    for what, args, env, mention in cases:
        e = dict(env0)
        e.update(env)
        p = subprocess.run(base + args, env=e, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=10)
        err = p.stderr.decode(errors="replace").splitlines()
        t.eq("usage: %s: exit code" % what, p.returncode, 2)
        t.check("usage: %s: one line naming %s" % (what, mention),
                len(err) == 1 and mention in err[0], "1 line with %r" % mention, err)


def main():
    lib.exit_on_sigterm()
    t = lib.Tally("test_xray")
    if not os.access(lib.PYSPAN, os.X_OK):
        t.fail("pyspan binary", "an executable %s (make pyspan)" % lib.PYSPAN, "missing")
        t.finish()
    usage_errors(t)
    if os.geteuid() != 0:
        t.skip("needs root to load BPF programs (running as uid %d)" % os.geteuid())
        t.finish()
    if not lib.BTF.exists():
        t.skip("kernel has no BTF (%s is missing): pyspan cannot run here" % lib.BTF)
        t.finish()
    with tempfile.TemporaryDirectory(prefix="pyspan-e2e-xray-") as tmp:
        for name, scenario in (("daemon", scenario_daemon),):
            t0 = time.monotonic()
            print("== %s" % name)
            d = Path(tmp, name)
            d.mkdir()
            scenario(t, str(d))
            t.note("%s scenario took %.1f s" % (name, time.monotonic() - t0))
    t.finish()


if __name__ == "__main__":
    main()
