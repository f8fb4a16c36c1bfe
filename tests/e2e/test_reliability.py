# SPDX-License-Identifier: BSD-2-Clause
"""Redaction and self-observability against a traced gunicorn.

Requests carry secrets in every place a span could take them from (path, query, headers, user
agent); stdout must hold none of them. While tracing, GET /metrics on --metrics-port answers in
Prometheus text with the spans counted, and --stats prints its line.

/usr/bin/python3 tests/e2e/test_reliability.py [-v]
"""
import signal
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib  # noqa: E402

AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl"
SECRETS = [AKID, SECRET, JWT, "hunter2", "s3ss10n", "tok-999", "acct-4242"]


def main():
    t = lib.Tally("reliability")
    lib.require_bpf(t)
    tmp = tempfile.mkdtemp(prefix="pyspan-rel-")
    port, mport = lib.free_port(), lib.free_port()
    gu = ps = None
    try:
        gu, _ = lib.serving_gunicorn(port, tmp)
        ps = lib.Pyspan([gu.pid], tmp, ["--metrics-port", str(mport), "--stats", "1",
                                        "--redact-pattern", "acct-[0-9]+",
                                        "--query-allow", "page"])
        ps.wait_attached(30)
        reqs = [
            lib.Req("GET", "/api/keys/%s?page=2&token=tok-999" % AKID),
            lib.Req("GET", "/api/reset/%s" % JWT, {"Authorization": "Bearer " + JWT}),
            lib.Req("GET", "/api/accounts/acct-4242", {"Cookie": "session=s3ss10n",
                                                        "X-Api-Key": "tok-999"}),
            lib.Req("GET", "/api/x?aws_secret_access_key=%s" % SECRET.replace("/", "%2F"),
                    {"User-Agent": "bot password=hunter2",
                     "X-Forwarded-For": "10.0.0.1 token=tok-999"}),
        ]
        for r in reqs:
            lib.send_one(port, r)
        ps.wait_lines(len(reqs), 10)
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=5) as resp:
                ctype, text = resp.headers.get("Content-Type"), resp.read().decode()
        except OSError as e:
            ctype, text = None, str(e)
        t.eq("metrics: content type", ctype, "text/plain; version=0.0.4; charset=utf-8")
        t.check("metrics: spans counted while tracing",
                "pyspan_spans_total %d\n" % len(reqs) in text, "pyspan_spans_total 4", text[:400])
        t.check("metrics: drops by cause", 'pyspan_drops_total{cause="ringbuf_data"}' in text,
                "a ringbuf_data sample", text[:200])
        t.check("metrics: stdout exporter", 'pyspan_export_sent_total{exporter="stdout"}' in text,
                "an exporter sample", text[-300:])
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/other" % mport, timeout=5)
            code = 200
        except urllib.error.HTTPError as e:
            code = e.code
        t.eq("metrics: 404 elsewhere", code, 404)
        time.sleep(1.5)
        rc = ps.interrupt(timeout=15)
        t.eq("pyspan exit code", rc, 0)
        out, err = ps.stdout_text(), ps.stderr_text()
        spans, bad = ps.spans()
        t.eq("one span per request", len(spans), len(reqs))
        for s in SECRETS:
            t.check("no %r on stdout" % s, s not in out and s.replace("/", "%2F") not in out,
                    "absent", out[:300])
            t.check("no %r in pyspan's log" % s, s not in err, "absent", err[-300:])
        paths = sorted(s.get("url.path") for s in spans)
        t.eq("paths keep their shape", paths, sorted(["/api/keys/REDACTED", "/api/reset/REDACTED",
                                                      "/api/accounts/REDACTED", "/api/x"]))
        q = [s.get("url.query") for s in spans if s.get("url.path") == "/api/keys/REDACTED"]
        t.eq("query: allowed value kept, the rest redacted", q, ["page=2&token=REDACTED"])
        t.check("--stats line", "pyspan: stats: " in err, "a stats line", err[-300:])
    except lib.SetupError as e:
        t.fail("setup", "processes start and pyspan attaches", str(e))
    finally:
        if ps is not None:
            ps.stop(signal.SIGINT, 10)
        if gu is not None:
            gu.stop(signal.SIGTERM, 10)
    t.finish()


if __name__ == "__main__":
    main()
