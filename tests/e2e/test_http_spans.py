# SPDX-License-Identifier: BSD-2-Clause
"""End-to-end: pyspan attached to the sample service reports one correct span per request.

Runs the same client mix against gunicorn (2 sync workers, pyspan attached to the master after
the workers exist; then SIGHUP so the master forks new workers) and against werkzeug's threaded
dev server. Needs root and kernel BTF; otherwise it is skipped. `-v` prints passing checks too.

/usr/bin/python3 tests/e2e/test_http_spans.py [-v]
"""
import http.client
import json
import os
import re
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib  # noqa: E402
from lib import Req  # noqa: E402

sys.path.insert(0, str(lib.REPO))
from demo.app import BIG_SIZE, STREAM_TOTAL  # noqa: E402

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
XRAY = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
SECRETS = ["secret-token-123", "session=abc"]
REPLY_UUID = "0b9f4a2e-1c7d-4e2f-9a3b-5d6e7f8a9b0c"
POST_BODY = json.dumps({"handle": "andrewbrown", "message": "Hello from the e2e test"}).encode()

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
DURATION_SLACK_MS = 0.5  # rounding only
WALL_CLOCK_SLACK_S = 1.0


def expected_route(path):
    """The route pyspan must infer for the paths this test sends."""
    segs = ["{id}" if (s.isdigit() or s == REPLY_UUID) else s for s in path.split("/")]
    return "/".join(segs)


def client_mix(port):
    """Send the known mix, one request after another. Returns the requests in send order and
    the list of requests of the keep-alive series."""
    reqs = []

    def one(req):
        reqs.append(lib.send_one(port, req))

    one(Req("GET", "/api/activities?limit=2"))
    one(Req("GET", "/api/activities/42"))
    one(Req("POST", "/api/activities", {"Content-Type": "application/json"}, POST_BODY))

    # Keep-alive series: one HTTPConnection reused for three GETs.
    series = [Req("GET", "/health"),
              Req("GET", "/api/activities/%s/replies" % REPLY_UUID),
              Req("GET", "/api/activities/1001")]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for r in series:
            reqs.append(lib.send(conn, r))
    finally:
        conn.close()

    one(Req("GET", "/nope"))
    one(Req("GET", "/api/fail"))
    stream = Req("GET", "/api/stream")
    reqs.append(lib.send_raw(port, stream))  # raw socket: the chunk framing is checked too
    one(Req("GET", "/api/big"))
    one(Req("GET", "/api/activities/101", {"traceparent": TRACEPARENT}, label="traceparent"))
    one(Req("GET", "/api/activities/202", {"X-Amzn-Trace-Id": XRAY}, label="x-ray"))
    one(Req("GET", "/api/activities?limit=1",
            {"Authorization": "Bearer secret-token-123", "Cookie": "session=abc"},
            label="authorization+cookie"))
    return reqs, series


def check_client_side(t, server, reqs, series, keepalive_expected):
    """What the client saw: guards the scenario itself (not pyspan)."""
    by_label = {r.label: r for r in reqs}
    want = {"GET /api/activities?limit=2": 200, "GET /api/activities/42": 200,
            "POST /api/activities": 201, "GET /health": 200, "GET /api/activities/1001": 404,
            "GET /nope": 404, "GET /api/fail": 500, "GET /api/stream": 200,
            "GET /api/big": 200, "traceparent": 200, "x-ray": 200,
            "authorization+cookie": 200}
    for label, status in want.items():
        t.eq("%s: client got status for %s" % (server, label), by_label[label].status, status)
    s = by_label["GET /api/stream"]
    t.eq("%s: /api/stream is sent chunked" % server,
         s.resp_headers.get("transfer-encoding", "").lower(), "chunked")
    t.check("%s: /api/stream chunk framing decodes" % server, s.chunked_ok, "valid chunks",
            repr(s.raw_body[:60]))
    t.eq("%s: /api/stream payload bytes" % server, len(s.resp_body), STREAM_TOTAL)
    b = by_label["GET /api/big"]
    t.eq("%s: /api/big payload bytes" % server, len(b.resp_body), BIG_SIZE)
    t.eq("%s: /api/big Content-Length" % server, b.resp_headers.get("content-length"),
         str(BIG_SIZE))
    if keepalive_expected:
        ports = [r.client_port for r in series]
        conns = [r.conn_id for r in series]
        t.check("%s: keep-alive series used one connection" % server,
                len(set(ports)) == 1 and len(set(conns)) == 1,
                "one client port and socket for 3 requests", "client ports %s" % ports)
        t.check("%s: no 'Connection: close' in the keep-alive series" % server,
                all(r.resp_headers.get("connection", "").lower() != "close" for r in series),
                "no Connection: close", [r.resp_headers.get("connection") for r in series])
    else:
        t.note("%s: sync workers close every connection (Connection: %s), so the keep-alive "
               "series used %d connections"
               % (server, series[0].resp_headers.get("connection"),
                  len(set(r.client_port for r in series))))


def span_key(method, path, query):
    # Keys of the query only: a redaction bug must show up as a url.query failure, not as a
    # request without a span.
    return (method, path, lib.query_keys(query))


def match(t, server, reqs, spans):
    """Pair spans with requests by method + path + query keys, in order. Reports leftovers."""
    t.eq("%s: number of spans" % server, len(spans), len(reqs))
    pool = {}
    for s in sorted(spans, key=lambda s: (s.get("start_time_unix_nano") or 0)):
        k = span_key(s.get("http.request.method"), s.get("url.path"), s.get("url.query") or "")
        pool.setdefault(k, []).append(s)
    pairs = []
    for r in reqs:
        cands = pool.get(span_key(r.method, r.path, r.query))
        if cands:
            pairs.append((r, cands.pop(0)))
        else:
            t.fail("%s: a span for %s" % (server, r.label), "one span with method %s, url.path %s"
                   % (r.method, r.path), "none left")
    left = [s for v in pool.values() for s in v]
    t.check("%s: no span without a request" % server, not left, "none",
            "; ".join(json.dumps(s, sort_keys=True) for s in left))
    return pairs


def check_span(t, server, port, r, s, expect_pid, pid_set):
    what = lambda field: "%s: %s: %s" % (server, r.label, field)  # noqa: E731
    route = expected_route(r.path)
    t.eq(what("http.request.method"), s.get("http.request.method"), r.method)
    t.eq(what("url.path"), s.get("url.path"), r.path)
    if r.query:
        t.eq(what("url.query"), s.get("url.query"), lib.redact_query(r.query))
    else:
        t.check(what("url.query absent"), "url.query" not in s, "no url.query key",
                repr(s.get("url.query")))
    t.eq(what("http.route"), s.get("http.route"), route)
    t.eq(what("name"), s.get("name"), "%s %s" % (r.method, route))
    t.eq(what("kind"), s.get("kind"), "server")
    t.eq(what("http.response.status_code"), s.get("http.response.status_code"), r.status)
    if r.body:
        t.eq(what("http.request.body.size"), s.get("http.request.body.size"), len(r.body))
    else:
        t.check(what("http.request.body.size"), s.get("http.request.body.size", 0) == 0,
                "0 or absent", repr(s.get("http.request.body.size")))
    t.eq(what("http.response.body.size"), s.get("http.response.body.size"), len(r.resp_body))
    t.eq(what("user_agent.original"), s.get("user_agent.original"), lib.USER_AGENT)
    t.eq(what("client.address"), s.get("client.address"), "127.0.0.1")
    t.eq(what("server.port"), s.get("server.port"), port)
    t.eq(what("client.port"), s.get("client.port"), r.client_port)
    pid = s.get("process.pid")
    t.check(what("process.pid"), pid == expect_pid and pid in pid_set,
            "%s (the pid that served it, one of %s)" % (expect_pid, sorted(pid_set)), repr(pid))

    tid, sid = s.get("trace_id"), s.get("span_id")
    t.check(what("trace_id is 32 lowercase hex"), isinstance(tid, str) and HEX32.match(tid),
            "32 lowercase hex digits", repr(tid))
    t.check(what("span_id is 16 lowercase hex"), isinstance(sid, str) and HEX16.match(sid),
            "16 lowercase hex digits", repr(sid))
    if r.label == "traceparent":
        t.eq(what("trace_id from traceparent"), tid, "4bf92f3577b34da6a3ce929d0e0e4736")
        t.eq(what("parent_span_id from traceparent"), s.get("parent_span_id"),
             "00f067aa0ba902b7")
    elif r.label == "x-ray":
        t.eq(what("trace_id from X-Amzn-Trace-Id"), tid, "5759e988bd862e3fe1be46a994272793")
        t.eq(what("parent_span_id from X-Amzn-Trace-Id"), s.get("parent_span_id"),
             "53995c3f42cd8ad8")
    else:
        t.check(what("no parent_span_id"), not s.get("parent_span_id"), "absent, null or empty",
                repr(s.get("parent_span_id")))
        if isinstance(tid, str) and HEX32.match(tid):
            epoch = int(tid[:8], 16)
            t.check(what("trace_id starts with the epoch second"),
                    abs(epoch - r.wall_start) <= 60,
                    "within 60 s of %d" % r.wall_start, "%d (%+.0f s)" % (epoch,
                                                                          epoch - r.wall_start))

    start, end, dur = (s.get("start_time_unix_nano"), s.get("end_time_unix_nano"),
                       s.get("duration_ms"))
    ints = isinstance(start, int) and isinstance(end, int)
    t.check(what("start_time_unix_nano < end_time_unix_nano"), ints and start < end,
            "integers, start < end", "%r, %r" % (start, end))
    t.check(what("duration_ms <= client-observed duration"),
            isinstance(dur, (int, float)) and 0 < dur <= r.duration_ms + DURATION_SLACK_MS,
            "0 < duration_ms <= %.3f (client %.3f ms + %.1f)"
            % (r.duration_ms + DURATION_SLACK_MS, r.duration_ms, DURATION_SLACK_MS), repr(dur))
    if ints and isinstance(dur, (int, float)):
        t.check(what("duration_ms == (end - start) / 1e6"),
                abs((end - start) / 1e6 - dur) <= 0.01,
                "%.4f" % ((end - start) / 1e6), repr(dur))
        lo, hi = r.wall_start - WALL_CLOCK_SLACK_S, r.wall_end + WALL_CLOCK_SLACK_S
        t.check(what("start/end within the client's wall-clock window"),
                lo * 1e9 <= start and end <= hi * 1e9,
                "between %.3f and %.3f (unix s)" % (lo, hi),
                "%.3f .. %.3f" % (start / 1e9, end / 1e9))


def check_output(t, server, port, ps, reqs, pid_of, pid_set_of):
    """Everything about pyspan's output once it has exited."""
    out = ps.stdout_text()
    for secret in SECRETS:
        t.check("%s: %r never appears on stdout" % (server, secret), secret not in out,
                "absent", "found in: %s" % next((l for l in out.splitlines() if secret in l), ""))
    spans, bad = ps.spans()
    t.check("%s: every stdout line is a JSON object" % server, not bad, "no other lines",
            "%d other lines, first: %r" % (len(bad), bad[:1]))
    for r, s in match(t, server, reqs, spans):
        check_span(t, server, port, r, s, pid_of(r), pid_set_of(r))
    line = ps.summary_line()
    t.check("%s: summary line on stderr" % server, line is not None,
            "a stderr line containing 'spans'", lib.tail(ps.stderr_path, 5))
    if line is not None:
        t.eq("%s: spans in the summary == spans on stdout" % server,
             lib.summary_number(line, "spans"), len(spans))
        t.note("%s: %s" % (server, line.strip()))


def stop_pyspan(t, server, ps, expected_lines):
    ps.wait_lines(expected_lines, timeout=5)
    # Spans must reach stdout as requests complete, not only when pyspan exits.
    live = ps.stdout_text().count("\n")
    t.check("%s: spans written while tracing (before SIGINT)" % server,
            live >= expected_lines, "%d lines within 5 s of the last response" % expected_lines,
            "%d lines" % live)
    rc = ps.interrupt(timeout=15)
    t.eq("%s: pyspan exit code after SIGINT" % server, rc, 0)
    if rc != 0:
        t.note("pyspan stderr:\n%s" % lib.tail(ps.stderr_path, 20))


def scenario_gunicorn(t, tmp):
    server = "gunicorn"
    port = lib.free_port()
    gu = ps = None
    try:
        gu, workers = lib.serving_gunicorn(port, tmp)
        t.note("gunicorn master %d, workers %s, port %d" % (gu.pid, workers, port))
        ps = lib.Pyspan([gu.pid], tmp)
        ps.wait_attached(30)

        reqs, series = client_mix(port)
        check_client_side(t, server, reqs, series, keepalive_expected=False)
        first = list(reqs)

        # SIGHUP: the master forks new workers (after pyspan attached) and retires the old.
        gu.send_signal(signal.SIGHUP)
        new_workers = lib.wait_workers(gu.pid, 2, timeout=30, old=workers)
        t.note("after SIGHUP: workers %s" % new_workers)
        after = []
        for i in range(4):
            after.append(lib.send_one(port, Req("GET", "/api/activities/%d" % (i + 1),
                                                label="after SIGHUP #%d" % (i + 1))))
        t.check("%s: new workers served the requests after SIGHUP" % server,
                all(r.served_by in new_workers for r in after), "X-Served-By in %s" % new_workers,
                [r.served_by for r in after])
        reqs += after

        stop_pyspan(t, server, ps, len(reqs))
        check_output(t, server, port, ps, reqs,
                     pid_of=lambda r: r.served_by,
                     pid_set_of=lambda r: set(workers) if r in first else set(new_workers))
    except lib.SetupError as e:
        t.fail("%s: scenario setup" % server, "processes start and pyspan attaches", str(e))
    finally:
        if ps is not None:
            ps.stop(signal.SIGINT, 10)
        if gu is not None:
            gu.stop(signal.SIGTERM, 10)


def scenario_werkzeug(t, tmp):
    server = "werkzeug"
    port = lib.free_port()
    wz = ps = None
    try:
        wz = lib.start_werkzeug(port, tmp)
        lib.wait_port(port, wz)
        t.note("werkzeug pid %d, port %d" % (wz.pid, port))
        ps = lib.Pyspan([wz.pid], tmp)
        ps.wait_attached(30)

        reqs, series = client_mix(port)
        check_client_side(t, server, reqs, series, keepalive_expected=True)
        stop_pyspan(t, server, ps, len(reqs))
        check_output(t, server, port, ps, reqs,
                     pid_of=lambda r: wz.pid, pid_set_of=lambda r: {wz.pid})
    except lib.SetupError as e:
        t.fail("%s: scenario setup" % server, "processes start and pyspan attaches", str(e))
    finally:
        if ps is not None:
            ps.stop(signal.SIGINT, 10)
        if wz is not None:
            wz.stop(signal.SIGTERM, 10)


def main():
    lib.exit_on_sigterm()
    t = lib.Tally("test_http_spans")
    lib.require_bpf(t)
    with tempfile.TemporaryDirectory(prefix="pyspan-e2e-") as tmp:
        for name, scenario in (("gunicorn", scenario_gunicorn), ("werkzeug", scenario_werkzeug)):
            t0 = time.monotonic()
            print("== %s" % name)
            before = t.failed
            scenario(t, _subdir(tmp, name))
            if t.failed != before:
                for f in ("pyspan.stderr", "%s.stderr" % name):
                    t.note("%s (last lines):\n%s" % (f, lib.tail(Path(tmp, name, f), 15)))
            t.note("%s scenario took %.1f s" % (name, time.monotonic() - t0))
    t.finish()


def _subdir(tmp, name):
    d = Path(tmp, name)
    d.mkdir()
    return str(d)


if __name__ == "__main__":
    main()
