# SPDX-License-Identifier: BSD-2-Clause
"""End-to-end: pyspan exports X-Ray segments for the sample service, one per request.

Daemon mode: gunicorn traced with `--export stdout,xray --sampling all` against a loopback UDP
receiver that checks every datagram as the X-Ray daemon would (header line, JSON document,
required fields, at most 64 kB); every segment is matched to the request that made it, field
by field. Then `--sampling 0`: only failed requests and the caller's Sampled=1 reach either
exporter, and every decision is counted.

Api mode (`--xray-mode api`): a loopback HTTP server stands in for PutTraceSegments. It checks
every request's SigV4 signature by recomputing it with botocore (Debian's python3-botocore)
over the request it received, and answers like the service: a 429 burst, a 500, one document
reported in UnprocessedTraceSegments; then a second run where it refuses a batch with a 400
and reports every document of the next batch unprocessed, which pyspan must count as dropped;
and a service that never answers, which must not hold pyspan past --flush-deadline.

Also the usage errors (exit 2) the X-Ray options add. Needs root and kernel BTF for the
tracing parts; otherwise they are skipped. `-v` prints passing checks too.

/usr/bin/python3 tests/e2e/test_xray.py [-v]
"""
import email.utils
import http.server
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
AKID = "AKIDPYSPANE2E"
SECRET = "e2e/secret+key/DO-NOT-LOG"
TOKEN = "e2e-session-token-DO-NOT-LOG"
REGION = "eu-west-1"


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


class XrayApi:
    """A loopback PutTraceSegments. behave(n, ids) -> (status, headers, body, unprocessed ids)
    decides each answer; n counts requests from 1."""

    def __init__(self, behave):
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        self.behave = behave
        self.docs = {}  # id -> document, as accepted
        self.requests = 0
        self.bad = []  # what was wrong with a request
        self.statuses = []
        self.batch_sizes = []
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                api.requests += 1
                n = api.requests
                problem = api.verify(self, body, SigV4Auth, AWSRequest, Credentials)
                if problem:
                    api.bad.append(problem)
                    return self.answer(403, {}, {"__type": "InvalidSignatureException",
                                                 "message": problem})
                try:
                    docs = [json.loads(d) for d in json.loads(body)["TraceSegmentDocuments"]]
                except (ValueError, KeyError, TypeError) as e:
                    api.bad.append("body: %s" % e)
                    return self.answer(400, {}, {"__type": "InvalidRequestException"})
                api.batch_sizes.append(len(docs))
                status, headers, reply, unprocessed = api.behave(n, [d.get("id") for d in docs])
                api.statuses.append(status)
                if status == 200:
                    for d in docs:
                        if d.get("id") not in unprocessed:
                            api.docs[d.get("id")] = d
                    reply = {"UnprocessedTraceSegments": [
                        {"Id": i, "ErrorCode": "InvalidSegment", "Message": "try again"}
                        for i in unprocessed]}
                self.answer(status, headers, reply)

            def answer(self, status, headers, reply):
                data = json.dumps(reply).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def verify(self, h, body, SigV4Auth, AWSRequest, Credentials):
        """None when the request is what PutTraceSegments accepts, else what is wrong."""
        if h.path != "/TraceSegments":
            return "path %r" % h.path
        auth = h.headers.get("Authorization", "")
        m = re.match(r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,"
                     r" SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$", auth)
        if not m:
            return "Authorization header %r" % auth[:60]
        akid, date, region, service, signed, sig = m.groups()
        amz_date = h.headers.get("X-Amz-Date", "")
        if (akid, region, service) != (AKID, REGION, "xray") or not amz_date.startswith(date):
            return "credential scope %s/%s/%s/%s" % (akid, date, region, service)
        when = time.mktime(time.strptime(amz_date, "%Y%m%dT%H%M%SZ")) - time.timezone
        if abs(when - time.time()) > 300:
            return "X-Amz-Date %s is not now" % amz_date
        names = signed.split(";")
        for need in ("content-type", "host", "x-amz-date", "x-amz-security-token"):
            if need not in names:
                return "%s is not signed (%s)" % (need, signed)
        if h.headers.get("X-Amz-Security-Token") != TOKEN:
            return "session token header"
        # botocore recomputes the signature over exactly what arrived.
        req = AWSRequest(method="POST", url="http://127.0.0.1:%d%s" % (self.port, h.path),
                         data=body, headers={n: h.headers.get(n, "") for n in names})
        req.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(AKID, SECRET, TOKEN), "xray", REGION)
        canonical = signer.canonical_request(req)
        want = signer.signature(signer.string_to_sign(req, canonical), req)
        if want != sig:
            return "signature %s, botocore computes %s" % (sig, want)
        return None

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def required_fields(t, what, d):
    """The segment document schema: what every segment must have, in the right form."""
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
    if r.label in ("x-ray parent", "x-ray unsampled"):
        # --sampling all keeps the caller's Sampled=0 too, with the caller's trace.
        root, parent = ((XRAY_PARENT if r.label == "x-ray parent" else XRAY_UNSAMPLED)
                        .split(";")[:2])
        t.eq(what + ": trace_id from X-Amzn-Trace-Id", d.get("trace_id"), root[5:])
        t.eq(what + ": parent_id from X-Amzn-Trace-Id", d.get("parent_id"), parent[7:])
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
        gu, _ = lib.serving_gunicorn(port, tmp)
        ps = PyspanEnv([gu.pid], tmp, ["--export", "stdout,xray", "--sampling", "all",
                                       "--service-name", SERVICE, "--service-version", "2.3.4"],
                       env={"AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:%d" % daemon.port})
        ps.wait_attached(30)
        reqs = client_mix(port)
        sent = reqs  # --sampling all: the caller's Sampled=0 is kept too
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


def scenario_sampling(t, tmp):
    """--sampling 0 keeps only what must be kept: failed requests and the caller's Sampled=1,
    for every exporter alike (stdout and xray get the same requests)."""
    mode = "sampling-0"
    port = lib.free_port()
    gu = ps = None
    daemon = UdpDaemon()
    try:
        gu, _ = lib.serving_gunicorn(port, tmp)
        ps = PyspanEnv([gu.pid], tmp, ["--export", "stdout,xray", "--sampling", "0"],
                       env={"AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:%d" % daemon.port})
        ps.wait_attached(30)
        reqs = client_mix(port)
        kept = sorted(r.label for r in reqs if r.status >= 400 or r.label == "x-ray parent")
        rc = ps.interrupt(timeout=15)
        t.eq("%s: pyspan exit code" % mode, rc, 0)
        time.sleep(0.3)

        def label(method, path):
            for r in reqs:
                if (r.method, r.path) == (method, path):
                    return r.label
            return "%s %s" % (method, path)

        got_x = sorted(label(d["http"]["request"]["method"],
                             re.sub(r"^http://[^/]*", "", d["http"]["request"]["url"])
                             .split("?")[0]) for d in daemon.docs)
        spans, _ = ps.spans()
        got_s = sorted(label(s.get("http.request.method"), s.get("url.path")) for s in spans)
        t.eq("%s: xray got the errors and the caller-sampled request only" % mode, got_x, kept)
        t.eq("%s: stdout got the same requests" % mode, got_s, kept)
        line = next((l for l in ps.stderr_text().splitlines() if "pyspan: sampling:" in l), "")
        want = "%d kept, 1 not sampled by the caller, %d not sampled here" % (
            len(kept), len(reqs) - len(kept) - 1)
        t.check("%s: summary counts every decision" % mode, want in line, want, line)
    except lib.SetupError as e:
        t.fail("%s: scenario setup" % mode, "processes start and pyspan attaches", str(e))
    finally:
        if ps is not None:
            ps.stop(signal.SIGINT, 10)
        if gu is not None:
            gu.stop(signal.SIGTERM, 10)
        daemon.stop()


def api_env(api):
    env = {k: "" for k in os.environ if k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET,
                "AWS_SESSION_TOKEN": TOKEN, "AWS_REGION": REGION,
                "AWS_EC2_METADATA_DISABLED": "true"})
    return env


def run_api(t, tmp, mode, api, client):
    """gunicorn traced with --xray-mode api against api; client(port) sends the requests.
    Returns (requests, pyspan) after pyspan exited."""
    port = lib.free_port()
    gu = ps = None
    try:
        gu, _ = lib.serving_gunicorn(port, tmp)
        ps = PyspanEnv([gu.pid], tmp, ["--export", "xray", "--xray-mode", "api",
                                       "--xray-endpoint", "http://127.0.0.1:%d" % api.port,
                                       "--sampling", "all", "--service-name", SERVICE,
                                       "--service-version", "2.3.4"], env=api_env(api))
        ps.wait_attached(30)
        reqs = client(port)
        return reqs, ps, port
    except lib.SetupError as e:
        t.fail("%s: scenario setup" % mode, "processes start and pyspan attaches", str(e))
        if ps is not None:
            ps.stop(signal.SIGINT, 10)
        return None, None, None
    finally:
        if gu is not None and ps is None:
            gu.stop(signal.SIGTERM, 10)
        run_api.gunicorn = gu


def stop_api_run(t, mode, ps):
    rc = ps.interrupt(timeout=20)
    t.eq("%s: pyspan exit code" % mode, rc, 0)
    err = ps.stderr_text()
    t.check("%s: no secret on stderr" % mode, SECRET not in err and TOKEN not in err,
            "neither the secret key nor the session token", "found")
    if run_api.gunicorn is not None:
        run_api.gunicorn.stop(signal.SIGTERM, 10)


def scenario_api(t, tmp):
    """Throttled twice, then a 500, then one document unprocessed once: all arrive."""
    mode = "api"
    first_unprocessed = []

    def behave(n, ids):
        if n <= 2:
            # Both Retry-After forms: seconds, then an HTTP-date (now, so no wait).
            ra = "0" if n == 1 else email.utils.formatdate(usegmt=True)
            return 429, {"Retry-After": ra}, {"__type": "ThrottledException",
                                               "message": "Rate exceeded"}, []
        if n == 3:
            return 500, {}, {"__type": "InternalFailure"}, []
        if not first_unprocessed and ids:
            first_unprocessed.append(ids[0])
            return 200, {}, None, [ids[0]]
        return 200, {}, None, []

    api = XrayApi(behave)
    try:
        reqs, ps, port = run_api(t, tmp, mode, api, client_mix)
        if reqs is None:
            return
        sent = reqs  # --sampling all: the caller's Sampled=0 is kept too
        deadline = time.monotonic() + 20
        while len(api.docs) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.1)
        t.eq("%s: segments delivered while tracing (before SIGINT)" % mode, len(api.docs),
             len(sent))
        stop_api_run(t, mode, ps)
        t.check("%s: every request's SigV4 signature verifies with botocore" % mode,
                not api.bad and api.requests > 0, "no bad request", api.bad[:3])
        t.check("%s: the service saw the 429 burst, the 500 and then success" % mode,
                api.statuses[:3] == [429, 429, 500] and 200 in api.statuses,
                "[429, 429, 500, 200...]", api.statuses)
        t.check("%s: at most 50 documents per request" % mode,
                all(0 < n <= 50 for n in api.batch_sizes), "1..50", api.batch_sizes)
        t.check("%s: the unprocessed document was sent again and accepted" % mode,
                bool(first_unprocessed) and first_unprocessed[0] in api.docs,
                "accepted on retry", first_unprocessed)
        t.eq("%s: segments received == requests sent (less the unsampled one)" % mode,
             len(api.docs), len(sent))
        match(t, mode, reqs, list(api.docs.values()), port)
        line = export_line(ps, "xray")
        m = re.search(r"(\d+) sent, (\d+) retried, (\d+) dropped", line or "")
        t.check("%s: summary: all sent, retries counted, none dropped" % mode,
                m is not None and int(m.group(1)) == len(sent) and int(m.group(2)) > 0
                and int(m.group(3)) == 0, "%d sent, >0 retried, 0 dropped" % len(sent), line)
        if t.failed:
            t.note("pyspan stderr:\n%s" % lib.tail(ps.stderr_path, 12))
    finally:
        api.stop()


def scenario_api_rejects(t, tmp):
    """A 400 is not retried and is logged once with the service's words; documents
    unprocessed twice are dropped; both are counted."""
    mode = "api-rejects"

    def behave(n, ids):
        if n == 1:
            return 400, {}, {"__type": "InvalidRequestException",
                             "message": "bad segments in batch"}, []
        return 200, {}, None, list(ids)

    def client(port):
        first = [lib.send_one(port, Req("GET", "/api/activities/%d" % i)) for i in (1, 2, 3)]
        time.sleep(2.5)  # the first batch goes (and is refused) before these are made
        return first + [lib.send_one(port, Req("GET", "/health")) for _ in range(2)]

    api = XrayApi(behave)
    try:
        reqs, ps, port = run_api(t, tmp, mode, api, client)
        if reqs is None:
            return
        deadline = time.monotonic() + 10
        while api.requests < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        stop_api_run(t, mode, ps)
        t.check("%s: signatures verify" % mode, not api.bad, "none bad", api.bad[:3])
        t.eq("%s: requests: the refused batch once (not retried), a batch, its retry"
             % mode, api.statuses, [400, 200, 200])
        err = ps.stderr_text().splitlines()
        refused = [l for l in err if "InvalidRequestException: bad segments in batch" in l]
        t.eq("%s: the 400 logged once with the service's message" % mode, len(refused), 1)
        line = export_line(ps, "xray")
        t.check("%s: summary: 0 sent, 2 retried, 5 dropped" % mode,
                line is not None and "0 sent, 2 retried, 5 dropped" in line,
                "0 sent, 2 retried, 5 dropped", line)
        t.eq("%s: nothing accepted" % mode, len(api.docs), 0)
        if t.failed:
            t.note("pyspan stderr:\n%s" % lib.tail(ps.stderr_path, 12))
    finally:
        api.stop()


def scenario_api_hangs(t, tmp):
    """A service that accepts and never answers: pyspan still stops within --flush-deadline
    and counts what it could not deliver."""
    mode = "api-hangs"
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        lsock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(lsock.accept()[0])
            except socket.timeout:
                continue
            except OSError:
                return

    th = threading.Thread(target=accept, daemon=True)
    th.start()
    port = lib.free_port()
    gu = ps = None
    try:
        gu, _ = lib.serving_gunicorn(port, tmp)
        env = api_env(None)
        ps = PyspanEnv([gu.pid], tmp, ["--export", "xray", "--xray-mode", "api",
                                       "--xray-endpoint",
                                       "http://127.0.0.1:%d" % lsock.getsockname()[1],
                                       "--sampling", "all", "--flush-deadline", "2"], env=env)
        ps.wait_attached(30)
        for i in range(3):
            lib.send_one(port, Req("GET", "/api/activities/%d" % (i + 1)))
        time.sleep(1.5)  # the batch is on the wire, unanswered
        t0 = time.monotonic()
        rc = ps.interrupt(timeout=15)
        took = time.monotonic() - t0
        t.eq("%s: pyspan exit code" % mode, rc, 0)
        t.check("%s: stopped within the 2 s flush deadline (plus slack)" % mode, took < 4.5,
                "< 4.5 s", "%.1f s" % took)
        t.check("%s: the service saw the request" % mode, len(held) >= 1, ">= 1 connection",
                len(held))
        line = export_line(ps, "xray")
        t.check("%s: summary: 0 sent, 3 dropped" % mode,
                line is not None and "0 sent, 0 retried, 3 dropped" in line,
                "0 sent, 0 retried, 3 dropped", line)
    except lib.SetupError as e:
        t.fail("%s: scenario setup" % mode, "processes start and pyspan attaches", str(e))
    finally:
        if ps is not None:
            ps.stop(signal.SIGINT, 10)
        if gu is not None:
            gu.stop(signal.SIGTERM, 10)
        stop.set()
        th.join(2)
        for c in held:
            c.close()
        lsock.close()


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
        ("bad --flush-deadline", ["--flush-deadline", "soon"], {}, "--flush-deadline"),
        ("api mode without a region", ["--export", "xray", "--xray-mode", "api"],
         {"AWS_CONFIG_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"},
         "AWS_REGION"),
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
        for name, scenario in (("daemon", scenario_daemon), ("sampling-0", scenario_sampling),
                               ("api", scenario_api),
                               ("api-rejects", scenario_api_rejects),
                               ("api-hangs", scenario_api_hangs)):
            t0 = time.monotonic()
            print("== %s" % name)
            d = Path(tmp, name)
            d.mkdir()
            scenario(t, str(d))
            t.note("%s scenario took %.1f s" % (name, time.monotonic() - t0))
    t.finish()


if __name__ == "__main__":
    main()
