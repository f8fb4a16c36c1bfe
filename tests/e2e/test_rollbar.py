# SPDX-License-Identifier: BSD-2-Clause
"""End-to-end: pyspan reports failed requests to Rollbar, one item per distinct error.

tests/e2e/apps/flask_errors.py under gunicorn (2 sync workers) is traced with
`--export rollbar` against a loopback stand-in for Rollbar's item API
(tests/e2e/receivers/rollbar.py), which checks every request as Rollbar would: the access token
header, the item schema, the size limit. The client sends failing routes (exceptions, chained
exceptions, bare 5xx statuses) with credentials in headers and the query, some repeatedly.

Checked: one item per distinct error after the dedup window, with the exact exception class,
message and innermost frame (the line of the raise, from the "# LINE:" markers), the chain for
`raise ... from` and for a raise during handling, a message body for a bare 5xx; no credential
and no access token in any body or in pyspan's output; a 429 with X-Rate-Limit headers stops
every request until its window ends, then the item is delivered; items Rollbar refuses (422)
are dropped and its message logged once; the exit summary's counts equal what the receiver
got. Also the usage errors and the --check-config masking the Rollbar settings add. Needs root
and kernel BTF for the tracing part; otherwise it is skipped. `-v` prints passing checks too.

/usr/bin/python3 tests/e2e/test_rollbar.py [-v]
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib  # noqa: E402
from lib import Req  # noqa: E402
from receivers.rollbar import RollbarReceiver, validate_item  # noqa: E402

APPS = Path(__file__).resolve().parent / "apps"
FLASK_APP = APPS / "flask_errors.py"
TOKEN = "e2eRollbarToken0123DO-NOT-LOG"
SECRETS = ["Bearer-SECRET-AUTH", "SECRET-COOKIE", "SECRET-APIKEY", "SECRET-QUERY", TOKEN]
SECRET_HEADERS = {"Authorization": "Bearer Bearer-SECRET-AUTH", "Cookie": "session=SECRET-COOKIE",
                  "X-Api-Key": "SECRET-APIKEY"}
PAUSE_S = 3
HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

# Failing routes with an exception: (class, accepted messages, innermost function, marker),
# and the exception it came from for chains (class, message, link marker).
EXCEPTIONS = {
    "/err/builtin": ("ValueError", ["bad value 17"], "err_builtin", "builtin", None),
    "/err/custom": ("shop_errors.InventoryError", ["out of stock: sku-4411"], "err_custom",
                    "custom", None),
    "/err/nested": ("KeyError", ["missing-key", "'missing-key'"], "c", "nested-c", None),
    "/err/chained": ("RuntimeError", ["conversion failed"], "err_chained", "chained",
                     ("ValueError", "invalid literal for int() with base 10: 'x'",
                      "chained-cause")),
    "/err/context": ("TypeError", ["cleanup failed"], "err_context", "context",
                     ("ZeroDivisionError", "division by zero", "context-first")),
}
REFUSED_MESSAGE = "Invalid format. data.body.message: refused for this test"


def markers(path):
    out = {}
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        m = re.search(r"#\s*LINE:([\w-]+)\s*$", line)
        if m:
            out[m.group(1)] = n
    return out


class PyspanEnv(lib.Pyspan):
    """lib.Pyspan with its own environment."""

    def __init__(self, pids, workdir, extra=(), env=None):
        argv = [lib.PYSPAN]
        for p in pids:
            argv += ["--pid", str(p)]
        argv += list(extra)
        lib.Proc.__init__(self, "pyspan", argv, workdir, cwd=str(lib.REPO), env=env)


def base_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("ROLLBAR_")}


def refuse(data):
    """Rollbar refuses the items for /status/500 and /status/501 (a 422 with its message)."""
    url = ((data or {}).get("request") or {}).get("url") or ""
    if url.endswith("/status/500") or url.endswith("/status/501"):
        return 422, REFUSED_MESSAGE
    return None


def wait_for(cond, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def path_of(item):
    url = ((item.get("request") or {}).get("url")) or ""
    return re.sub(r"^http://[^/]*", "", url).split("?")[0]


def check_common(t, what, item, r):
    t.eq(what + ": environment", item.get("environment"), "e2e")
    t.eq(what + ": level", item.get("level"), "error")
    t.eq(what + ": language", item.get("language"), "python")
    t.eq(what + ": code_version (the service version)", item.get("code_version"), "2.3.4")
    t.check(what + ": uuid is a v4 UUID", UUID4.match(item.get("uuid") or ""), "uuid4",
            item.get("uuid"))
    ts = item.get("timestamp")
    t.check(what + ": timestamp within the request", isinstance(ts, int)
            and int(r.wall_start) - 1 <= ts <= int(r.wall_end) + 1,
            "%d..%d" % (r.wall_start, r.wall_end), ts)
    req = item.get("request") or {}
    url = "http://127.0.0.1:%d%s" % (r.port, r.path)
    if r.query:
        url += "?" + lib.redact_query(r.query)
    t.eq(what + ": request.url", req.get("url"), url)
    t.eq(what + ": request.method", req.get("method"), r.method)
    t.eq(what + ": request.user_ip", req.get("user_ip"), "127.0.0.1")
    t.eq(what + ": request.headers (only what pyspan keeps, no credentials)",
         req.get("headers"), {"User-Agent": lib.USER_AGENT})
    if r.query:
        t.eq(what + ": request.query_string redacted", req.get("query_string"),
             lib.redact_query(r.query))
    srv = item.get("server") or {}
    t.eq(what + ": server.pid is the worker that served it", srv.get("pid"), r.served_by)
    t.check(what + ": server.host", isinstance(srv.get("host"), str) and srv.get("host"),
            "a host name", srv.get("host"))
    t.eq(what + ": server.root is the app's working directory", srv.get("root"), str(APPS))
    custom = item.get("custom") or {}
    t.check(what + ": custom.trace_id", HEX32.match(custom.get("trace_id") or ""),
            "32 hex", custom.get("trace_id"))
    t.check(what + ": custom.span_id", HEX16.match(custom.get("span_id") or ""),
            "16 hex", custom.get("span_id"))
    t.check(what + ": fingerprint", re.match(r"^[0-9a-f]{40}$", item.get("fingerprint") or ""),
            "40 hex", item.get("fingerprint"))
    t.eq(what + ": notifier.name", (item.get("notifier") or {}).get("name"), "pyspan")


def check_exception_item(t, what, item, r, marks):
    cls, messages, func, marker, cause = EXCEPTIONS[r.path]
    body = item.get("body") or {}
    t.eq(what + ": framework", item.get("framework"), "flask")
    if cause:
        chain = body.get("trace_chain") or [{}, {}]
        t.eq(what + ": body has trace_chain only", sorted(body), ["trace_chain"])
        t.eq(what + ": trace_chain length", len(chain), 2)
        first, second = chain[0], chain[-1]
    else:
        t.eq(what + ": body has trace only", sorted(body), ["trace"])
        first, second = body.get("trace") or {}, None
    exc = first.get("exception") or {}
    t.eq(what + ": exception.class", exc.get("class"), cls)
    t.check(what + ": exception.message", exc.get("message") in messages, messages,
            exc.get("message"))
    frames = first.get("frames") or [{}]
    inner = frames[-1]
    t.eq(what + ": innermost frame (last) method", inner.get("method"), func)
    t.eq(what + ": innermost frame lineno", inner.get("lineno"), marks[marker])
    t.check(what + ": innermost frame filename is the app",
            str(inner.get("filename", "")).endswith("flask_errors.py"), "…/flask_errors.py",
            inner.get("filename"))
    t.check(what + ": oldest frame first (in Flask)", "/flask/" in str(frames[0].get("filename")),
            "…/flask/app.py", frames[0].get("filename"))
    t.eq(what + ": title", item.get("title"), "%s: %s" % (cls, exc.get("message")))
    if cause:
        cexc = second.get("exception") or {}
        t.eq(what + ": chained exception class", cexc.get("class"), cause[0])
        t.eq(what + ": chained exception message", cexc.get("message"), cause[1])
        cf = (second.get("frames") or [{}])[-1]
        t.eq(what + ": chained exception innermost lineno", cf.get("lineno"), marks[cause[2]])


def check_status_item(t, what, item, r):
    t.eq(what + ": body is a message", item.get("body"),
         {"message": {"body": "HTTP %d on GET %s" % (r.status, r.path)}})
    t.eq(what + ": title", item.get("title"), "HTTP %d on GET %s" % (r.status, r.path))


def export_line(ps):
    for line in ps.stderr_text().splitlines():
        if line.startswith("pyspan: export rollbar:"):
            return line
    return None


def send(port, path, headers=None, label=None):
    r = lib.send_one(port, Req("GET", path, headers, label=label))
    r.port = port
    return r


def scenario(t, tmp):
    marks = markers(FLASK_APP)
    port = lib.free_port()
    rb = RollbarReceiver(TOKEN, refuse=refuse)
    gu = ps = None
    try:
        gu = lib.Proc("gunicorn", [lib.GUNICORN, "--workers", "2", "--worker-class", "sync",
                                   "--bind", "127.0.0.1:%d" % port, "--chdir", str(APPS),
                                   "flask_errors:app"], tmp, cwd=str(APPS))
        lib.wait_port(port, gu)
        lib.wait_workers(gu.pid, 2)
        env = base_env()
        env["ROLLBAR_ACCESS_TOKEN"] = TOKEN
        ps = PyspanEnv([gu.pid], tmp, ["--export", "rollbar", "--rollbar-endpoint", rb.endpoint,
                                       "--rollbar-environment", "e2e", "--service-version",
                                       "2.3.4", "-v"], env=env)
        ps.wait_attached(30)

        # Phase 1: distinct errors, repeats, credentials, refusals.
        reqs = [send(port, "/ok")]
        reqs.append(send(port, "/err/builtin?token=SECRET-QUERY&page=2", SECRET_HEADERS,
                         label="builtin with credentials"))
        for p in ("/err/custom", "/err/nested", "/err/chained", "/err/context"):
            reqs.append(send(port, p))
        repeats = [send(port, "/err/builtin", SECRET_HEADERS) for _ in range(3)]
        reqs.append(send(port, "/status/503"))
        repeats.append(send(port, "/status/503"))
        refused = [send(port, "/status/500"), send(port, "/status/501")]
        t.eq("client: statuses", [r.status for r in reqs + repeats + refused],
             [200] + [500] * 5 + [503] + [500] * 3 + [503] + [500, 501])
        expected = reqs[1:]
        wait_for(lambda: len(rb.items) >= len(expected) and len(rb.requests) >= 8, 15)
        time.sleep(1.0)  # anything more (a repeat) would arrive by now

        # Phase 2: Rollbar's rate limit. The first new item gets a 429; nothing may be sent
        # until its window ends, then everything arrives.
        rb.rate_limit(PAUSE_S)
        limited = [send(port, "/slow-err"), send(port, "/status/502"),
                   send(port, "/status/504")]
        expected += limited
        wait_for(lambda: len(rb.items) >= len(expected), 15)
        time.sleep(0.5)
        rc = ps.interrupt(timeout=20)
        t.eq("pyspan exit code", rc, 0)

        # What Rollbar would have refused outright (bad token, schema, size) never happened.
        t.eq("receiver: no request Rollbar would reject as malformed", rb.problems, [])
        for q in rb.requests:
            if q["status"] in (200, 429, 422):
                t.check("receiver: valid item schema (%s)" % q["uuid"],
                        validate_item(json.loads(q["raw"])) == [], "[]",
                        validate_item(json.loads(q["raw"])))

        # One item per distinct failing request, in any order.
        by_path = {}
        for it in rb.items:
            by_path.setdefault(path_of(it), []).append(it)
        t.eq("receiver: items accepted (one per distinct error)", len(rb.items), len(expected))
        t.eq("receiver: paths of the items", sorted(by_path),
             sorted(r.path for r in expected))
        for r in expected:
            what = "item %s" % r.path
            items = by_path.get(r.path) or []
            if len(items) != 1:
                t.fail(what + ": exactly one", 1, len(items))
                continue
            item = items[0]
            check_common(t, what, item, r)
            if r.path in EXCEPTIONS:
                check_exception_item(t, what, item, r, marks)
            elif r.path == "/slow-err":
                t.eq(what + ": exception.class",
                     ((item.get("body") or {}).get("trace") or {}).get("exception",
                                                                        {}).get("class"),
                     "LookupError")
            else:
                check_status_item(t, what, item, r)
        uuids = [it.get("uuid") for it in rb.items]
        t.eq("receiver: every item has its own uuid", len(set(uuids)), len(uuids))

        # No secret in any body, header value or log line.
        raw = b"".join(q["raw"] for q in rb.requests).decode(errors="replace")
        for s in SECRETS:
            t.check("no %r in any body sent to Rollbar" % s, s not in raw, "absent", "present")
        t.check("the token travels only in X-Rollbar-Access-Token",
                all(q["headers"].get("X-Rollbar-Access-Token") == TOKEN for q in rb.requests),
                "every request", [q["headers"].get("X-Rollbar-Access-Token") == TOKEN
                                  for q in rb.requests])
        out = ps.stderr_text() + ps.stdout_text()
        t.check("the token never appears in pyspan's output", TOKEN not in out, "absent",
                "present")

        # The 429 was honoured: no request during the window, then the item went through.
        t.eq("receiver: one rate-limit window", len(rb.limit_windows), 1)
        if rb.limit_windows:
            start, end = rb.limit_windows[0]
            limited_q = [q for q in rb.requests if q["status"] == 429]
            after = rb.requests[rb.requests.index(limited_q[0]) + 1:] if limited_q else []
            during = [q for q in after if q["time"] < end]
            t.eq("exactly one request got the 429", len(limited_q), 1)
            t.eq("no request during the rate-limit pause", len(during), 0)
            t.eq("the items held back went after the pause", len(after), 3)
            if limited_q:
                again = [q for q in rb.requests if q["uuid"] == limited_q[0]["uuid"]
                         and q["status"] == 200]
                t.eq("the rate-limited item was sent again (same uuid) and accepted",
                     len(again), 1)
                t.check("the retry came after the pause", again and again[0]["time"] >= end,
                        ">= %.2f" % end, again and again[0]["time"])
        pauses = [l for l in ps.stderr_text().splitlines() if "rate limit" in l
                  and "rollbar" in l and "sending nothing" in l]
        t.eq("the pause is logged once", len(pauses), 1)

        # Refusals: dropped, Rollbar's message logged once.
        refusals = [q for q in rb.requests if q["status"] == 422]
        t.eq("receiver: the two refused items were sent once each (not retried)",
             len(refusals), 2)
        said = [l for l in ps.stderr_text().splitlines() if REFUSED_MESSAGE in l]
        t.eq("Rollbar's message for the refusal logged once", len(said), 1)

        # The summary's counts equal what the receiver got.
        line = export_line(ps)
        m = re.search(r"(\d+) sent, (\d+) retried, (\d+) dropped", line or "")
        t.check("summary line", m is not None, "export rollbar: N sent, ...", line)
        if m:
            t.eq("summary: sent == items the receiver accepted", int(m.group(1)),
                 len(rb.items))
            t.eq("summary: retried == the one 429", int(m.group(2)), 1)
            t.eq("summary: dropped == the two refused", int(m.group(3)), 2)
        t.eq("summary: suppressed as repeats",
             lib.summary_number(line, "suppressed as repeats"), len(repeats))
        t.eq("summary: requests == what the receiver got",
             lib.summary_number(line, "requests"), len(rb.requests))
        t.eq("summary: rate-limit pauses", lib.summary_number(line, "rate-limit pauses"), 1)
        t.eq("summary: refused", lib.summary_number(line, "refused"), 2)
        if t.failed:
            t.note("pyspan stderr:\n%s" % lib.tail(ps.stderr_path, 25))
    except lib.SetupError as e:
        t.fail("scenario setup", "processes start and pyspan attaches", str(e))
    finally:
        if ps is not None:
            ps.stop(signal.SIGINT, 10)
        if gu is not None:
            gu.stop(signal.SIGTERM, 10)
        rb.stop()


def usage_errors(t):
    """Bad Rollbar settings: one clear line on stderr, exit 2; the token is never echoed."""
    base = [str(lib.PYSPAN), "--pid", str(os.getpid())]
    cases = [
        ("--export rollbar without a token", ["--export", "rollbar"], {},
         "ROLLBAR_ACCESS_TOKEN"),
        ("a token with a line break", ["--export", "rollbar"],
         {"ROLLBAR_ACCESS_TOKEN": "abc\r\nX-Evil: 1"}, "ROLLBAR_ACCESS_TOKEN"),
        ("bad --rollbar-dedup-window", ["--rollbar-dedup-window", "soon"], {},
         "--rollbar-dedup-window"),
        ("bad --rollbar-endpoint", ["--rollbar-endpoint", "api.rollbar.com"], {},
         "--rollbar-endpoint"),
        ("--rollbar-code-version over 40 characters", ["--rollbar-code-version", "v" * 41], {},
         "--rollbar-code-version"),
    ]
    for what, args, env, mention in cases:
        e = base_env()
        e.update(env)
        p = subprocess.run(base + args, env=e, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=10)
        err = p.stderr.decode(errors="replace").splitlines()
        t.eq("usage: %s: exit code" % what, p.returncode, 2)
        t.check("usage: %s: one line naming %s" % (what, mention),
                len(err) == 1 and mention in err[0], "1 line with %r" % mention, err)
        t.check("usage: %s: the token is not echoed" % what, "X-Evil" not in "".join(err),
                "absent", err)


def check_config(t, tmp):
    path = Path(tmp) / "rollbar.json"
    path.write_text(json.dumps({"pids": [1], "export": ["rollbar"],
                                "rollbar_access_token": "file-" + TOKEN,
                                "rollbar_environment": "staging",
                                "rollbar_code_version": "abc123",
                                "rollbar_dedup_window": 10}))
    env = base_env()
    env["ROLLBAR_ACCESS_TOKEN"] = TOKEN
    p = subprocess.run([str(lib.PYSPAN), "--check-config", str(path), "--rollbar-endpoint",
                        "http://127.0.0.1:1/api/1/"], env=env, capture_output=True, text=True,
                       timeout=10)
    t.eq("check-config: exit code", p.returncode, 0)
    try:
        got = json.loads(p.stdout)
    except ValueError:
        got = {}
    t.eq("check-config: the token is masked", got.get("rollbar_access_token"), "****")
    t.check("check-config: neither token printed", TOKEN not in p.stdout + p.stderr,
            "absent", p.stdout[:300])
    t.eq("check-config: rollbar settings",
         [got.get(k) for k in ("rollbar_environment", "rollbar_code_version",
                               "rollbar_endpoint", "rollbar_dedup_window")],
         ["staging", "abc123", "http://127.0.0.1:1/api/1/", 10])


def main():
    lib.exit_on_sigterm()
    t = lib.Tally("test_rollbar")
    if not os.access(lib.PYSPAN, os.X_OK):
        t.fail("pyspan binary", "an executable %s (make pyspan)" % lib.PYSPAN, "missing")
        t.finish()
    usage_errors(t)
    with tempfile.TemporaryDirectory(prefix="pyspan-e2e-rollbar-") as tmp:
        check_config(t, tmp)
        lib.require_bpf(t)
        t0 = time.monotonic()
        scenario(t, tmp)
        t.note("scenario took %.1f s" % (time.monotonic() - t0))
    t.finish()


if __name__ == "__main__":
    main()
