# SPDX-License-Identifier: BSD-2-Clause
"""End-to-end: the sample service traced with `--export honeycomb,otlp,rollbar` against
loopback stand-ins for Honeycomb's batch API, an OTLP/HTTP collector and Rollbar's item API
(tests/e2e/receivers), all three at once, which
check every request as the services would (auth, gzip, schema, limits) and answer with their
real shapes: a 429 / 503 with Retry-After first, then a partial failure (one per-event 400 from
Honeycomb, partialSuccess rejecting one span from OTLP), then success.

Checks: what each received equals what was sent less exactly what it rejected (and pyspan
counts those as dropped); the same request carries the same trace id, span id and parent id
in both; Rollbar gets one item, for the failing request, under the same trace and span id;
a caller's traceparent is continued; no secret reaches pyspan's output. Needs root
and kernel BTF; otherwise skipped. `-v` prints passing checks too.

/usr/bin/python3 tests/e2e/test_honeycomb_otlp.py [-v]
"""
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
from receivers.honeycomb import HoneycombReceiver  # noqa: E402
from receivers.otlp import OtlpReceiver  # noqa: E402
from receivers.rollbar import RollbarReceiver  # noqa: E402

KEY = "hcaik_01e2etestenvironmentkeyDONOTLOG0123456789abcdefghijklmnopq"
HEADER_SECRET = "tok=en/DO-NOT-LOG"
ROLLBAR_TOKEN = "0123456789abcdefRollbarDONOTLOG"
SERVICE = "shop-e2e"
PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"


class PyspanEnv(lib.Pyspan):
    def __init__(self, pids, workdir, extra=(), env=None):
        argv = [lib.PYSPAN]
        for p in pids:
            argv += ["--pid", str(p)]
        argv += list(extra)
        full = dict(os.environ)
        full.update(env or {})
        lib.Proc.__init__(self, "pyspan", argv, workdir, cwd=str(lib.REPO), env=full)


def hny_behave(n, dataset, events):
    if n == 1:
        return 429, {"Retry-After": "1"}, {"error": "Request dropped due to rate limiting."}
    if n == 2:
        return [400] + [202] * (len(events) - 1)  # the first event refused
    return None


def otlp_behave(n, signal, records):
    if signal == "traces" and n == 1:
        return 503, {"Retry-After": "1"}, {"code": 14, "message": "unavailable"}
    if signal == "traces" and n == 2:
        return ("partial", 1, "span rejected by a processor")
    return None


def export_line(ps, name):
    for line in ps.stderr_text().splitlines():
        if line.startswith("pyspan: export %s:" % name):
            return line
    return None


def counts(line):
    m = re.search(r"(\d+) sent, (\d+) retried, (\d+) dropped", line or "")
    return tuple(int(x) for x in m.groups()) if m else None


def scenario(t, tmp):
    port = lib.free_port()
    gu = ps = None
    hny = HoneycombReceiver(KEY, hny_behave)
    otlp = OtlpReceiver({"x-api-key": HEADER_SECRET}, otlp_behave)
    rb = RollbarReceiver(token=ROLLBAR_TOKEN)
    try:
        gu, _ = lib.serving_gunicorn(port, tmp)
        env = {"HONEYCOMB_API_KEY": KEY, "HONEYCOMB_API_ENDPOINT": hny.url,
               "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url + "/",
               "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=tok%3Den%2FDO-NOT-LOG",
               "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_SERVICE_NAME": SERVICE,
               "ROLLBAR_ACCESS_TOKEN": ROLLBAR_TOKEN}
        ps = PyspanEnv([gu.pid], tmp, ["--export", "honeycomb,otlp,rollbar", "--sampling", "all",
                                       "--rollbar-endpoint", rb.endpoint], env=env)
        ps.wait_attached(30)
        reqs = []
        tp = Req("GET", "/health", headers={"traceparent": "00-%s-%s-01"
                                            % (PARENT_TRACE, PARENT_SPAN)})
        for i in range(12):
            reqs.append(lib.send_one(port, Req("GET", "/api/activities/%d?limit=5" % (i + 1))))
            if i == 5:
                # Mid-batch: Honeycomb refuses the first event, OTLP rejects the last.
                reqs.append(lib.send_one(port, tp))
        reqs.append(lib.send_one(port, Req("GET", "/api/fail")))
        n = len(reqs)
        # The 429/503 answers ask for a 1 s pause; everything lands within a few seconds.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (
                len(hny.all_events()) + len(hny.rejected) < n
                or len(otlp.spans) + otlp.rejected["traces"] < n or not rb.items):
            time.sleep(0.1)
        rc = ps.interrupt(timeout=20)
        t.eq("pyspan exit code", rc, 0)
        t.check("honeycomb: every request valid", not hny.problems, "none", hny.problems[:3])
        t.check("otlp: every request valid", not otlp.problems, "none", otlp.problems[:3])
        t.check("rollbar: every request valid", not rb.problems, "none", rb.problems[:3])
        t.eq("honeycomb: first answer was the 429", hny.statuses[:1], [429])
        t.eq("otlp: first traces answer was the 503", otlp.statuses[:1], [503])
        t.eq("honeycomb: every request gzip", hny.gzipped, hny.requests)
        t.eq("honeycomb: dataset is the service name (environment key)",
             sorted(hny.events), [SERVICE])
        t.eq("honeycomb: events accepted == requests - the 1 refused", len(hny.all_events()),
             n - 1)
        t.eq("honeycomb: refused per event", len(hny.rejected), 1)
        t.eq("otlp: spans accepted == requests - the 1 rejected", len(otlp.spans), n - 1)
        t.eq("otlp: partialSuccess rejected", otlp.rejected["traces"], 1)
        t.eq("honeycomb: summary counts", counts(export_line(ps, "honeycomb"))[0::2]
             if counts(export_line(ps, "honeycomb")) else None, (n - 1, 1))
        # The exporter counts log records (the service's output) with the spans.
        t.eq("otlp: summary counts", counts(export_line(ps, "otlp"))[0::2]
             if counts(export_line(ps, "otlp")) else None, (n - 1 + len(otlp.logs), 1))
        hc = counts(export_line(ps, "honeycomb"))
        t.check("honeycomb: the 429 batch was retried", hc is not None and hc[1] >= 1,
                ">= 1 retried", hc)

        # The same request: same ids in both.
        hd = {e["data"]["trace.span_id"]: e["data"] for e in hny.all_events()}
        od = {s["spanId"]: s for s in otlp.spans}
        both = set(hd) & set(od)
        t.check("both got most spans", len(both) >= n - 2, ">= %d" % (n - 2), len(both))
        same = [sid for sid in both if hd[sid]["trace.trace_id"] == od[sid]["traceId"]
                and hd[sid].get("trace.parent_id") == od[sid].get("parentSpanId")
                and hd[sid]["name"] == od[sid]["name"]]
        t.eq("same trace id, parent id and name in Honeycomb and OTLP", len(same), len(both))
        cont = [sid for sid in both if hd[sid]["trace.trace_id"] == PARENT_TRACE]
        t.check("the traceparent request continues the caller's trace in both",
                len(cont) == 1 and od[cont[0]].get("parentSpanId") == PARENT_SPAN
                and hd[cont[0]].get("meta.span_type") == "subroot",
                "one span under %s" % PARENT_SPAN, cont)
        for sid in both:
            o, h = od[sid], hd[sid]
            if o["_attrs"].get("url.path") == "/api/fail":
                t.eq("otlp: /api/fail status ERROR", (o.get("status") or {}).get("code"), 2)
                t.eq("otlp: /api/fail kind SERVER", o["kind"], 2)
                t.eq("honeycomb: /api/fail error", h.get("error"), True)
                t.eq("honeycomb: /api/fail status code", h.get("http.response.status_code"),
                     500)
            if o["_attrs"].get("url.path") == "/api/activities/3":
                t.eq("otlp: status code attribute", o["_attrs"].get("http.response.status_code"),
                     200)
                t.eq("otlp: url.query redacted", o["_attrs"].get("url.query"),
                     "limit=REDACTED")
                t.eq("otlp: resource service.name", o["_resource"].get("service.name"), SERVICE)
                t.check("otlp: resource process.pid is a worker",
                        o["_resource"].get("process.pid") in lib.children(gu.pid),
                        "a worker pid", o["_resource"].get("process.pid"))
                t.eq("honeycomb: route", h.get("http.route"), "/api/activities/{id}")
        # Rollbar: one item, the failing request's, under the ids the other two saw for it
        # (whichever of them accepted that span: each refuses one on purpose).
        fail_ids = {(x["trace.trace_id"], x["trace.span_id"]) for x in hd.values()
                    if x.get("http.route") == "/api/fail"}
        fail_ids |= {(x["traceId"], x["spanId"]) for x in od.values()
                     if x["_attrs"].get("url.path") == "/api/fail"}
        items = rb.items
        t.eq("rollbar: one item, for the failing request", len(items), 1)
        t.eq("honeycomb and otlp agree on the failing request's ids", len(fail_ids), 1)
        if items and len(fail_ids) == 1:
            custom = items[0].get("custom") or {}
            t.eq("rollbar: the failing request's trace and span id",
                 (custom.get("trace_id"), custom.get("span_id")), fail_ids.pop())
            t.eq("rollbar: level error", items[0].get("level"), "error")
        out = ps.stderr_text() + ps.stdout_text()
        t.check("no secret in pyspan's output",
                KEY not in out and "DO-NOT-LOG" not in out and ROLLBAR_TOKEN not in out,
                "no key, no header value", "found")
        if t.failed:
            t.note("pyspan stderr:\n%s" % lib.tail(ps.stderr_path, 12))
    except lib.SetupError as e:
        t.fail("scenario setup", "processes start and pyspan attaches", str(e))
    finally:
        if ps is not None:
            ps.stop(signal.SIGINT, 10)
        if gu is not None:
            gu.stop(signal.SIGTERM, 10)
        hny.stop()
        otlp.stop()
        rb.stop()


def usage_errors(t, tmp):
    """Bad settings stop pyspan before it attaches, with one line naming the setting."""
    cases = [
        ("honeycomb without a key", {}, "HONEYCOMB_API_KEY"),
        ("classic key without a dataset", {"HONEYCOMB_API_KEY": "0" * 32}, "dataset"),
        ("malformed OTLP headers", {"HONEYCOMB_API_KEY": KEY,
                                    "OTEL_EXPORTER_OTLP_HEADERS": "secret-only"},
         "OTEL_EXPORTER_OTLP_HEADERS"),
    ]
    env0 = {k: v for k, v in os.environ.items()
            if not k.startswith(("HONEYCOMB_", "OTEL_EXPORTER_OTLP"))}
    for what, env, word in cases:
        full = dict(env0)
        full.update(env)
        p = lib.Proc("usage", [lib.PYSPAN, "--pid", str(os.getpid()), "--export",
                               "honeycomb,otlp"], tmp, env=full)
        rc = p.wait(10)
        err = p.stderr_text()
        t.eq("%s: exit 2" % what, rc, 2)
        t.check("%s: names %s" % (what, word), word in err and "secret-only" not in err,
                word, err.strip())


def main():
    lib.exit_on_sigterm()
    t = lib.Tally("test_honeycomb_otlp")
    with tempfile.TemporaryDirectory() as tmp:
        if os.access(lib.PYSPAN, os.X_OK):
            usage_errors(t, tmp)
        lib.require_bpf(t)
        scenario(t, tmp)
    t.finish()


if __name__ == "__main__":
    main()
