#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""End to end: --export cloudwatch against a loopback CloudWatch Logs.

A Flask app under gunicorn prints, logs with the logging module (one logged traceback per
failing request) and writes a log file; pyspan traces it with --export cloudwatch. The
receiver (receivers/cloudwatch.py) verifies every SigV4 signature with botocore, enforces
PutLogEvents' limits and ordering, starts with no log group (ResourceNotFoundException), throttles
once and reports one event as too old. Checked: every request's request-log event and every line
the app wrote arrive exactly once, in order, with the request's trace id; a traceback is one
event; EMF documents carry the right counts, the partial interval flushed at shutdown.
"""
import http.client
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib  # noqa: E402

AKID = "AKIDPYSPANCWE2E"
SECRET = "cw/e2e/secret+key/DO-NOT-LOG"
TOKEN = "cw-e2e-session-token-DO-NOT-LOG"
REGION = "us-east-1"
GROUP = "/pyspan/e2e-backend"
STREAM = "e2e-host-1"
APPS = Path(__file__).resolve().parent / "apps"
EMF_INTERVAL = 3


def trace_id(i):
    return "4bf92f3577b34da6a3ce929d%08x" % (i + 1)


def get(port, path, i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path, headers={
        "traceparent": "00-%s-00f067aa0ba902b7-01" % trace_id(i)})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


class PyspanEnv(lib.Pyspan):
    """lib.Pyspan with its own argv and environment."""

    def __init__(self, argv, workdir, env):
        lib.Proc.__init__(self, "pyspan", argv, workdir, cwd=str(lib.REPO), env=env)


def usage_errors(t):
    import subprocess
    for args, mention in ((["--export", "cloudwatch"], "--log-group"),
                          (["--export", "cloudwatch", "--log-group", "aws/x"], "--log-group"),
                          (["--export", "cloudwatch", "--log-group", "g", "--log-stream", "a:b"],
                           "--log-stream"),
                          (["--emf-interval", "9999"], "--emf-interval"),
                          (["--log-files", "a,,b"], "--log-files"),
                          (["--cloudwatch-endpoint", "ftp://x"], "--cloudwatch-endpoint")):
        p = subprocess.run([str(lib.PYSPAN), "--pid", "1"] + args, capture_output=True,
                           timeout=10)
        err = p.stderr.decode(errors="replace").splitlines()
        t.eq("usage %s: exit code" % " ".join(args), p.returncode, 2)
        t.check("usage %s: one line naming %s" % (" ".join(args), mention),
                len(err) == 1 and mention in err[0], "1 line with %r" % mention, err)


def env_for():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET,
                "AWS_SESSION_TOKEN": TOKEN, "AWS_REGION": REGION,
                "AWS_EC2_METADATA_DISABLED": "true"})
    return env


def scenario(t, tmp):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from receivers.cloudwatch import CloudWatchLogs
    cw = CloudWatchLogs(AKID, SECRET, TOKEN, REGION)
    port = lib.free_port()
    logfile = Path(tmp, "shop.applog")
    app_env = dict(os.environ, PYTHONUNBUFFERED="1", APP_LOG_FILE=str(logfile))
    gu = lib.Proc("gunicorn", [lib.GUNICORN, "--workers", "2", "--worker-class", "sync",
                               "--bind", "127.0.0.1:%d" % port, "--chdir", str(APPS),
                               "flask_logs:app"], tmp, cwd=str(APPS), env=app_env)
    ps = None
    try:
        lib.wait_port(port, gu)
        lib.wait_workers(gu.pid, 2)
        argv = [str(lib.PYSPAN), "--pid", str(gu.pid), "--export", "cloudwatch",
                "--log-group", GROUP, "--log-stream", STREAM, "--cloudwatch-endpoint", cw.url,
                "--emf-interval", str(EMF_INTERVAL), "--log-files", "*.applog",
                "--service-name", "shop"]
        ps = PyspanEnv(argv, tmp, env_for())
        ps.wait_attached(30)

        sent = []  # (i, path, status)
        plan = ["hello"] * 8 + ["fail", "warn", "hello", "fail", "warn"]
        for i, what in enumerate(plan):
            sent.append((i, what, get(port, "/%s?id=%d" % (what, i), i)))
        time.sleep(EMF_INTERVAL + 1.5)  # one interval's EMF events go out on their own
        for i in range(len(plan), len(plan) + 4):
            sent.append((i, "hello", get(port, "/hello?id=%d" % i, i)))
        time.sleep(0.5)
        ps.send_signal(signal.SIGINT)
        rc = ps.wait(30)
        t.eq("pyspan exit code", rc, 0)
    except lib.SetupError as e:
        t.fail("setup", "gunicorn serves and pyspan attaches", str(e))
        return
    finally:
        if ps is not None and ps.alive():
            ps.stop(signal.SIGKILL, 5)
        gu.stop(signal.SIGTERM, 10)
        cw.stop()

    err = ps.stderr_text()
    t.check("no secret on stderr", SECRET not in err and TOKEN not in err, "none", "found")
    t.eq("the receiver found nothing wrong (signatures, limits, order)", cw.bad, [])
    ops = cw.ops
    t.eq("first PutLogEvents meets a missing group", ops[0] if ops else None,
         ("PutLogEvents", "ResourceNotFoundException"))
    t.check("then CreateLogGroup and CreateLogStream succeed",
            ("CreateLogGroup", "ok") in ops and ("CreateLogStream", "ok") in ops
            and ops.index(("CreateLogGroup", "ok")) < ops.index(("CreateLogStream", "ok")),
            "both, group first", ops[:6])
    t.check("one ThrottlingException, retried",
            ops.count(("PutLogEvents", "ThrottlingException")) == 1
            and ops[-1] == ("PutLogEvents", "ok"), "1 and a later ok", ops)
    t.check("every PutLogEvents says json/emf", cw.emf_headers >= 1, ">= 1", cw.emf_headers)

    accepted = cw.events(GROUP, STREAM)
    rejected = cw.rejected
    t.eq("one event reported too old", len(rejected), 1)
    summary = [l for l in err.splitlines() if "export cloudwatch:" in l]
    t.check("summary counts the rejected event",
            bool(summary) and "1 rejected by the service" in summary[-1],
            "'1 rejected by the service'", summary)
    everything = sorted(accepted + rejected, key=lambda e: e["timestamp"])
    docs = []
    for e in everything:
        try:
            docs.append((e["timestamp"], json.loads(e["message"])))
        except ValueError:
            t.fail("event message is JSON", "JSON", e["message"][:100])
    requests = [d for _, d in docs if d.get("type") == "request"]
    logs = [d for _, d in docs if d.get("type") == "log"]
    emf = [d for _, d in docs if "_aws" in d]

    # Request logs: exactly one per request, right fields and trace ids.
    for i, what, status in sent:
        mine = [r for r in requests if r.get("path") == "/" + what and
                r.get("trace_id") == trace_id(i)]
        if not t.check("request %d %s: one request-log event" % (i, what), len(mine) == 1, 1,
                       len(mine)):
            continue
        r = mine[0]
        t.check("request %d: fields" % i,
                r["method"] == "GET" and r["route"] == "/" + what and r["status"] == status
                and r["service"] == "shop" and r["client"] == "127.0.0.1"
                and isinstance(r["duration_ms"], (int, float)) and r["duration_ms"] > 0
                and len(r["span_id"]) == 16 and r["response_bytes"] > 0,
                "GET /%s %d shop 127.0.0.1" % (what, status), r)
        if what == "fail":
            t.eq("request %d: exception type" % i, r.get("exception_type"), "KeyError")
    t.eq("request-log events in all", len(requests), len(sent))

    def lines_with(prefix, stream):
        return [d for d in logs if d.get("stream") == stream and
                d.get("message", "").startswith(prefix)]

    # Lines the app wrote: print (stdout), logging (stderr), the log file; once each, in order.
    for prefix, stream, sev in (("print hello ", "stdout", None),
                                ("INFO:shop:logged hello ", "stderr", "INFO"),
                                ("INFO audit file hello ", "file", "INFO")):
        got = lines_with(prefix, stream)
        ids = [int(d["message"][len(prefix):]) for d in got]
        want = [i for i, what, _ in sent if what == "hello"]
        t.eq("%s lines: each once, in order" % stream, ids, want)
        for d in got:
            i = int(d["message"][len(prefix):])
            if not t.eq("%s line %d: trace id of its request" % (stream, i), d.get("trace_id"),
                        trace_id(i)):
                break
        if sev:
            t.check("%s lines: severity %s" % (stream, sev),
                    all(d.get("severity") == sev for d in got), sev,
                    [d.get("severity") for d in got])
        if stream == "file":
            t.check("file lines name the file", all(d.get("file") == str(logfile) for d in got),
                    str(logfile), [d.get("file") for d in got][:2])
    warns = lines_with("WARNING:shop:slow path ", "stderr")
    t.eq("warnings: each once", sorted(int(d["message"].split()[-1]) for d in warns),
         [i for i, w, _ in sent if w == "warn"])
    t.check("warnings: severity WARNING", all(d.get("severity") == "WARNING" for d in warns),
            "WARNING", [d.get("severity") for d in warns])

    # A logged traceback is one event: the message line, the frames, the exception line.
    for i, what, _ in sent:
        if what != "fail":
            continue
        tb = lines_with("ERROR:shop:checkout failed %d\n" % i, "stderr")
        if not t.eq("fail %d: traceback is one event" % i, len(tb), 1):
            continue
        m = tb[0]["message"]
        t.check("fail %d: whole traceback" % i,
                "\nTraceback (most recent call last):\n" in m and
                m.endswith("KeyError: 'missing-%d'" % i) and '  File "' in m,
                "message line + Traceback + frames + KeyError line", m)
        t.eq("fail %d: severity" % i, tb[0].get("severity"), "ERROR")
        t.eq("fail %d: trace id" % i, tb[0].get("trace_id"), trace_id(i))
        pieces = [d for d in logs if "missing-%d" % i in d.get("message", "")]
        t.eq("fail %d: no stray pieces of it" % i, len(pieces), 1)

    # EMF: counts per route add up over the intervals, shutdown flush included.
    for d in emf:
        a = d["_aws"]
        ok = (isinstance(a.get("Timestamp"), int) and len(a["CloudWatchMetrics"]) == 1)
        md = a["CloudWatchMetrics"][0]
        names = [m["Name"] for m in md["Metrics"]]
        ok = ok and md["Namespace"] == "pyspan" and \
            md["Dimensions"] == [["Service", "Route"], ["Service"]] and \
            all(n in d for n in names) and d["Service"] == "shop" and \
            all(isinstance(x, (int, float)) for x in d.get("Latency", [])) and \
            len(d.get("Latency", [])) <= 100 and len(md["Metrics"]) <= 100
        if not t.check("EMF document valid", ok, "EMF structure", d):
            break
    times = sorted({d["_aws"]["Timestamp"] for d in emf})
    t.check("EMF: at least two flushes (one interval, then shutdown)", len(times) >= 2,
            ">= 2 timestamps", times)
    for route in ("/hello", "/fail", "/warn"):
        mine = [d for d in emf if d.get("Route") == route and "Requests" in d]
        n = sum(1 for _, w, _ in sent if "/" + w == route)
        t.eq("EMF %s: Requests" % route, sum(d["Requests"] for d in mine), n)
        t.eq("EMF %s: Errors (4xx)" % route, sum(d["Errors"] for d in mine),
             sum(1 for _, w, s in sent if "/" + w == route and 400 <= s < 500))
        t.eq("EMF %s: Faults (5xx)" % route, sum(d["Faults"] for d in mine),
             sum(1 for _, w, s in sent if "/" + w == route and s >= 500))
        t.eq("EMF %s: one latency per request" % route,
             sum(len(d.get("Latency", [])) for d in emf if d.get("Route") == route), n)
    last = [d for d in emf if d["_aws"]["Timestamp"] == times[-1] and "Requests" in d] \
        if times else []
    t.eq("EMF: the shutdown flush holds the last 4 requests", sum(d["Requests"] for d in last), 4)


def main():
    lib.exit_on_sigterm()
    t = lib.Tally("test_cloudwatch")
    if not os.access(lib.PYSPAN, os.X_OK):
        t.fail("pyspan binary", "an executable %s (make pyspan)" % lib.PYSPAN, "missing")
        t.finish()
    usage_errors(t)
    try:
        import botocore  # noqa: F401
    except ImportError:
        t.skip("python3-botocore is not installed: signatures cannot be verified")
        t.finish()
    lib.require_bpf(t)
    with tempfile.TemporaryDirectory(prefix="pyspan-e2e-cloudwatch-") as tmp:
        scenario(t, tmp)
    t.finish()


if __name__ == "__main__":
    main()
