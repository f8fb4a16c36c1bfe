# SPDX-License-Identifier: BSD-2-Clause
"""`make bench`: what pyspan costs the service it traces, and how fast its pipeline runs.

/usr/bin/python3 bench/run.py [--rounds N] [--duration S] [--out FILE] [--quick]
    (as root, from anywhere; `make bench` builds what it needs first)

One run, so the ratios between modes hold, in five stages:

1. Service overhead. The sample service (demo/app.py) under gunicorn (2 sync workers) loaded
   by wrk with the same command line in every mode, for the JSON endpoint and for a 10%-failing
   mix (bench/fail10.lua), interleaved and repeated (A B C D, A B C D, ...), medians:
   (A) untraced, (B) traced by pyspan (stdout exporter to a file), (C) every exporter enabled
   at once against loopback receivers: stdout, xray (daemon mode, to the UDP "daemon" below),
   honeycomb, otlp, rollbar and cloudwatch (to tests/e2e/receivers, run as threads of this
   process on free ports, checking keys, tokens and SigV4 signatures; n/a when pyspan --help
   lacks one of them), (D) the AWS X-Ray SDK middleware in-process (bench/xray_app.py)
   sending to a local UDP "daemon" that counts datagrams.
   For (B) and (C): spans against the requests wrk counted, and ring-buffer drops; for (C),
   what each exporter's summary says it sent, retried and dropped, and what each receiver got.
2. Pipeline. A recording made by `pyspan --record` during a (B) run, replayed through
   dispatch_event() by build/bench/replay for ~3 s: events/s and spans/s on one core.
3. Memory. pyspan's peak RSS (VmHWM) during the (B) and (C) runs, and with the xray
   exporter's backend down (api mode to a loopback port that refuses, or that never answers).
4. Probe cost. BPF run time per request (kernel.bpf_stats_enabled during a (B) run), hits of
   the OpenSSL uprobes pyspan installs (none without TLS calls), and for the exception-capture
   design the hits per request of the uprobe candidates pyspan rejected (build/bench/uprobe_count on _PyErr_SetObject and
   PyTraceBack_Here), next to pyspan's own reads (EV_PY_EXC events per failing request).
5. Outbound HTTPS calls. bench/upstream_app.py (demo.app plus GET /api/upstream, one HTTPS
   call per request over a kept-alive requests.Session to a loopback HTTPS server with a
   self-signed certificate), untraced and traced interleaved: throughput and p99 ratios,
   OpenSSL uprobe hits and client spans per request.

Writes bench/results/YYYY-MM-DD.md (machine, exact command lines, tables) and prints the
tables. Traffic goes to 127.0.0.1 only; every process started here is stopped on the way out,
also on failure or Ctrl-C, and kernel.bpf_stats_enabled is restored. There is no pass/fail; the
exit status is non-zero, with a message saying why, when a stage cannot run.
"""
import argparse
import datetime
import hashlib
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import lib  # noqa: E402
from receivers.cloudwatch import CloudWatchLogs  # noqa: E402
from receivers.honeycomb import HoneycombReceiver  # noqa: E402
from receivers.otlp import OtlpReceiver  # noqa: E402
from receivers.rollbar import RollbarReceiver  # noqa: E402

PYTHON = "/usr/bin/python3"
GUNICORN = "/usr/bin/gunicorn"
WRK = "wrk"
BPFTOOL = "bpftool"
REPLAY = REPO / "build" / "bench" / "replay"
UPROBE_COUNT = REPO / "build" / "bench" / "uprobe_count"
FAIL_SCRIPT = REPO / "bench" / "fail10.lua"
RESULTS = REPO / "bench" / "results"

WRK_THREADS = 2
WRK_CONNS = 16
WORKERS = 2
XRAY_DAEMON = ("127.0.0.1", 2000)
UPROBE_FUNCS = ("_PyErr_SetObject", "PyTraceBack_Here")

MODES = [
    ("A", "untraced"),
    ("B", "pyspan (stdout exporter to a file)"),
    ("C", "every exporter enabled against loopback receivers"),
    ("D", "AWS X-Ray SDK middleware (in-process)"),
]
NA_EXPORTERS = "n/a (pyspan lacks one of the exporters)"

WORKLOADS = [
    ("json", "JSON endpoint: GET /api/activities"),
    ("fail10", "10%-failing mix: every 10th request GET /api/fail (500 + logged traceback), "
               "the rest GET /api/activities"),
]


class BenchError(Exception):
    """A stage cannot run; the message says why."""


def log(msg):
    print("bench: %s" % msg, flush=True)


# ---------------------------------------------------------------------------------------------
# Processes: every one started here is registered, and stopped by cleanup() whatever happens.

STARTED = []


def start(name, argv, workdir, env=None):
    p = lib.Proc(name, argv, workdir, cwd=str(REPO), env=env)
    STARTED.append(p)
    return p


def cleanup():
    for p in reversed(STARTED):
        try:
            p.stop(signal.SIGINT if p.name.startswith(("pyspan", "uprobe")) else signal.SIGTERM,
                   10)
        except Exception as e:  # keep stopping the others
            print("bench: stopping %s (pid %d): %s" % (p.name, p.pid, e), file=sys.stderr)
    STARTED.clear()


def finish(p, timeout):
    """Wait for a short-lived process; kill it (and say so) when it overruns."""
    rc = p.wait(timeout)
    if rc is None:
        p.stop(signal.SIGKILL, 5)
        raise BenchError("%s did not finish within %d s; its stderr:\n%s"
                         % (p.name, timeout, lib.tail(p.stderr_path)))
    return rc


def service_env():
    env = dict(os.environ)
    for k in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"):
        env.pop(k, None)
    return env


def start_service(app, port, workdir, name="gunicorn", env=None):
    argv = [GUNICORN, "--workers", str(WORKERS), "--worker-class", "sync",
            "--bind", "127.0.0.1:%d" % port, "--chdir", str(REPO), app]
    gu = start(name, argv, workdir, env=dict(service_env(), **(env or {})))
    try:
        lib.wait_port(port, gu, timeout=30)
        workers = lib.wait_workers(gu.pid, WORKERS, timeout=30)
    except lib.SetupError as e:
        raise BenchError("gunicorn (%s) did not start: %s" % (app, e))
    return gu, workers


def cpu_ticks(pid):
    try:
        stat = Path("/proc/%d/stat" % pid).read_text()
    except OSError:
        return 0
    f = stat[stat.rindex(")") + 2:].split()
    return int(f[11]) + int(f[12])  # utime + stime


def tree_cpu_s(pids):
    return sum(cpu_ticks(p) for p in pids) / os.sysconf("SC_CLK_TCK")


def machine_cpu_s():
    """(busy, steal) CPU seconds of the whole machine since boot, from /proc/stat."""
    f = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    user, nice, system, idle, iowait, irq, softirq, steal = (f + [0] * 8)[:8]
    return (user + nice + system + irq + softirq) / hz, steal / hz


def self_cpu_s():
    """CPU seconds of this process: all its threads (mode C's receivers among them)."""
    a = resource.getrusage(resource.RUSAGE_SELF)
    return a.ru_utime + a.ru_stime


def own_cpu_s():
    """CPU seconds of this process and of its reaped children."""
    a = resource.getrusage(resource.RUSAGE_SELF)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


class OtherLoad:
    """CPU the machine spent outside the processes of one measured run: other users' work,
    and interrupt time not charged to a process. A check on how quiet the machine was."""

    def __init__(self, pids):
        self.pids = list(pids)
        self.t0 = time.monotonic()
        self.busy0, self.steal0 = machine_cpu_s()
        self.own0 = own_cpu_s() + tree_cpu_s(self.pids)

    def done(self):
        wall = time.monotonic() - self.t0
        busy, steal = machine_cpu_s()
        own = own_cpu_s() + tree_cpu_s(self.pids) - self.own0
        cap = wall * (os.cpu_count() or 1)
        return (100.0 * max(0.0, busy - self.busy0 - own) / cap,
                100.0 * (steal - self.steal0) / cap)


QUIET_PCT = 5.0         # machine busy below this (no bench process running): quiet
QUIET_WAIT_S = 20.0     # longest wait for quiet before one run
QUIET_BUDGET_S = 150.0  # longest total wait in one bench
_quiet_spent = [0.0]


def wait_quiet():
    """Before a run, while none of the bench's processes runs: wait (bounded) until the
    machine has been nearly idle for a second, so other users' work does not land in the
    measurement. Returns (seconds waited, busy % of the last second)."""
    t0 = time.monotonic()
    busy_pct = 0.0
    while True:
        b0, _ = machine_cpu_s()
        s0 = own_cpu_s()
        time.sleep(1.0)
        b1, _ = machine_cpu_s()
        busy_pct = 100.0 * max(0.0, (b1 - b0) - (own_cpu_s() - s0)) / (os.cpu_count() or 1)
        waited = time.monotonic() - t0
        if (busy_pct < QUIET_PCT or waited >= QUIET_WAIT_S
                or _quiet_spent[0] + waited >= QUIET_BUDGET_S):
            _quiet_spent[0] += max(0.0, waited - 1.0)
            return waited - 1.0, busy_pct


def vm_hwm_kb(pid):
    try:
        for line in Path("/proc/%d/status" % pid).read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


# ---------------------------------------------------------------------------------------------
# wrk


def wrk_argv(workload, port, seconds):
    argv = [WRK, "-t%d" % WRK_THREADS, "-c%d" % WRK_CONNS, "-d%ds" % seconds, "--latency"]
    if workload == "fail10":
        argv += ["-s", str(FAIL_SCRIPT), "http://127.0.0.1:%d/" % port]
    elif workload == "upstream":
        argv += ["http://127.0.0.1:%d/api/upstream" % port]
    else:
        argv += ["http://127.0.0.1:%d/api/activities" % port]
    return argv


def wrk_cmdline(workload, seconds):
    """The command line with the port left as PORT, for the results file."""
    argv = wrk_argv(workload, 0, seconds)
    argv[-1] = argv[-1].replace(":0/", ":PORT/")
    return " ".join(a.replace(str(REPO) + "/", "") for a in argv)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(text):
    out = {"non2xx": 0, "socket_errors": 0}
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", text)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    if not (m and rps and p50 and p99):
        raise BenchError("cannot read wrk's output:\n%s" % text[-2000:])
    out["requests"] = int(m.group(1))
    out["seconds"] = _ms(m.group(2) + m.group(3)) / 1e3
    out["rps"] = float(rps.group(1))
    out["p50_ms"] = _ms(p50.group(1))
    out["p99_ms"] = _ms(p99.group(1))
    n = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if n:
        out["non2xx"] = int(n.group(1))
    s = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if s:
        out["socket_errors"] = sum(int(x) for x in s.groups())
    return out


def run_wrk(workload, port, seconds, workdir, name="wrk"):
    p = start(name, wrk_argv(workload, port, seconds), workdir)
    rc = finish(p, seconds + 60)
    if rc != 0:
        raise BenchError("wrk exited %d: %s" % (rc, lib.tail(p.stderr_path)))
    return parse_wrk(p.stdout_text())


# ---------------------------------------------------------------------------------------------
# The UDP "X-Ray daemon": counts datagrams. Runs as `run.py --udp-sink HOST:PORT`.


def udp_sink(addr):
    host, port = addr.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for opt in (getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF):
        if opt is None:
            continue
        try:
            s.setsockopt(socket.SOL_SOCKET, opt, 16 << 20)
            break
        except OSError:
            continue
    try:
        s.bind((host, int(port)))
    except OSError as e:
        sys.exit("udp-sink: cannot listen on %s: %s" % (addr, e))
    counts = {"datagrams": 0, "bytes": 0}

    def snapshot(signum, frame):
        print(json.dumps(counts), flush=True)

    def stop(signum, frame):
        print(json.dumps(counts), flush=True)
        os._exit(0)

    signal.signal(signal.SIGUSR1, snapshot)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready", file=sys.stderr, flush=True)
    while True:
        try:
            d = s.recv(65536)
        except InterruptedError:
            continue
        counts["datagrams"] += 1
        counts["bytes"] += len(d)


def start_udp_sink(workdir):
    p = start("udp-sink", [PYTHON, str(REPO / "bench" / "run.py"), "--udp-sink",
                           "%s:%d" % XRAY_DAEMON], workdir)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if "ready" in p.stderr_text():
            return p
        if not p.alive():
            raise BenchError("the UDP sink for the X-Ray SDK did not start: %s"
                             % lib.tail(p.stderr_path))
        time.sleep(0.02)
    raise BenchError("the UDP sink for the X-Ray SDK did not get ready within 10 s")


def udp_sink_counts(p, k):
    """Ask the sink for its counts (SIGUSR1) and return the k-th answer."""
    p.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = p.stdout_text().splitlines()
        if len(lines) >= k:
            return json.loads(lines[k - 1])
        time.sleep(0.02)
    raise BenchError("the UDP sink gave no counts: %s" % lib.tail(p.stderr_path))


def stop_udp_sink(p, k):
    p.send_signal(signal.SIGTERM)
    finish(p, 10)
    lines = p.stdout_text().splitlines()
    if len(lines) < k:
        raise BenchError("the UDP sink printed no counts: %s" % lib.tail(p.stderr_path))
    return json.loads(lines[k - 1])


# ---------------------------------------------------------------------------------------------
# pyspan


def pyspan_prog_ids(pid):
    """Ids of the BPF programs the process holds open (from /proc/PID/fdinfo)."""
    ids = set()
    fd_dir = Path("/proc/%d/fdinfo" % pid)
    try:
        entries = list(fd_dir.iterdir())
    except OSError:
        return ids
    for e in entries:
        try:
            text = e.read_text()
        except OSError:
            continue
        if "prog_tag:" in text:
            m = re.search(r"^prog_id:\s+(\d+)", text, re.M)
            if m:
                ids.add(int(m.group(1)))
    return ids


def bpf_progs(ids):
    """bpftool prog show -j for the given program ids: {id: record}."""
    try:
        out = subprocess.run([BPFTOOL, "prog", "show", "-j"], capture_output=True, text=True,
                             timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BenchError("bpftool prog show failed: %s" % e)
    if out.returncode != 0:
        raise BenchError("bpftool prog show failed: %s" % out.stderr.strip())
    return {p["id"]: p for p in json.loads(out.stdout) if p.get("id") in ids}


def count_spans(path):
    """(spans, bad lines, spans with an exception by source, 500 spans, client spans)."""
    spans = bad = fivehundred = clients = 0
    sources = {}
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                o = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if not isinstance(o, dict):
                bad += 1
                continue
            spans += 1
            src = o.get("pyspan.exception_source")
            if src:
                sources[src] = sources.get(src, 0) + 1
            if o.get("http.response.status_code") == 500:
                fivehundred += 1
            if o.get("kind") == "client":
                clients += 1
    return spans, bad, sources, fivehundred, clients


def wait_spans_settle(ps, want, timeout=10):
    """Until stdout holds want lines, or has not grown for a second."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline and ps.alive():
        try:
            size = os.path.getsize(ps.stdout_path)
        except OSError:
            size = 0
        if size != last:
            if ps.stdout_path.read_bytes().count(b"\n") >= want:
                return
            last, since = size, time.monotonic()
        elif time.monotonic() - since >= 1.0:
            return
        time.sleep(0.1)


def start_pyspan(pids, workdir, extra=(), name="pyspan", env=None):
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})  # lib.Pyspan starts pyspan with this process's environment
    try:
        ps = lib.Pyspan(pids, workdir, extra)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    ps.name = name
    STARTED.append(ps)
    try:
        ps.wait_attached(60)
    except lib.SetupError as e:
        raise BenchError("pyspan did not attach: %s" % e)
    return ps


def summary_line(ps):
    """pyspan's exit summary ("pyspan: N events, N spans, ..."); the exporters' lines that
    follow it may mention spans too."""
    lines = re.findall(r"^pyspan: \d+ events, \d+ spans.*$", ps.stderr_text(), re.M)
    return lines[-1] if lines else None


def stop_pyspan(ps):
    rc = ps.interrupt(timeout=60)
    summary = summary_line(ps)
    if rc != 0:
        raise BenchError("pyspan exited %s after SIGINT; its stderr:\n%s"
                         % ("(killed)" if rc is None else rc, lib.tail(ps.stderr_path, 20)))
    if not summary:
        raise BenchError("pyspan printed no summary; its stderr:\n%s"
                         % lib.tail(ps.stderr_path, 20))
    return summary


def outbound_counts(ps):
    """pyspan's outbound summary line: client calls traced, OpenSSL libraries probed, uprobe
    hits (entry and return) and the SSL calls they saw."""
    m = re.search(r"outbound: (\d+) calls traced; TLS: (\d+) OpenSSL librar\w+ probed, "
                  r"(\d+) probe hits \((\d+) calls\)", ps.stderr_text())
    if not m:
        return None
    return dict(zip(("calls", "libs", "hits", "ssl_calls"), (int(x) for x in m.groups())))


def summary_counts(line):
    out = {}
    for key, word in (("events", "events"), ("spans_summary", "spans"),
                      ("drops", "ring-buffer drops"), ("connections", "connections"),
                      ("parse_errors", "parse errors"),
                      ("unmatched", "unmatched responses"),
                      ("exc_read", "exceptions read"), ("tb_parsed", "tracebacks parsed")):
        out[key] = lib.summary_number(line, word)
    m = re.search(r"ring-buffer drops \(([^)]*)\)", line or "")
    out["drops_by_cause"] = m.group(1) if m else ""
    return out


# ---------------------------------------------------------------------------------------------
# Stage 1 (and the instrumented (B) runs of stages 2 and 4)


# What each mode runs: the app, pyspan's extra flags (None: no pyspan) and environment, and
# whether the UDP "X-Ray daemon" listens on 127.0.0.1:2000.
XRAY_DAEMON_ENV = {"AWS_XRAY_DAEMON_ADDRESS": "%s:%d" % XRAY_DAEMON}
# api mode against loopback only: credentials from the environment, so neither the instance
# metadata service nor STS is ever asked.
XRAY_API_ENV = {"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDPYSPANBENCH00000",
                "AWS_SECRET_ACCESS_KEY": "pyspan-bench-not-a-secret",
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "NO_PROXY": "127.0.0.1,localhost",
                "no_proxy": "127.0.0.1,localhost"}


# Mode C: every exporter at once. The X-Ray daemon is the UDP sink above; the others are
# the loopback stand-ins of the end-to-end tests (tests/e2e/receivers), run here as threads,
# which check every request as the service would (key, token, SigV4, schema, limits).
C_EXPORTERS = ("stdout", "xray", "honeycomb", "otlp", "rollbar", "cloudwatch")
C_HNY_KEY = "hcaik_01benchloopbackenvironmentkeyNOTASECRET0123456789abcdefghij"
C_OTLP_HEADER = ("x-api-key", "bench-otlp-key")
C_ROLLBAR_TOKEN = "0123456789abcdefBenchNOTASECRET"
C_CW = {"akid": "AKIDPYSPANBENCHCW000", "secret": "pyspan-bench-cw-not-a-secret",
        "token": "pyspan-bench-cw-session-token", "region": "us-east-1",
        "group": "/pyspan/bench", "stream": "bench"}
# validate=False: per-record schema checks off (the end-to-end tests make them); auth,
# encoding, JSON and counts stay. See Receivers.
C_VALIDATE = False


def c_flags():
    """pyspan's flags in mode C; endpoints come from Receivers.flags()."""
    return ["--export", ",".join(C_EXPORTERS), "--xray-mode", "daemon", "--sampling", "all",
            "--log-group", C_CW["group"], "--log-stream", C_CW["stream"]]


class Receivers:
    """The HTTP backends of mode C on free loopback ports, each timing what it does with a
    request (CPU and wall time of its handler, counted in this process)."""

    def __init__(self):
        self.timing = {}
        self.lock = threading.Lock()
        self.hny = self.otlp = self.rb = self.cw = None
        try:
            self.hny = self.timed("honeycomb", HoneycombReceiver(C_HNY_KEY,
                                                                  validate=C_VALIDATE))
            self.otlp = self.timed("otlp", OtlpReceiver(dict([C_OTLP_HEADER]),
                                                        validate=C_VALIDATE))
            self.rb = self.timed("rollbar", RollbarReceiver(token=C_ROLLBAR_TOKEN))
            # No throttling or too-old answer: the bench measures the steady state.
            self.cw = self.timed("cloudwatch", CloudWatchLogs(
                C_CW["akid"], C_CW["secret"], C_CW["token"], C_CW["region"],
                throttle_once=False, reject_old_once=False))
            # The group and stream exist, as they do after pyspan's first run against them.
            self.cw.groups[C_CW["group"]] = {C_CW["stream"]: []}
        except BaseException:
            self.stop()
            raise

    def timed(self, name, rx):
        inner = rx.handle
        t = self.timing[name] = {"requests": 0, "cpu_s": 0.0, "wall_s": 0.0, "max_ms": 0.0}

        def handle(*a):
            c0, w0 = time.thread_time(), time.perf_counter()
            try:
                return inner(*a)
            finally:
                wall = time.perf_counter() - w0
                with self.lock:
                    t["requests"] += 1
                    t["cpu_s"] += time.thread_time() - c0
                    t["wall_s"] += wall
                    t["max_ms"] = max(t["max_ms"], wall * 1e3)
        rx.handle = handle
        return rx

    def flags(self):
        return ["--rollbar-endpoint", self.rb.endpoint, "--cloudwatch-endpoint", self.cw.url]

    def env(self):
        return {"HONEYCOMB_API_KEY": C_HNY_KEY, "HONEYCOMB_API_ENDPOINT": self.hny.url,
                "OTEL_EXPORTER_OTLP_ENDPOINT": self.otlp.url,
                "OTEL_EXPORTER_OTLP_HEADERS": "%s=%s" % C_OTLP_HEADER,
                "ROLLBAR_ACCESS_TOKEN": C_ROLLBAR_TOKEN,
                "AWS_ACCESS_KEY_ID": C_CW["akid"], "AWS_SECRET_ACCESS_KEY": C_CW["secret"],
                "AWS_SESSION_TOKEN": C_CW["token"], "AWS_REGION": C_CW["region"],
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
                **XRAY_DAEMON_ENV}

    def counts(self):
        """What each backend accepted, refused, and found wrong."""
        cw_events = self.cw.events(C_CW["group"], C_CW["stream"])
        cw_req = sum(1 for e in cw_events if '"type":"request"' in e.get("message", ""))
        return {
            "honeycomb": {"events": len(self.hny.all_events()), "refused": len(self.hny.rejected),
                          "problems": len(self.hny.problems), "non_200": sum(
                              1 for s in self.hny.statuses if s != 200)},
            "otlp": {"spans": len(self.otlp.spans), "logs": len(self.otlp.logs),
                     "refused": sum(self.otlp.rejected.values()),
                     "problems": len(self.otlp.problems),
                     "non_200": sum(1 for s in self.otlp.statuses if s != 200)},
            "rollbar": {"items": len(self.rb.items), "requests": len(self.rb.requests),
                        "problems": len(self.rb.problems), "non_200": sum(
                            1 for r in self.rb.requests if r["status"] != 200)},
            "cloudwatch": {"events": len(cw_events), "request_events": cw_req,
                           "other_events": len(cw_events) - cw_req,
                           "rejected": len(self.cw.rejected), "problems": len(self.cw.bad),
                           "calls": dict((op, sum(1 for o in self.cw.ops if o[0] == op))
                                         for op in sorted({o[0] for o in self.cw.ops})),
                           "non_ok": sum(1 for o in self.cw.ops if o[1] != "ok")},
        }

    def stop(self):
        for rx in (self.hny, self.otlp, self.rb, self.cw):
            if rx is not None:
                rx.stop()
        self.hny = self.otlp = self.rb = self.cw = None


def run_setup(app, pyspan=None, env=None, sink=False, receivers=False, upstream=None):
    """What one run starts: the app; pyspan's extra flags (None: no pyspan) and environment;
    whether the UDP "X-Ray daemon" listens; whether mode C's HTTP receivers run; for stage 5,
    the (cert, key) of the HTTPS upstream the app calls."""
    return {"app": app, "pyspan": pyspan, "env": env or {}, "sink": sink,
            "receivers": receivers, "upstream": upstream}


def mode_setup(mode):
    if mode == "A":
        return run_setup("demo.app:app")
    if mode == "B":
        return run_setup("demo.app:app", pyspan=[])
    if mode == "C":
        return run_setup("demo.app:app", pyspan=c_flags(), sink=True, receivers=True)
    if mode == "D":
        return run_setup("bench.xray_app:app", sink=True)
    raise ValueError(mode)


def one_run(mode, workload, args, tmp, tag, stats_run=False, setup=None):
    """One measured run: fresh service, warm-up, [tracer], wrk, [tracer stop], stop."""
    wd = Path(tmp) / tag
    wd.mkdir()
    res = {"mode": mode, "workload": workload}
    sink = rx = upstream = None
    setup = setup or mode_setup(mode)
    ps_extra, ps_env, app_env = setup["pyspan"], setup["env"], {}
    res["quiet_wait_s"], res["busy_before_pct"] = wait_quiet()
    try:
        if setup["sink"]:
            sink = start_udp_sink(wd)
        if setup["receivers"]:
            rx = Receivers()
            ps_extra = list(ps_extra) + rx.flags()
            ps_env = dict(ps_env, **rx.env())
        if setup["upstream"]:
            upstream, app_env = start_https_upstream(wd, *setup["upstream"])
        port = lib.free_port()
        gu, workers = start_service(setup["app"], port, wd, env=app_env)
        run_wrk(workload, port, args.warmup, wd, name="wrk-warmup")
        ps = None
        if ps_extra is not None:
            extra = list(ps_extra)
            if stats_run:
                extra += ["--record", str(wd / "capture.rec")]
            res["pyspan_args"] = extra
            ps = start_pyspan([gu.pid], wd, extra, env=ps_env)
            prog_ids = pyspan_prog_ids(ps.pid)
            res["prog_ids"] = sorted(prog_ids)
            if stats_run:
                before = bpf_progs(prog_ids)
        sink_before = udp_sink_counts(sink, 1) if sink else None
        cpu0 = tree_cpu_s([gu.pid] + workers)
        ps_cpu0 = tree_cpu_s([ps.pid]) if ps else 0
        up_cpu0 = tree_cpu_s([upstream.pid]) if upstream else 0
        other = OtherLoad([gu.pid] + workers + ([ps.pid] if ps else [])
                          + ([sink.pid] if sink else []) + ([upstream.pid] if upstream else []))
        self0 = self_cpu_s()
        res.update(run_wrk(workload, port, args.duration, wd))
        res["other_cpu_pct"], res["steal_pct"] = other.done()
        if upstream:
            res["upstream_cpu_s"] = tree_cpu_s([upstream.pid]) - up_cpu0
        if rx:
            # The receivers' threads, with this process's own (idle) waiting for wrk.
            res["receivers_cpu_s"] = self_cpu_s() - self0
        res["service_cpu_s"] = tree_cpu_s([gu.pid] + workers) - cpu0
        if ps:
            if stats_run:
                after = bpf_progs(prog_ids)
                res["bpf"] = {i: (after[i], before.get(i, {})) for i in after}
            # Stage 5: a server span and a client span per request.
            wait_spans_settle(ps, res["requests"] * (2 if setup["upstream"] else 1))
            res["pyspan_cpu_s"] = tree_cpu_s([ps.pid]) - ps_cpu0
            res["vmhwm_kb"] = vm_hwm_kb(ps.pid)
            summary = stop_pyspan(ps)
            res["summary"] = summary
            res.update(summary_counts(summary))
            res["exporters"] = export_lines(ps)
            res["tls"] = outbound_counts(ps)
            spans, bad, sources, five, clients = count_spans(ps.stdout_path)
            res.update(spans=spans, bad_lines=bad, exc_sources=sources, spans_500=five,
                       client_spans=clients)
            if stats_run:
                res["recording"] = str(wd / "capture.rec")
        gu.stop(signal.SIGTERM, 15)
        if sink:
            end = stop_udp_sink(sink, 2)
            res["xray"] = {k: end[k] - sink_before[k] for k in end}
        if rx:
            res["receivers"] = rx.counts()
            res["receivers_timing"] = rx.timing
    finally:
        # Everything of this run stops here; the registry keeps the others (none).
        cleanup()
        if rx:
            rx.stop()
        if not stats_run:
            for f in wd.glob("*.stdout"):
                if f.name.startswith("pyspan"):
                    f.unlink()
    return res


def export_lines(ps):
    """pyspan's per-exporter summary lines: {name: "N sent, N retried, N dropped; ..."}."""
    out = {}
    for line in ps.stderr_text().splitlines():
        m = re.match(r"pyspan: export (\w+): (.*)", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def network_exporters():
    """The network exporters this pyspan has (from --help): [] before any existed."""
    try:
        r = subprocess.run([str(lib.PYSPAN), "--help"], capture_output=True, text=True,
                           timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return []
    m = re.search(r"--export LIST\s+where spans go, comma-separated: ([^;]*);", r.stdout)
    if not m:
        return []
    names = [w.split()[0] for w in m.group(1).split(",") if w.strip()]
    return [n for n in names if n != "stdout"]


def stage_overhead(args, tmp):
    runs = []
    modes = [m for m, _ in MODES if m != "C" or args.has_c]
    total = args.rounds * len(WORKLOADS) * len(modes)
    k = 0
    for r in range(1, args.rounds + 1):
        for wl, _ in WORKLOADS:
            for mode in modes:
                k += 1
                res = one_run(mode, wl, args, tmp, "r%d-%s-%s" % (r, wl, mode))
                res["round"] = r
                runs.append(res)
                extra = ""
                if mode in ("B", "C"):
                    extra = ", %d spans (%.4f of wrk's requests), %s drops, pyspan VmHWM %s kB" % (
                        res["spans"], res["spans"] / max(1, res["requests"]), res["drops"],
                        res["vmhwm_kb"])
                if mode in ("C", "D"):
                    extra += ", %d datagrams to the X-Ray daemon" % res["xray"]["datagrams"]
                log("[%d/%d] round %d %-6s (%s): %.0f req/s, p50 %.2f ms, p99 %.2f ms, "
                    "%d requests%s; other CPU %.1f%%" % (
                        k, total, r, wl, mode, res["rps"], res["p50_ms"], res["p99_ms"],
                        res["requests"], extra, res["other_cpu_pct"]))
    return runs


DOWN_KINDS = [("refused", "nothing listens on the endpoint's port (connections refused)"),
              ("unresponsive", "a socket listens but never accepts (requests hang)")]


def stage_backend_down(args, tmp):
    """Memory of pyspan when the network exporter's backend is down, both ways."""
    out = {}
    for kind, desc in DOWN_KINDS:
        hold = None
        if kind == "refused":
            port = lib.free_port()
        else:
            hold = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            hold.bind(("127.0.0.1", 0))
            hold.listen(1)
            port = hold.getsockname()[1]
        try:
            setup = run_setup("demo.app:app", pyspan=[
                "--export", "stdout,xray", "--xray-mode", "api", "--xray-endpoint",
                "http://127.0.0.1:%d" % port, "--sampling", "all"], env=XRAY_API_ENV)
            res = one_run("B", "json", args, tmp, "down-%s" % kind, setup=setup)
        finally:
            if hold:
                hold.close()
        out[kind] = res
        log("backend down (%s): pyspan VmHWM %s kB, %.0f req/s; %s" % (
            kind, res["vmhwm_kb"], res["rps"], res["exporters"].get("xray", "?")))
    return out


def stage_instrumented(args, tmp):
    """(B) once more per workload with kernel.bpf_stats_enabled=1 and --record: the BPF run
    times for stage 4 and the recordings for stage 2. Kept out of stage 1's medians: statistics
    and recording cost something of their own."""
    old = Path("/proc/sys/kernel/bpf_stats_enabled").read_text().strip()
    out = {}
    try:
        r = subprocess.run(["sysctl", "-q", "-w", "kernel.bpf_stats_enabled=1"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise BenchError("sysctl kernel.bpf_stats_enabled=1 failed: %s" % r.stderr.strip())
        for wl, _ in WORKLOADS:
            res = one_run("B", wl, args, tmp, "stats-%s" % wl, stats_run=True)
            out[wl] = res
            log("instrumented (B) %s: %.0f req/s, %d requests, %d spans, recording %.0f MB"
                % (wl, res["rps"], res["requests"], res["spans"],
                   os.path.getsize(res["recording"]) / 1e6))
    finally:
        subprocess.run(["sysctl", "-q", "-w", "kernel.bpf_stats_enabled=%s" % old],
                       capture_output=True)
    out["_restored"] = old
    return out


# ---------------------------------------------------------------------------------------------
# Stage 2: pipeline


def stage_pipeline(args, tmp, instrumented):
    out = {}
    for wl, _ in WORKLOADS:
        rec = instrumented[wl]["recording"]
        p = start("replay-%s" % wl, [str(REPLAY), "--seconds", str(args.replay_seconds), rec],
                  tmp)
        rc = finish(p, args.replay_seconds + 120)
        STARTED.remove(p)
        if rc != 0:
            raise BenchError("replay of %s exited %d: %s" % (rec, rc, lib.tail(p.stderr_path)))
        try:
            res = json.loads(p.stdout_text().strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise BenchError("replay printed no result: %s" % lib.tail(p.stderr_path))
        res["recording_bytes"] = os.path.getsize(rec)
        out[wl] = res
        log("pipeline %s: %.0f events/s, %.0f spans/s (%d events in %.2f s, %d passes)"
            % (wl, res["events_per_s"], res["spans_per_s"], res["events"], res["wall_s"],
               res["passes"]))
        os.unlink(rec)  # hundreds of MB: data records are stored at full capture size
    return out


# ---------------------------------------------------------------------------------------------
# Stage 4c: the uprobe candidates for exception capture, and pyspan's own reads


def send_many(port, path, n, expect):
    bad = 0
    for _ in range(n):
        req = lib.Req("GET", path)
        try:
            lib.send_one(port, req, timeout=30)
        except (OSError, http.client.HTTPException) as e:
            raise BenchError("GET %s failed: %s" % (path, e))
        if req.status != expect:
            bad += 1
    if bad:
        raise BenchError("%d of %d GET %s answered other than %d" % (bad, n, path, expect))


def uc_snapshot(uc, k):
    uc.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [l for l in uc.stdout_text().splitlines() if l.startswith("{")]
        if len(lines) >= k:
            return json.loads(lines[k - 1])["hits"]
        if not uc.alive():
            break
        time.sleep(0.02)
    raise BenchError("uprobe_count gave no snapshot: %s" % lib.tail(uc.stderr_path))


def stage_uprobes(args, tmp):
    wd = Path(tmp) / "uprobes"
    wd.mkdir()
    n = args.requests
    out = {"requests": n, "funcs": list(UPROBE_FUNCS)}
    try:
        port = lib.free_port()
        gu, workers = start_service("demo.app:app", port, wd)
        binary = os.path.realpath("/proc/%d/exe" % gu.pid)
        out["binary"] = binary
        out["pids"] = [gu.pid] + workers
        # Warm both workers up: first requests import and cache things.
        send_many(port, "/api/activities", 200, 200)
        send_many(port, "/api/fail", 100, 500)
        argv = [str(UPROBE_COUNT), "--binary", binary]
        for f in UPROBE_FUNCS:
            argv += ["--func", f]
        for pid in [gu.pid] + workers:
            argv += ["--pid", str(pid)]
        out["argv"] = " ".join(argv)
        uc = start("uprobe_count", argv, wd)
        deadline = time.monotonic() + 30
        while "uprobe_count: attached" not in uc.stderr_text():
            if not uc.alive() or time.monotonic() > deadline:
                raise BenchError("uprobe_count did not attach: %s" % lib.tail(uc.stderr_path))
            time.sleep(0.05)
        snaps = [uc_snapshot(uc, 1)]
        time.sleep(2.0)
        snaps.append(uc_snapshot(uc, 2))
        out["idle"] = {f: (snaps[1][f] - snaps[0][f]) / 2.0 for f in UPROBE_FUNCS}
        k = 2
        for phase, path, status in (("ordinary", "/api/activities", 200),
                                    ("failing", "/api/fail", 500)):
            (wd / phase).mkdir()
            ps = start_pyspan([gu.pid], wd / phase, name="pyspan-%s" % phase)
            k += 1
            s0 = uc_snapshot(uc, k)
            t0 = time.monotonic()
            send_many(port, path, n, status)
            k += 1
            s1 = uc_snapshot(uc, k)
            secs = time.monotonic() - t0
            wait_spans_settle(ps, n)
            summary = stop_pyspan(ps)
            spans, bad, sources, five, _ = count_spans(ps.stdout_path)
            c = summary_counts(summary)
            out[phase] = {
                "seconds": secs,
                "hits": {f: s1[f] - s0[f] for f in UPROBE_FUNCS},
                "per_request": {f: (s1[f] - s0[f]) / n for f in UPROBE_FUNCS},
                "pyexc_events": c["exc_read"], "tracebacks_parsed": c["tb_parsed"],
                "spans": spans, "exception_spans": sources, "summary": summary,
            }
            log("uprobes %s: %s per request; pyspan read %s exceptions for %d requests"
                % (phase, ", ".join("%s %.2f" % (f, out[phase]["per_request"][f])
                                    for f in UPROBE_FUNCS), c["exc_read"], n))
        uc.send_signal(signal.SIGINT)
        finish(uc, 10)
    finally:
        cleanup()
    return out


# ---------------------------------------------------------------------------------------------
# Stage 5: outbound HTTPS calls. bench/upstream_app.py makes one HTTPS GET per request to a
# loopback HTTPS server, `run.py --https-upstream`, with a self-signed certificate.

OPENSSL = "openssl"
UPSTREAM_APP = "bench.upstream_app:app"
UPSTREAM_BODY = b'{"quote": "Only an idiot fights a war on two fronts.", "id": 4}'
OUTBOUND_MODES = [("A", "untraced"), ("B", "pyspan (stdout exporter to a file)")]


def https_upstream(addr, cert, key):
    """The HTTPS server the bench app calls: HTTP/1.1 keep-alive, a thread per connection,
    every GET answered 200 with UPSTREAM_BODY."""
    import http.server
    import ssl

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # One write (one TLS record) per response, flushed by the base class after do_GET,
        # and no Nagle: otherwise the body waits for the client's delayed ACK.
        wbufsize = 1 << 16
        disable_nagle_algorithm = True

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(UPSTREAM_BODY)))
            self.end_headers()
            self.wfile.write(UPSTREAM_BODY)

        def log_message(self, *a):
            pass

    host, port = addr.rsplit(":", 1)
    try:
        server = http.server.ThreadingHTTPServer((host, int(port)), Handler)
    except OSError as e:
        sys.exit("https-upstream: cannot listen on %s: %s" % (addr, e))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    signal.signal(signal.SIGINT, lambda *a: os._exit(0))
    print("ready", file=sys.stderr, flush=True)
    server.serve_forever()


def make_cert(workdir):
    """A self-signed certificate for 127.0.0.1 and localhost, valid for a day."""
    cert, key = Path(workdir) / "upstream-cert.pem", Path(workdir) / "upstream-key.pem"
    try:
        r = subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                            "1", "-subj", "/CN=localhost", "-addext",
                            "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key),
                            "-out", str(cert)], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BenchError("openssl req failed: %s" % e)
    if r.returncode:
        raise BenchError("openssl req failed: %s" % r.stderr.strip()[-500:])
    return str(cert), str(key)


def start_https_upstream(workdir, cert, key):
    """Start the upstream; returns it and the environment the bench app needs to call it."""
    port = lib.free_port()
    p = start("https-upstream", [PYTHON, str(REPO / "bench" / "run.py"), "--https-upstream",
                                 "127.0.0.1:%d" % port, "--cert", cert, "--key", key], workdir)
    deadline = time.monotonic() + 10
    while "ready" not in p.stderr_text():
        if not p.alive() or time.monotonic() > deadline:
            raise BenchError("the HTTPS upstream did not start: %s" % lib.tail(p.stderr_path))
        time.sleep(0.02)
    return p, {"BENCH_UPSTREAM_URL": "https://127.0.0.1:%d/quote" % port,
               "BENCH_UPSTREAM_CA": cert, "NO_PROXY": "127.0.0.1,localhost",
               "no_proxy": "127.0.0.1,localhost"}


def stage_outbound(args, tmp):
    """Untraced and traced runs of GET /api/upstream, interleaved (A B, A B, ...)."""
    wd = Path(tmp) / "outbound"
    wd.mkdir()
    cert, key = make_cert(wd)
    run_args = argparse.Namespace(warmup=args.warmup, duration=args.outbound_duration)
    runs = []
    total = args.outbound_rounds * len(OUTBOUND_MODES)
    for r in range(1, args.outbound_rounds + 1):
        for mode, _ in OUTBOUND_MODES:
            setup = run_setup(UPSTREAM_APP, pyspan=[] if mode == "B" else None,
                              upstream=(cert, key))
            res = one_run(mode, "upstream", run_args, wd, "r%d-%s" % (r, mode), setup=setup)
            res["round"] = r
            runs.append(res)
            extra = ""
            if mode == "B":
                tls = res["tls"] or {}
                server = res["spans"] - res["client_spans"]
                extra = (", %d server spans, %d client spans, %s OpenSSL probe hits "
                         "(%.2f per request), %s drops" % (
                             server, res["client_spans"], tls.get("hits", "?"),
                             tls.get("hits", 0) / max(server, 1), res["drops"]))
            log("[%d/%d] outbound round %d (%s): %.0f req/s, p50 %.2f ms, p99 %.2f ms, "
                "%d requests%s; other CPU %.1f%%" % (
                    len(runs), total, r, mode, res["rps"], res["p50_ms"], res["p99_ms"],
                    res["requests"], extra, res["other_cpu_pct"]))
    return {"runs": runs, "rounds": args.outbound_rounds, "duration": args.outbound_duration,
            "app": UPSTREAM_APP}


# ---------------------------------------------------------------------------------------------
# Preflight and machine


def preflight(args):
    problems = []
    if os.geteuid() != 0:
        raise BenchError("needs root: pyspan and uprobe_count load BPF programs, and "
                         "kernel.bpf_stats_enabled is a sysctl (uid is %d)" % os.geteuid())
    if not lib.BTF.exists():
        problems.append("the kernel exposes no BTF (/sys/kernel/btf/vmlinux)")
    for path, how in ((lib.PYSPAN, "make pyspan"), (REPLAY, "make build/bench/replay"),
                      (UPROBE_COUNT, "make build/bench/uprobe_count")):
        if not os.access(path, os.X_OK):
            problems.append("%s is missing: run `%s` (or `make bench`)" % (path, how))
    for tool, pkg in ((WRK, "wrk"), (GUNICORN, "gunicorn"), (BPFTOOL, "bpftool"),
                      ("sysctl", "procps"), (OPENSSL, "openssl")):
        if not shutil.which(tool):
            problems.append("%s is missing: install the Debian package %s (make deps)"
                            % (tool, pkg))
    r = subprocess.run([PYTHON, "-c", "import flask, requests, botocore, aws_xray_sdk.core, "
                        "aws_xray_sdk.ext.flask.middleware"], capture_output=True, text=True)
    if r.returncode != 0:
        problems.append("%s cannot import flask, requests, botocore and the X-Ray SDK (Debian "
                        "packages python3-flask, python3-requests, python3-botocore, "
                        "python3-aws-xray-sdk): %s"
                        % (PYTHON, r.stderr.strip().splitlines()[-1:]))
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(XRAY_DAEMON)
    except OSError as e:
        problems.append("UDP %s:%d (the X-Ray daemon's port) is taken: %s" % (*XRAY_DAEMON, e))
    if not Path("/proc/sys/kernel/bpf_stats_enabled").exists():
        problems.append("this kernel has no kernel.bpf_stats_enabled")
    if problems:
        raise BenchError("\n  - " + "\n  - ".join(problems))


def cmd_out(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return (r.stdout + r.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def machine():
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    os_name = "?"
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    head = cmd_out(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    # What the measured binaries were built from: HEAD plus any uncommitted change outside
    # bench/ (named, with a hash of the diff, so a result can be traced to its source).
    changed = cmd_out(["git", "-C", str(REPO), "diff", "--name-only", "HEAD", "--", ".",
                       ":(exclude)bench"]).split()
    diff_hash = ""
    if changed:
        try:
            d = subprocess.run(["git", "-C", str(REPO), "diff", "HEAD", "--", ".",
                                ":(exclude)bench"], capture_output=True, timeout=30).stdout
            diff_hash = hashlib.sha256(d).hexdigest()[:12]
        except (OSError, subprocess.TimeoutExpired):
            diff_hash = "?"
    return {
        "nproc": os.cpu_count(),
        "kernel": platform.release(),
        "cpu": cpu,
        "os": os_name,
        "mem_gb": mem_kb / 1048576,
        "python": cmd_out([PYTHON, "--version"]),
        "gunicorn": cmd_out([GUNICORN, "--version"]),
        "flask": cmd_out([PYTHON, "-c", "import flask; print(flask.__version__)"]),
        "xray": cmd_out(["dpkg-query", "-W", "-f=${Version}", "python3-aws-xray-sdk"]),
        "wrk": cmd_out([WRK, "-v"]).splitlines()[0] if cmd_out([WRK, "-v"]) else "?",
        "pyspan": "%s%s" % (head, " plus uncommitted changes to %s (git diff sha256 %s)"
                             % (", ".join(changed), diff_hash) if changed else ""),
        "loadavg_start": Path("/proc/loadavg").read_text().split()[:3],
    }


# ---------------------------------------------------------------------------------------------
# Report


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt_ratio(x):
    return "%.3f" % x if x is not None else "-"


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def overhead_tables(runs):
    """Per workload: the summary table rows, plus medians for the findings."""
    tables, meds = {}, {}
    for wl, _ in WORKLOADS:
        m = {}
        for mode, _ in MODES:
            rr = [r for r in runs if r["workload"] == wl and r["mode"] == mode]
            if rr:
                m[mode] = {k: med([r[k] for r in rr]) for k in ("rps", "p50_ms", "p99_ms")}
                m[mode]["runs"] = rr
        a = m["A"]
        rows = []
        for mode, desc in MODES:
            label = "(%s) %s" % (mode, desc)
            if mode == "C":
                exp = next((r["pyspan_args"][r["pyspan_args"].index("--export") + 1]
                            for r in m.get("C", {}).get("runs", [])
                            if "--export" in r.get("pyspan_args", [])), "")
                label = "(C) every exporter enabled against loopback receivers" + (
                    ": %s" % " + ".join(exp.split(",")) if exp else "")
            if mode not in m:
                rows.append([label] + [NA_EXPORTERS] + ["-"] * 5)
                continue
            x = m[mode]
            rows.append([label, "%.0f" % x["rps"], fmt_ratio(x["rps"] / a["rps"]),
                         "%.2f" % x["p50_ms"], fmt_ratio(x["p50_ms"] / a["p50_ms"]),
                         "%.2f" % x["p99_ms"], fmt_ratio(x["p99_ms"] / a["p99_ms"])])
        tables[wl] = rows
        meds[wl] = m
    return tables, meds


OVERHEAD_HEADER = ["mode", "req/s", "× untraced", "p50 ms", "× untraced", "p99 ms",
                   "× untraced"]


def per_round_ratios(runs, wl, mode, key):
    out = []
    rounds = sorted({r["round"] for r in runs})
    for rnd in rounds:
        a = [r for r in runs if r["round"] == rnd and r["workload"] == wl and r["mode"] == "A"]
        x = [r for r in runs if r["round"] == rnd and r["workload"] == wl and r["mode"] == mode]
        if a and x:
            out.append(x[0][key] / a[0][key])
    return out


def bpf_rows(res):
    rows = []
    tot_ns = tot_cnt = 0
    n = res["requests"]
    for pid_, (after, before) in sorted(res["bpf"].items(), key=lambda kv: kv[1][0]["name"]):
        ns = after.get("run_time_ns", 0) - before.get("run_time_ns", 0)
        cnt = after.get("run_cnt", 0) - before.get("run_cnt", 0)
        miss = after.get("recursion_misses", 0) - before.get("recursion_misses", 0)
        tot_ns += ns
        tot_cnt += cnt
        if cnt == 0:
            continue
        rows.append((after["name"], after.get("type", "?"), ns, cnt, ns / n, cnt / n,
                     ns / cnt, miss))
    rows.sort(key=lambda r: -r[2])
    return rows, tot_ns, tot_cnt


def report(args, mach, started, runs, inst, pipe, up, elapsed, down=None, outbound=None):
    tables, meds = overhead_tables(runs)
    date = started.strftime("%Y-%m-%d")
    L = []
    w = L.append
    w("# pyspan benchmark, %s" % date)
    w("")
    w("Written by `make bench` (bench/run.py) on %s UTC in %.1f minutes. A benchmark, not a "
      "test: nothing here passes or fails." % (started.strftime("%Y-%m-%d %H:%M"), elapsed / 60))
    w("")
    w("## Machine")
    w("")
    w("- %d CPUs (`nproc`), %s, %.1f GiB RAM" % (mach["nproc"], mach["cpu"], mach["mem_gb"]))
    w("- kernel `%s` (`uname -r`), %s" % (mach["kernel"], mach["os"]))
    w("- %s (Debian's `/usr/bin/python3`), gunicorn %s, Flask %s, python3-aws-xray-sdk %s, "
      "%s" % (mach["python"], re.sub(r"[^\d.]", "", mach["gunicorn"]), mach["flask"], mach["xray"],
              mach["wrk"].split("[")[0].strip()))
    w("- pyspan at commit %s" % mach["pyspan"])
    w("- load average (1/5/15 min) at start %s, at end %s. Service, load generator, tracer "
      "and receivers all share these %d CPUs." % ("/".join(mach["loadavg_start"]),
                                                  "/".join(mach["loadavg_end"]), mach["nproc"]))
    w("")
    w("## Command lines")
    w("")
    w("Every measured run starts a fresh service on a free loopback port, warms it up, then "
      "measures; the port is PORT below.")
    w("")
    w("```")
    w("# service, modes A and B")
    w("%s --workers %d --worker-class sync --bind 127.0.0.1:PORT --chdir %s demo.app:app"
      % (GUNICORN, WORKERS, REPO))
    w("# service, mode D (demo.app's app wrapped by the X-Ray SDK middleware)")
    w("%s --workers %d --worker-class sync --bind 127.0.0.1:PORT --chdir %s bench.xray_app:app"
      % (GUNICORN, WORKERS, REPO))
    w("# warm-up before every measured run (not counted), then the measured load:")
    for wl, _ in WORKLOADS:
        w(wrk_cmdline(wl, args.warmup))
        w(wrk_cmdline(wl, args.duration))
    has_c = any(r["mode"] == "C" for r in runs)
    w("# mode B, attached after the warm-up; wrk starts once it printed 'pyspan: attached'")
    w("./pyspan --pid GUNICORN_MASTER_PID > spans.jsonl 2> pyspan.stderr")
    if has_c:
        w("# mode C: every exporter at once; the X-Ray daemon is the counting UDP socket below,")
        w("# the others are tests/e2e/receivers in bench/run.py's process (threads, free ports)")
        w("AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000 HONEYCOMB_API_KEY=hcaik_01... "
          "HONEYCOMB_API_ENDPOINT=http://127.0.0.1:PORT1 "
          "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:PORT2 "
          "OTEL_EXPORTER_OTLP_HEADERS=%s=... ROLLBAR_ACCESS_TOKEN=... "
          "AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=... AWS_SESSION_TOKEN=... "
          "AWS_REGION=%s AWS_EC2_METADATA_DISABLED=true ./pyspan --pid GUNICORN_MASTER_PID %s "
          "--rollbar-endpoint http://127.0.0.1:PORT3/api/1/ --cloudwatch-endpoint "
          "http://127.0.0.1:PORT4 > spans.jsonl"
          % (C_OTLP_HEADER[0], C_CW["akid"], C_CW["region"], " ".join(c_flags())))
    if down:
        w("# stage 3, backend down (json workload, one run each): PORT refuses, or listens "
          "and never accepts")
        w("AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIDPYSPANBENCH00000 "
          "AWS_SECRET_ACCESS_KEY=... AWS_EC2_METADATA_DISABLED=true ./pyspan --pid "
          "GUNICORN_MASTER_PID --export stdout,xray --xray-mode api --xray-endpoint "
          "http://127.0.0.1:PORT --sampling all > spans.jsonl")
    w("# modes C and D: the X-Ray 'daemon', a UDP socket that counts datagrams")
    w("%s bench/run.py --udp-sink %s:%d" % (PYTHON, *XRAY_DAEMON))
    w("# stage 2 and 4a: one more mode-B run per workload, same wrk command, with")
    w("sysctl -w kernel.bpf_stats_enabled=1        # restored to %s afterwards" % inst["_restored"])
    w("./pyspan --pid GUNICORN_MASTER_PID --record capture.rec > spans.jsonl")
    w("bpftool prog show -j                        # before and after wrk, pyspan's programs")
    w("build/bench/replay --seconds %s capture.rec" % args.replay_seconds)
    w("# stage 4c")
    w(up["argv"].replace(str(REPO) + "/", ""))
    w("```")
    w("")
    w("Rounds: %d, each running, per workload, A B C D in that order%s. Values are medians "
      "over the rounds; ratios are median(mode) / median(A)." % (
          args.rounds, "" if has_c else " (C is not runnable: this pyspan lacks one of "
          "the exporters %s)" % ", ".join(C_EXPORTERS)))
    w("")
    w("(D) configuration (bench/xray_app.py): `xray_recorder.configure(sampling=False, "
      "service='pyspan-bench-demo', daemon_address='127.0.0.1:2000', "
      "context_missing='LOG_ERROR')`, no plugins, then `XRayMiddleware(app, xray_recorder)`. "
      "With sampling off every request is sampled: each one becomes a segment sent as one UDP "
      "datagram. SDK 0.95 records a failing request's exception in teardown_request, which "
      "Flask 2.2 runs after the segment was already sent; the wrapper records it at Flask's "
      "got_request_exception instead, with the SDK's own `segment.add_exception` call.")
    w("")

    # 1
    w("## 1. Service overhead")
    w("")
    findings = []
    for wl, desc in WORKLOADS:
        w("### %s" % desc)
        w("")
        w(md_table(OVERHEAD_HEADER, tables[wl]))
        w("")
        m = meds[wl]
        present = [mode for mode in ("B", "C", "D") if mode in m]
        for mode in present:
            thr = per_round_ratios(runs, wl, mode, "rps")
            p99 = per_round_ratios(runs, wl, mode, "p99_ms")
            w("- (%s) per-round throughput ratios %s; p99 ratios %s" % (
                mode, ", ".join("%.3f" % x for x in thr), ", ".join("%.3f" % x for x in p99)))
        quiet = [rnd for rnd in sorted({r["round"] for r in runs})
                 if all(r["other_cpu_pct"] < QUIET_PCT for r in runs
                        if r["round"] == rnd and r["workload"] == wl)]
        if quiet:
            qa = [r for r in runs if r["workload"] == wl and r["round"] in quiet]
            qm = {mode: {k: med([r[k] for r in qa if r["mode"] == mode])
                         for k in ("rps", "p50_ms", "p99_ms")} for mode in ["A"] + present}
            w("- rounds where every run had other CPU < %.0f%% (%s): medians %s" % (
                QUIET_PCT, ", ".join(map(str, quiet)), "; ".join(
                    "(%s) %.0f req/s = %.3f × untraced, p99 %.3f ×" % (
                        mode, qm[mode]["rps"], qm[mode]["rps"] / qm["A"]["rps"],
                        qm[mode]["p99_ms"] / qm["A"]["p99_ms"]) for mode in present)))
        else:
            w("- no round had every run with other CPU < %.0f%%: other work on the machine "
              "shares these numbers (see the raw runs)" % QUIET_PCT)
        bruns = m["B"]["runs"]
        w("- (B) spans / wrk requests per run: %s (wrk counts the requests it completed "
          "within its duration; a few in flight at its end are served and traced too)"
          % ", ".join("%d/%d = %.4f" % (r["spans"], r["requests"], r["spans"] / r["requests"])
                      for r in bruns))
        w("- (B) ring-buffer drops per run: %s; malformed stdout lines: %d"
          % (", ".join("%s%s" % (r["drops"], " (%s)" % r["drops_by_cause"]
                                  if r["drops_by_cause"] else "") for r in bruns),
             sum(r["bad_lines"] for r in bruns)))
        if wl == "fail10":
            w("- (B) failing requests (wrk's non-2xx) and exceptions pyspan read from the "
              "interpreter (EV_PY_EXC) per run: %s; spans carrying an exception: %s"
              % (", ".join("%d/%s" % (r["non2xx"], r["exc_read"]) for r in bruns),
                 ", ".join(json.dumps(r["exc_sources"]) for r in bruns)))
        for mode in [x for x in ("B", "C") if x in m]:
            w("- (%s) pyspan's own CPU during the measured run (median): %.2f s of %d s, "
              "i.e. %.0f%% of one CPU" % (
                  mode, med([r["pyspan_cpu_s"] for r in m[mode]["runs"]]), args.duration,
                  100 * med([r["pyspan_cpu_s"] for r in m[mode]["runs"]]) / args.duration))
        w("- the service's CPU per request (gunicorn master and workers, median): %s" % ", ".join(
            "%s %.0f µs" % (mode, 1e6 * med([r["service_cpu_s"] / r["requests"]
                                             for r in m[mode]["runs"]]))
            for mode in ["A"] + present))
        if "C" in m:
            for line in c_lines(m["C"]["runs"], args):
                w(line)
        druns = m["D"]["runs"]
        w("- (D) datagrams received by the X-Ray 'daemon' / wrk requests per run: %s"
          % ", ".join("%d/%d" % (r["xray"]["datagrams"], r["requests"]) for r in druns))
        errs = [(r["mode"], r["round"], r["socket_errors"]) for r in runs
                if r["workload"] == wl and r["socket_errors"]]
        if errs:
            w("- wrk socket errors: %s" % ", ".join("%s round %d: %d" % e for e in errs))
        w("")
        thr = m["B"]["rps"] / m["A"]["rps"]
        p99_added = m["B"]["p99_ms"] / m["A"]["p99_ms"] - 1
        findings.append((wl, thr, p99_added))
    w("Raw runs. 'other CPU' is the machine's busy time during the measured run that no "
      "process of the run accounts for (other work on the machine, interrupt time), and "
      "'steal' the time the hypervisor took, both in %% of all %d CPUs. Before each run the "
      "bench waits (at most %.0f s, %.0f s in all) for a second with the machine under %.0f%% "
      "busy; 'wait' is how long it waited:" % (mach["nproc"], QUIET_WAIT_S, QUIET_BUDGET_S,
                                               QUIET_PCT))
    w("")
    rows = []
    for r in runs:
        rows.append([r["round"], r["workload"], r["mode"], "%.0f" % r["rps"], "%.2f" % r["p50_ms"],
                     "%.2f" % r["p99_ms"], r["requests"], r["non2xx"],
                     "%.1f" % r["other_cpu_pct"], "%.1f" % r["steal_pct"],
                     "%.0f s" % r.get("quiet_wait_s", 0)])
    w(md_table(["round", "workload", "mode", "req/s", "p50 ms", "p99 ms", "requests",
                "non-2xx", "other CPU %", "steal %", "wait"], rows))
    w("")

    # 2
    w("## 2. Pipeline (build/bench/replay, one thread)")
    w("")
    rows = []
    for wl, _ in WORKLOADS:
        p = pipe[wl]
        rows.append([wl, "%d records, %.0f MB on disk" % (p["records"], p["recording_bytes"] / 1e6),
                     "%.0f" % p["events_per_s"], "%.0f" % p["spans_per_s"],
                     "%.0f" % p["events_per_cpu_s"], "%.2f" % (p["events_per_s"] / 1e6),
                     "%d / %.2f s" % (p["events"], p["wall_s"])])
    w(md_table(["recording", "size", "events/s", "spans/s", "events/CPU-s",
                "× 1M events/s target", "events / wall time"], rows))
    w("")
    w("Each pass over the recording adds pass << 40 to the connection ids of EV_DATA, "
      "EV_CONN_OPEN and EV_CONN_CLOSE; spans are encoded by the stdout exporter into "
      "/dev/null, flushed every 256 events. EV_PY_EXC frames stay unresolved in replay (the "
      "processes are gone); live pyspan reads each code object once and caches it.")
    w("")

    # 3
    w("## 3. Memory")
    w("")
    rows = []
    for wl, _ in WORKLOADS:
        hw = [r["vmhwm_kb"] for r in meds[wl]["B"]["runs"] if r["vmhwm_kb"]]
        rows.append(["(B) %s" % wl, "%.1f" % (max(hw) / 1024), "%.1f" % (med(hw) / 1024)])
    for wl, _ in WORKLOADS:
        if "C" in meds[wl]:
            hw = [r["vmhwm_kb"] for r in meds[wl]["C"]["runs"] if r["vmhwm_kb"]]
            rows.append(["(C) %s, every exporter" % wl, "%.1f" % (max(hw) / 1024),
                         "%.1f" % (med(hw) / 1024)])
    if not down:
        rows.append(["exporter whose backend is down", NA_EXPORTERS, "-"])
    for kind, desc in DOWN_KINDS:
        if kind in down:
            rows.append(["xray api mode, backend down: %s (json)" % desc,
                         "%.1f" % (down[kind]["vmhwm_kb"] / 1024), "(one run)"])
    w(md_table(["pyspan during", "peak RSS MiB (max over runs)", "median over runs"], rows))
    w("")
    w("VmHWM from /proc/PID/status, read just before pyspan is stopped.")
    if down:
        w("")
        w("Backend down: the json workload with `--export stdout,xray --xray-mode api "
          "--xray-endpoint http://127.0.0.1:PORT --sampling all`, credentials and region from "
          "the environment (fake, so nothing but the loopback endpoint is ever contacted). "
          "What pyspan's exporters reported:")
        w("")
        for kind, desc in DOWN_KINDS:
            if kind in down:
                d = down[kind]
                w("- %s: %d requests at %.0f req/s (%.3f × the median untraced json run), "
                  "%d spans; %s" % (
                      desc, d["requests"], d["rps"], d["rps"] / meds["json"]["A"]["rps"],
                      d["spans"], "; ".join("export %s: %s" % kv
                                            for kv in sorted(d["exporters"].items()))))
    w("")

    # 4
    w("## 4. Probe cost")
    w("")
    w("### a. BPF run time per request (kernel.bpf_stats_enabled=1, instrumented (B) run)")
    w("")
    for wl, _ in WORKLOADS:
        res = inst[wl]
        rows, tot_ns, tot_cnt = bpf_rows(res)
        n = res["requests"]
        w("%s: %d requests at %.0f req/s; pyspan's %d programs ran %d times for %.1f ms in "
          "total: **%.2f µs and %.1f program runs per request**."
          % (wl, n, res["rps"], len(res["bpf"]), tot_cnt, tot_ns / 1e6, tot_ns / n / 1e3,
             tot_cnt / n))
        w("")
        w(md_table(["program", "type", "run_time_ns", "run_cnt", "ns/request", "runs/request",
                    "ns/run", "recursion misses"],
                   [[r[0], r[1], r[2], r[3], "%.0f" % r[4], "%.2f" % r[5], "%.0f" % r[6], r[7]]
                    for r in rows]))
        w("")
    w("Syscall tracepoints fire for every process on the machine; pyspan's programs return "
      "at once for processes it does not trace, but those runs count too (wrk's own "
      "reads and writes among them).")
    w("")
    w("### b. Uprobes installed by pyspan")
    w("")
    ssl = [v for v in inst["json"]["bpf"].values() if v[0].get("name", "").startswith("ssl_")]
    hits = sum(after.get("run_cnt", 0) - before.get("run_cnt", 0) for after, before in ssl)
    w("pyspan's only uprobes are on OpenSSL: SSL_write, SSL_read, SSL_write_ex and SSL_read_ex "
      "(entry and return, %d programs) in each libssl a traced process maps, for the "
      "plaintext of outbound HTTPS calls. The sample service makes no TLS call: they ran %d "
      "times during the json run (%.3f per request). %s" % (
          len(ssl), hits, hits / max(inst["json"]["requests"], 1),
          "Section 5 measures a service making one HTTPS call per request." if outbound else
          "An outbound HTTPS call made with requests costs 10 hits (5 SSL calls: 1 write, "
          "4 reads), as tests/e2e/test_outbound.py reports."))
    w("")
    w("### c. Exception capture: the uprobe candidates pyspan rejected, and pyspan's reads")
    w("")
    w("Hits counted by uprobes on `%s` in the gunicorn master and its %d workers (%d requests "
      "per kind after a warm-up of 200 ordinary and 100 failing requests; requests sent one "
      "at a time, each on a new connection)." % (up["binary"], WORKERS, up["requests"]))
    w("")
    rows = []
    for f in UPROBE_FUNCS:
        rows.append(["uprobe `%s`" % f, "%.2f" % up["ordinary"]["per_request"][f],
                     "%.2f" % up["failing"]["per_request"][f],
                     "%.1f/s" % up["idle"][f]])
    o, fl = up["ordinary"], up["failing"]
    rows.append(["pyspan: EV_PY_EXC reads (BPF at the stderr write)",
                 "%.3f" % ((o["pyexc_events"] or 0) / up["requests"]),
                 "%.3f" % ((fl["pyexc_events"] or 0) / up["requests"]), "0"])
    rows.append(["pyspan: tracebacks parsed from stderr text (fallback)",
                 "%.3f" % ((o["tracebacks_parsed"] or 0) / up["requests"]),
                 "%.3f" % ((fl["tracebacks_parsed"] or 0) / up["requests"]), "0"])
    w(md_table(["candidate", "per ordinary request (/api/activities)",
                "per failing request (/api/fail)", "idle (no requests)"], rows))
    w("")
    w("Raw: ordinary %s; failing %s; spans with an exception: ordinary %s, failing %s."
      % (json.dumps(o["hits"]), json.dumps(fl["hits"]), json.dumps(o["exception_spans"]),
         json.dumps(fl["exception_spans"])))
    w("")

    ob = outbound_report(outbound, w) if outbound else None

    # Findings
    w("## Against the targets")
    w("")
    for wl, thr, p99_added in findings:
        w("- %s: (B) throughput %.1f%% of untraced (target ≥ 98%%: %s); p99 %+.1f%% "
          "(target ≤ +5%%: %s)" % (wl, 100 * thr, "met" if thr >= 0.98 else "NOT met",
                                   100 * p99_added, "met" if p99_added <= 0.05 else "NOT met"))
    for wl, _ in WORKLOADS:
        eps = pipe[wl]["events_per_s"]
        w("- pipeline, %s recording: %.0f events/s = %.2f× the 1,000,000 events/s target (%s)"
          % (wl, eps, eps / 1e6, "met" if eps >= 1e6 else "NOT met"))
    if ob:
        a, b = ob
        w("- outbound HTTPS (section 5, no target of its own): traced throughput %.1f%% of "
          "untraced, p99 %+.1f%%" % (100 * b["rps"] / a["rps"], 100 * (b["p99_ms"] / a["p99_ms"] - 1)))
    w("")
    return "\n".join(L), tables


def c_lines(cruns, args):
    """Section 1's bullets for mode C: what every exporter reported and every receiver got."""
    out = ["- (C) spans / wrk requests per run: %s; ring-buffer drops: %s; datagrams the "
           "loopback X-Ray daemon received: %s"
           % (", ".join("%d/%d" % (r["spans"], r["requests"]) for r in cruns),
              ", ".join(str(r["drops"]) for r in cruns),
              ", ".join(str(r["xray"]["datagrams"]) for r in cruns))]
    if not any("receivers" in r for r in cruns):  # a run from before every exporter was in C
        out.append("- (C) pyspan's own exporter counts, last run: %s" % "; ".join(
            "%s: %s" % kv for kv in sorted(cruns[-1]["exporters"].items())))
        return out
    out.append("- (C) each exporter's summary line (sent, retried, dropped), per run:")
    for name in C_EXPORTERS:
        out.append("  - %s: %s" % (name, " | ".join(
            re.sub(r"https?://127\.0\.0\.1:\d+", "LOOPBACK", r["exporters"].get(name, "(none)"))
            for r in cruns)))
    out.append("- (C) what the receivers accepted, per run (server spans: the stdout lines):")
    for r in cruns:
        rc = r["receivers"]
        h, o, rb, cw = rc["honeycomb"], rc["otlp"], rc["rollbar"], rc["cloudwatch"]
        out.append(
            "  - round %d: %d server spans; X-Ray daemon %d datagrams; Honeycomb %d events "
            "(%d refused); OTLP %d spans + %d log records (%d rejected); Rollbar %d items in "
            "%d requests; CloudWatch %d request-log events + %d other events (service output, "
            "EMF) in %s, %d rejected; answers other than success: %d; what the receivers "
            "found wrong: %d"
            % (r["round"], r["spans"], r["xray"]["datagrams"], h["events"], h["refused"],
               o["spans"], o["logs"], o["refused"], rb["items"], rb["requests"],
               cw["request_events"], cw["other_events"],
               ", ".join("%d %s" % (n, op) for op, n in sorted(cw["calls"].items())),
               cw["rejected"], h["non_200"] + o["non_200"] + rb["non_200"] + cw["non_ok"],
               h["problems"] + o["problems"] + rb["problems"] + cw["problems"]))
    t = [r["receivers_timing"] for r in cruns]
    out.append(
        "- (C) the receivers' CPU during the measured run (median): %.2f s of %d s (%.0f%% of "
        "one CPU, taken from the same 2 CPUs the service uses); per request, handler time "
        "mean / max over runs: %s"
        % (med([r["receivers_cpu_s"] for r in cruns]), args.duration,
           100 * med([r["receivers_cpu_s"] for r in cruns]) / args.duration,
           "; ".join("%s %d requests, %.1f / %.1f ms" % (
               name, sum(x[name]["requests"] for x in t),
               1e3 * sum(x[name]["wall_s"] for x in t)
               / max(1, sum(x[name]["requests"] for x in t)),
               max(x[name]["max_ms"] for x in t))
               for name in ("honeycomb", "otlp", "rollbar", "cloudwatch"))))
    out.append(
        "- (C) receivers: Honeycomb and OTLP run with validate=False, a mode made for this "
        "bench: the key or header, path, content type, gzip, JSON and the batch's shape are "
        "checked and every record counted, but the per-record schema checks of the end-to-end "
        "tests are skipped (they were most of the receivers' CPU). CloudWatch verifies every "
        "SigV4 signature with botocore (one PutLogEvents a second or so: cheap), starting with "
        "the log group and stream in place, no throttling and no too-old answer. Rollbar "
        "checks the token and every item; pyspan sends one item per distinct error within "
        "--rollbar-dedup-window (60 s) and counts the repeats.")
    return out


def outbound_report(ob, w):
    """Section 5."""
    runs = ob["runs"]
    m = {}
    for mode, _ in OUTBOUND_MODES:
        rr = [r for r in runs if r["mode"] == mode]
        m[mode] = {k: med([r[k] for r in rr]) for k in ("rps", "p50_ms", "p99_ms")}
    a, b = m["A"], m["B"]
    w("## 5. Outbound HTTPS calls")
    w("")
    w("GET /api/upstream of bench/upstream_app.py (demo.app plus that route) makes one HTTPS "
      "GET per request with python3-requests, over one kept-alive `requests.Session` per "
      "gunicorn worker (one TLS connection each, made during the warm-up), to a loopback "
      "HTTPS server (`bench/run.py --https-upstream`: Python's http.server and ssl, TLS 1.3, "
      "a self-signed RSA-2048 certificate from `openssl req`, a 63-byte JSON answer). "
      "%d rounds of untraced (A) then traced (B: `./pyspan --pid GUNICORN_MASTER_PID > "
      "spans.jsonl`, attached after the warm-up), %d s each, same wrk as stage 1 on "
      "`http://127.0.0.1:PORT/api/upstream`. Medians over the rounds." % (ob["rounds"],
                                                                         ob["duration"]))
    w("")
    w(md_table(OVERHEAD_HEADER, [
        ["(%s) %s" % (mode, desc), "%.0f" % m[mode]["rps"], fmt_ratio(m[mode]["rps"] / a["rps"]),
         "%.2f" % m[mode]["p50_ms"], fmt_ratio(m[mode]["p50_ms"] / a["p50_ms"]),
         "%.2f" % m[mode]["p99_ms"], fmt_ratio(m[mode]["p99_ms"] / a["p99_ms"])]
        for mode, desc in OUTBOUND_MODES]))
    w("")
    traced = [r for r in runs if r["mode"] == "B"]
    rows = []
    for r in traced:
        tls = r["tls"] or {}
        server = r["spans"] - r["client_spans"]
        rows.append([r["round"], r["requests"], server, r["client_spans"],
                     "%.4f" % (r["client_spans"] / max(server, 1)), tls.get("hits", "?"),
                     "%.2f" % (tls.get("hits", 0) / max(server, 1)),
                     "%.2f" % (tls.get("ssl_calls", 0) / max(server, 1)), tls.get("libs", "?"),
                     r["drops"]])
    w(md_table(["round (B)", "wrk requests", "server spans", "client spans",
                "client spans per request", "OpenSSL probe hits", "hits per request",
                "SSL calls per request", "libssl probed", "ring-buffer drops"], rows))
    w("")
    w("- per-round ratios, traced / untraced: throughput %s; p99 %s" % (
        ", ".join("%.3f" % x for x in outbound_ratios(runs, "rps")),
        ", ".join("%.3f" % x for x in outbound_ratios(runs, "p99_ms"))))
    w("- hits and SSL calls from pyspan's exit summary (`outbound: N calls traced; TLS: N "
      "OpenSSL libraries probed, N probe hits (N calls)`: hits count entry and return "
      "probes, calls the entries); per request = divided by the server spans, the requests "
      "pyspan saw (wrk does not count the few in flight when it stops)")
    w("- the upstream server's CPU during the measured run (median): A %.2f s, B %.2f s; "
      "pyspan's own CPU (B, median): %.2f s of %d s; the service's CPU per request "
      "(median): A %.0f µs, B %.0f µs" % (
          med([r["upstream_cpu_s"] for r in runs if r["mode"] == "A"]),
          med([r["upstream_cpu_s"] for r in traced]),
          med([r["pyspan_cpu_s"] for r in traced]), ob["duration"],
          1e6 * med([r["service_cpu_s"] / r["requests"] for r in runs if r["mode"] == "A"]),
          1e6 * med([r["service_cpu_s"] / r["requests"] for r in traced])))
    w("")
    w("Raw runs:")
    w("")
    w(md_table(["round", "mode", "req/s", "p50 ms", "p99 ms", "requests", "non-2xx",
                "other CPU %", "steal %", "wait"],
               [[r["round"], r["mode"], "%.0f" % r["rps"], "%.2f" % r["p50_ms"],
                 "%.2f" % r["p99_ms"], r["requests"], r["non2xx"], "%.1f" % r["other_cpu_pct"],
                 "%.1f" % r["steal_pct"], "%.0f s" % r.get("quiet_wait_s", 0)] for r in runs]))
    w("")
    return a, b


def outbound_ratios(runs, key):
    out = []
    for rnd in sorted({r["round"] for r in runs}):
        a = [r for r in runs if r["round"] == rnd and r["mode"] == "A"]
        b = [r for r in runs if r["round"] == rnd and r["mode"] == "B"]
        if a and b:
            out.append(b[0][key] / a[0][key])
    return out


def print_tables(tables, pipe, inst, up, outbound=None):
    for wl, desc in WORKLOADS:
        print("\n%s" % desc)
        rows = [OVERHEAD_HEADER] + tables[wl]
        widths = [max(len(str(r[i])) for r in rows) for i in range(len(OVERHEAD_HEADER))]
        for r in rows:
            print("  ".join(str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i])
                            for i, c in enumerate(r)))
    print("\npipeline: " + "; ".join("%s %.0f events/s, %.0f spans/s"
                                     % (wl, pipe[wl]["events_per_s"], pipe[wl]["spans_per_s"])
                                     for wl, _ in WORKLOADS))
    for wl, _ in WORKLOADS:
        rows, tot_ns, tot_cnt = bpf_rows(inst[wl])
        print("BPF %s: %.2f µs, %.1f runs per request" % (wl, tot_ns / inst[wl]["requests"] / 1e3,
                                                         tot_cnt / inst[wl]["requests"]))
    for phase in ("ordinary", "failing"):
        print("uprobe hits per %s request: %s; pyspan EV_PY_EXC %.3f" % (
            phase, ", ".join("%s %.2f" % (f, up[phase]["per_request"][f]) for f in UPROBE_FUNCS),
            (up[phase]["pyexc_events"] or 0) / up["requests"]))
    if outbound:
        b = [r for r in outbound["runs"] if r["mode"] == "B"]
        print("outbound HTTPS: traced / untraced throughput %s, p99 %s; per request %s"
              % (", ".join("%.3f" % x for x in outbound_ratios(outbound["runs"], "rps")),
                 ", ".join("%.3f" % x for x in outbound_ratios(outbound["runs"], "p99_ms")),
                 ", ".join("%.2f probe hits, %.4f client spans" % (
                     (r["tls"] or {}).get("hits", 0) / max(1, r["spans"] - r["client_spans"]),
                     r["client_spans"] / max(1, r["spans"] - r["client_spans"])) for r in b)))


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    ap.add_argument("--duration", type=int, default=10, help="wrk seconds per run (default 10)")
    ap.add_argument("--warmup", type=int, default=2, help="wrk warm-up seconds (default 2)")
    ap.add_argument("--requests", type=int, default=1000,
                    help="requests per kind for the uprobe counts (default 1000)")
    ap.add_argument("--replay-seconds", type=float, default=3.0)
    ap.add_argument("--out", help="results file (default bench/results/YYYY-MM-DD.md)")
    ap.add_argument("--quick", action="store_true",
                    help="1 round of 3 s runs, 200 requests: checks the bench, not pyspan")
    ap.add_argument("--report-only", metavar="RAW_JSON",
                    help="rewrite the results file from the raw data of an earlier run")
    ap.add_argument("--outbound-rounds", type=int, default=2,
                    help="interleaved untraced/traced rounds of stage 5 (default 2)")
    ap.add_argument("--outbound-duration", type=int, default=10,
                    help="wrk seconds per stage 5 run (default 10)")
    ap.add_argument("--udp-sink", metavar="HOST:PORT", help=argparse.SUPPRESS)
    ap.add_argument("--https-upstream", metavar="HOST:PORT", help=argparse.SUPPRESS)
    ap.add_argument("--cert", help=argparse.SUPPRESS)
    ap.add_argument("--key", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.udp_sink:
        udp_sink(args.udp_sink)
        return
    if args.https_upstream:
        https_upstream(args.https_upstream, args.cert, args.key)
        return
    if args.report_only:
        raw = json.loads(Path(args.report_only).read_text())
        for k, v in raw["args"].items():
            if not (k == "out" and args.out):
                setattr(args, k, v)
        write_results(args, raw)
        return
    if args.quick:
        args.rounds, args.duration, args.warmup, args.requests = 1, 3, 1, 200
        args.replay_seconds = 1.0
        args.outbound_rounds, args.outbound_duration = 1, 3
    if min(args.rounds, args.duration, args.requests, args.outbound_rounds,
           args.outbound_duration) < 1:
        sys.exit("bench: --rounds, --duration, --requests, --outbound-rounds and "
                 "--outbound-duration must be positive")

    lib.exit_on_sigterm()
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()
    est = args.rounds * len(WORKLOADS) * 4 * (args.duration + args.warmup + 5) \
        + 2 * (args.duration + args.warmup + 8) + 60 + QUIET_BUDGET_S / 2 \
        + args.outbound_rounds * 2 * (args.outbound_duration + args.warmup + 6)
    stage = "preflight"
    try:
        preflight(args)
        mach = machine()
        args.has_xray = "xray" in network_exporters()
        args.has_c = set(C_EXPORTERS) - {"stdout"} <= set(network_exporters())
        mach["network_exporters"] = network_exporters()
        log("%d CPUs, kernel %s, %s; about %d minutes"
            % (mach["nproc"], mach["kernel"], mach["cpu"], round(est / 60)))
        with tempfile.TemporaryDirectory(prefix="pyspan-bench-") as tmp:
            stage = "1 (service overhead)"
            log("stage 1: service overhead, %d rounds x %d workloads x modes A B D, "
                "%d s each" % (args.rounds, len(WORKLOADS), args.duration))
            runs = stage_overhead(args, tmp)
            stage = "4a (BPF run time) and the recordings for stage 2"
            log("stage 4a: BPF run time per request, and recordings for stage 2")
            inst = stage_instrumented(args, tmp)
            stage = "2 (pipeline)"
            log("stage 2: pipeline replay")
            pipe = stage_pipeline(args, tmp, inst)
            down = {}
            if args.has_xray:
                stage = "3 (memory with the exporter's backend down)"
                log("stage 3: memory with the xray exporter's backend down")
                down = stage_backend_down(args, tmp)
            stage = "4c (uprobe candidates)"
            log("stage 4c: uprobe candidates for exception capture")
            up = stage_uprobes(args, tmp)
            stage = "5 (outbound HTTPS calls)"
            log("stage 5: outbound HTTPS calls, %d rounds x untraced and traced, %d s each"
                % (args.outbound_rounds, args.outbound_duration))
            outbound = stage_outbound(args, tmp)
        mach["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    except BenchError as e:
        cleanup()
        sys.exit("bench: stage %s cannot run: %s" % (stage, e))
    except lib.SetupError as e:
        cleanup()
        sys.exit("bench: stage %s cannot run: %s" % (stage, e))
    except (KeyboardInterrupt, SystemExit) as e:
        cleanup()
        print("bench: interrupted during stage %s; every process it started is stopped, "
              "no results written" % stage, file=sys.stderr)
        sys.exit(130 if isinstance(e, KeyboardInterrupt) else e.code)
    finally:
        cleanup()

    raw = {"args": {k: v for k, v in vars(args).items()
                    if k not in ("report_only", "udp_sink", "https_upstream", "cert", "key")},
           "machine": mach, "started": started.isoformat(), "elapsed_s": time.monotonic() - t0,
           "runs": runs, "instrumented": inst, "pipeline": pipe, "uprobes": up,
           "backend_down": down, "outbound": outbound}
    write_results(args, raw)


def write_results(args, raw):
    """The raw data first (DATE.json: a report bug must not lose a run), then DATE.md."""
    started = datetime.datetime.fromisoformat(raw["started"])
    out = Path(args.out) if args.out else RESULTS / ("%s.md" % started.strftime("%Y-%m-%d"))
    out.parent.mkdir(parents=True, exist_ok=True)
    raw_out = out.with_suffix(".json")
    if not args.report_only:
        tmp_raw = raw_out.with_name(raw_out.name + ".tmp")
        tmp_raw.write_text(json.dumps(raw, indent=1, sort_keys=True) + "\n")
        os.replace(tmp_raw, raw_out)
    inst = raw["instrumented"]
    text, tables = report(args, raw["machine"], started, raw["runs"], inst, raw["pipeline"],
                          raw["uprobes"], raw["elapsed_s"], raw.get("backend_down") or {},
                          raw.get("outbound"))
    tmp_out = out.with_name(out.name + ".tmp")
    tmp_out.write_text(text + "\n")
    os.replace(tmp_out, out)
    print_tables(tables, raw["pipeline"], inst, raw["uprobes"], raw.get("outbound"))
    log("results written to %s%s (the run took %.1f minutes)"
        % (out, "" if args.report_only else " and " + raw_out.name, raw["elapsed_s"] / 60))


if __name__ == "__main__":
    main()
