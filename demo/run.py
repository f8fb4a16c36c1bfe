# SPDX-License-Identifier: BSD-2-Clause
"""`make demo`: run the sample service under gunicorn, trace it with pyspan, print what it saw.

/usr/bin/python3 demo/run.py [--export xray]      (as root, from the repository root)

Starts gunicorn (2 sync workers) on a free loopback port, attaches ./pyspan to the master,
sends a short burst of requests over every route (including a failing one and a 404), stops
pyspan and prints one row per captured span. Exits non-zero when pyspan captured fewer spans
than requests were sent. Everything it starts is stopped on the way out, whatever happens.
With --export xray, pyspan also sends X-Ray segments to a loopback stand-in for the X-Ray
daemon, and the demo shows how many arrived and the failing request's segment.
"""
import argparse
import http.client
import json
import os
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import lib  # noqa: E402


def burst(port):
    """~20 requests over all routes; returns how many were sent (and answered)."""
    targets = [
        ("GET", "/health", None),
        ("GET", "/api/activities", None),
        ("GET", "/api/activities?limit=5", None),
        ("GET", "/api/activities/1", None),
        ("GET", "/api/activities/42", None),
        ("GET", "/api/activities/1001", None),
        ("POST", "/api/activities", b'{"handle": "andrewbrown", "message": "Cloud is fun!"}'),
        ("GET", "/api/activities/0b9f4a2e-1c7d-4e2f-9a3b-5d6e7f8a9b0c/replies", None),
        ("GET", "/api/fail", None),
        ("GET", "/nope", None),
        ("GET", "/api/stream", None),
        ("GET", "/api/big", None),
        ("GET", "/api/activities?limit=2", None),
        ("POST", "/api/activities", b'{"message": "I am out of prune juice"}'),
        ("GET", "/api/activities/7", None),
        ("GET", "/api/fail", None),
        ("GET", "/health", None),
        ("GET", "/api/activities/999", None),
        ("GET", "/favicon.ico", None),
        ("GET", "/api/activities?limit=1", None),
    ]
    for method, target, body in targets:
        headers = {"Content-Type": "application/json"} if body else {}
        lib.send_one(port, lib.Req(method, target, headers, body or b""))
    return len(targets)


def table(spans):
    spans = sorted(spans, key=lambda s: s.get("start_time_unix_nano") or 0)
    t0 = (spans[0].get("start_time_unix_nano") or 0) if spans else 0
    cols = ("+ms", "method", "route", "status", "dur ms", "resp bytes", "pid", "exception")
    rows = []
    for s in spans:
        rows.append((
            "%.1f" % (((s.get("start_time_unix_nano") or t0) - t0) / 1e6),
            str(s.get("http.request.method", "?")),
            str(s.get("http.route", s.get("url.path", "?"))),
            str(s.get("http.response.status_code", "?")),
            "%.2f" % s["duration_ms"] if isinstance(s.get("duration_ms"), (int, float)) else "?",
            str(s.get("http.response.body.size", "?")),
            str(s.get("process.pid", "?")),
            str(s.get("exception.type") or "-"),
        ))
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c)
              for i, c in enumerate(cols)]
    right = {0, 3, 4, 5, 6}
    fmt = lambda r: "  ".join(v.rjust(w) if i in right else v.ljust(w)  # noqa: E731
                              for i, (v, w) in enumerate(zip(r, widths))).rstrip()
    print(fmt(cols))
    for r in rows:
        print(fmt(r))


def exceptions(spans):
    """For each failing request: the exception and where it was raised, as pyspan read it."""
    failed = [s for s in spans if s.get("exception.type")]
    if not failed:
        return
    print()
    print("Exceptions (%s):" % ", ".join(sorted({
        "read from the interpreter" if s.get("pyspan.exception_source") == "interpreter"
        else "parsed from the traceback text" for s in failed})))
    seen = set()
    for s in failed:
        frames = s.get("exception.stacktrace") or []
        inner = frames[-1] if frames else {}
        key = (s.get("exception.type"), inner.get("file"), inner.get("line"))
        if key in seen:
            continue
        seen.add(key)
        print("  %s %s -> %s: %s" % (s.get("http.request.method"), s.get("url.path"),
                                    s.get("exception.type"), s.get("exception.message", "")))
        for f in frames[-3:]:
            print("      at %s:%s in %s" % (os.path.relpath(f.get("file", "?"), REPO)
                                         if str(f.get("file", "")).startswith(str(REPO))
                                         else f.get("file", "?"), f.get("line"), f.get("function")))


class DaemonStandIn:
    """Collects the segment documents pyspan sends to "the X-Ray daemon" on loopback UDP."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.address = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.docs = []
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                data = self.sock.recv(70000)
            except socket.timeout:
                continue
            header, _, body = data.partition(b"\n")
            try:
                if json.loads(header).get("format") == "json":
                    self.docs.append(json.loads(body))
            except ValueError:
                pass

    def stop(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


def xray_report(daemon, sent):
    print()
    print("X-Ray: %d segments reached the daemon at %s (%d requests sent)"
          % (len(daemon.docs), daemon.address, sent))
    failed = [d for d in daemon.docs if d.get("fault") and d.get("cause")]
    if failed:
        d = failed[0]
        ex = d["cause"]["exceptions"][0]
        short = {k: d[k] for k in ("name", "id", "trace_id", "start_time", "end_time", "fault")}
        short["http"] = d.get("http")
        short["cause"] = {"exceptions": [dict(ex, stack=ex.get("stack", [])[:2])]}
        print("The failing request's segment (stack cut to 2 frames here):")
        print(json.dumps(short, indent=2))


def report(sent, spans, bad, summary, rc, ps):
    print()
    if spans:
        table(spans)
        exceptions(spans)
        print()
    drops = lib.summary_number(summary, "ring-buffer drops")
    print("%d requests sent, %d spans captured, %s ring-buffer drops"
          % (sent, len(spans), "?" if drops is None else drops))
    problems = []
    if rc != 0:
        problems.append("pyspan exited with %s after SIGINT (expected 0)"
                        % ("no exit (killed)" if rc is None else rc))
    if bad:
        problems.append("%d stdout lines were not JSON objects, first: %r"
                        % (len(bad), bad[0][:200]))
    if not spans:
        problems.append("pyspan captured nothing")
    elif len(spans) < sent:
        problems.append("pyspan captured %d spans for %d requests" % (len(spans), sent))
    if problems:
        print("pyspan stderr (last lines):\n%s" % lib.tail(ps.stderr_path, 15),
              file=sys.stderr)
        sys.exit("demo: FAILED: " + "; ".join(problems))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--export", metavar="NAME", choices=["stdout", "xray"],
                    help="also send to this backend: xray (a loopback stand-in daemon)")
    args = ap.parse_args()
    lib.exit_on_sigterm()
    daemon = None
    if not os.access(lib.PYSPAN, os.X_OK):
        sys.exit("demo: FAILED: %s is missing: run `make pyspan` first" % lib.PYSPAN)
    if os.geteuid() != 0:
        sys.exit("demo: FAILED: pyspan loads BPF programs and needs root (uid is %d)"
                 % os.geteuid())

    with tempfile.TemporaryDirectory(prefix="pyspan-demo-") as tmp:
        gu = ps = None
        try:
            port = lib.free_port()
            gu, workers = lib.serving_gunicorn(port, tmp)
            print("demo: gunicorn master %d, workers %s, http://127.0.0.1:%d"
                  % (gu.pid, " ".join(map(str, workers)), port))
            extra = []
            if args.export == "xray":
                daemon = DaemonStandIn()
                os.environ["AWS_XRAY_DAEMON_ADDRESS"] = daemon.address
                extra = ["--export", "stdout,xray", "--sampling", "all"]
            ps = lib.Pyspan([gu.pid], tmp, extra)
            ps.wait_attached(30)
            print("demo: pyspan %d attached; sending requests" % ps.pid)
            try:
                sent = burst(port)
            except (OSError, http.client.HTTPException) as e:
                raise lib.SetupError("a request to the sample service failed: %s" % e)
            ps.wait_lines(sent, timeout=5)
            rc = ps.interrupt(timeout=15)
            spans, bad = ps.spans()
            summary = ps.summary_line()
        except lib.SetupError as e:
            sys.exit("demo: FAILED: %s" % e)
        finally:
            if ps is not None:
                ps.stop(signal.SIGINT, 10)
            if gu is not None:
                gu.stop(signal.SIGTERM, 10)
            if daemon is not None:
                daemon.stop()

        report(sent, spans, bad, summary, rc, ps)
        if daemon is not None:
            xray_report(daemon, sent)


if __name__ == "__main__":
    main()
