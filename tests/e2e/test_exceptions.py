# SPDX-License-Identifier: BSD-2-Clause
"""End-to-end: a request that fails with a Python exception gets the exception on its span.

Servers and interpreters:
  - tests/e2e/apps/flask_errors.py under gunicorn (2 sync workers) and under werkzeug's threaded
    dev server (HTTP/1.1), both on Debian's /usr/bin/python3;
  - tests/e2e/apps/wsgi_errors.py (standard library only, threaded wsgiref) on Debian's python3
    and on every pyenv CPython 3.8 to 3.13 found (a version that is missing is one skipped
    check that names it). pyenv 3.6 and 3.7, when present, run too: pyspan cannot read their
    interpreter, so there the exception must come from the traceback text.

For every failing route the span must carry the exact type, message, the innermost frame (file,
function and the line of the raise, found from the "# LINE:<name>" markers in the app's source),
the chain for `raise ... from` and for a raise inside an except block, and
pyspan.exception_source == "interpreter" on every CPython pyspan supports (3.8-3.13). Routes
that do not fail must have no exception. On the threaded servers, slow failing and slow
succeeding requests run at the same time: each keeps its own outcome and they run on different
threads. Needs root and kernel BTF; otherwise it is skipped. `-v` prints passing checks too.

/usr/bin/python3 tests/e2e/test_exceptions.py [-v]
"""
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib  # noqa: E402
from lib import Req  # noqa: E402

APPS = Path(__file__).resolve().parent / "apps"
FLASK_APP = APPS / "flask_errors.py"
WSGI_APP = APPS / "wsgi_errors.py"
PYENV_ROOT = Path(os.environ.get("PYENV_ROOT") or "/root/.pyenv")
SUPPORTED = [(3, m) for m in range(8, 14)]  # what pyspan reads from the interpreter
OLD = [(3, 6), (3, 7)]  # run when present: the traceback text must be used instead
CONCURRENT_PAIRS = 4
CUSTOM_MESSAGE = "out of stock: sku-4411"
CUSTOM_TYPE_DEFAULT = "shop_errors.InventoryError"

# Failing routes: what the escaping exception must look like. "line" names the marker of the
# innermost frame; "messages" lists what is accepted (KeyError prints its argument's repr in
# the traceback text, the interpreter has the raw string).
FAILING = {
    "/err/builtin": dict(type="ValueError", messages=["bad value 17"], func="err_builtin",
                         line="builtin"),
    "/err/custom": dict(type=None, messages=[CUSTOM_MESSAGE], func="err_custom", line="custom"),
    "/err/nested": dict(type="KeyError", messages=["missing-key", "'missing-key'"], func="c",
                        line="nested-c"),
    "/err/chained": dict(type="RuntimeError", messages=["conversion failed"], func="err_chained",
                         line="chained",
                         chain=dict(type="ValueError", link="cause", func="err_chained",
                                    line="chained-cause",
                                    message="invalid literal for int() with base 10: 'x'")),
    "/err/context": dict(type="TypeError", messages=["cleanup failed"], func="err_context",
                         line="context",
                         chain=dict(type="ZeroDivisionError", link="context",
                                    func="err_context", line="context-first",
                                    message="division by zero")),
}
PASSING = ["/ok", "/err/caught", "/err/caught-logged"]
SEQUENCE = ["/ok", "/err/builtin", "/err/custom", "/err/nested", "/err/chained", "/err/context",
            "/err/caught", "/err/caught-logged", "/ok"]
EXC_KEYS = ("exception.type", "exception.message", "exception.stacktrace", "exception.chain",
            "exception.frames_omitted", "pyspan.exception_source")


def markers(path):
    """{marker name: line number} from the "# LINE:<name>" comments of an app."""
    out = {}
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        m = re.search(r"#\s*LINE:([\w-]+)\s*$", line)
        if m:
            if m.group(1) in out:
                raise SystemExit("%s: marker %s appears twice" % (path, m.group(1)))
            out[m.group(1)] = n
    return out


def python_version(python):
    """(major, minor, micro) of an interpreter binary, or None when it does not run."""
    try:
        out = subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=20,
                             check=True).stdout.decode().strip()
        return tuple(int(x) for x in out.split("."))
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def pyenv_python(major, minor):
    """The newest pyenv CPython major.minor.* binary, or None."""
    cands = []
    for d in glob.glob(str(PYENV_ROOT / "versions" / ("%d.%d.*" % (major, minor)))):
        m = re.match(r"^%d\.%d\.(\d+)$" % (major, minor), os.path.basename(d))
        exe = os.path.join(d, "bin", "python3")
        if m and os.access(exe, os.X_OK):
            cands.append((int(m.group(1)), exe))
    return max(cands)[1] if cands else None


class Scenario:
    def __init__(self, name, kind, python, version, threaded, app_path):
        self.name = name
        self.kind = kind  # "gunicorn", "werkzeug" or "wsgi"
        self.python = python
        self.version = version  # (major, minor, micro)
        self.threaded = threaded
        self.app_path = app_path
        self.supported = version[:2] in SUPPORTED

    @property
    def vstr(self):
        return "%d.%d.%d" % self.version


# ---------------------------------------------------------------------------------------------
# Running one scenario


def start_server(sc, port, workdir):
    if sc.kind == "gunicorn":
        return lib.Proc("gunicorn", [lib.GUNICORN, "--workers", "2", "--worker-class", "sync",
                                     "--bind", "127.0.0.1:%d" % port, "--chdir", str(APPS),
                                     "flask_errors:app"], workdir, cwd=str(APPS))
    return lib.Proc(sc.kind, [sc.python, str(sc.app_path), "--port", str(port)], workdir,
                    cwd=str(lib.REPO))


def concurrent_pairs(port, pairs):
    """Fire pairs of /slow-ok and /slow-err at the same time, each on its own client thread.
    Returns [(ok_req, err_req)]."""
    out = [(Req("GET", "/slow-ok", label="/slow-ok #%d" % (i + 1)),
            Req("GET", "/slow-err", label="/slow-err #%d" % (i + 1))) for i in range(pairs)]
    flat = [r for p in out for r in p]
    barrier = threading.Barrier(len(flat))

    def run(r):
        try:
            barrier.wait(10)
            lib.send_one(port, r, timeout=30)
        except Exception as e:  # noqa: BLE001 (reported as a client-side failure)
            r.error = repr(e)

    threads = [threading.Thread(target=run, args=(r,), daemon=True) for r in flat]
    for th in threads:
        th.start()
    for th in threads:
        th.join(40)
    return out


def send_sequence(port):
    reqs = []
    for i, path in enumerate(SEQUENCE):
        r = Req("GET", path, label="%s #%d" % (path, SEQUENCE[:i + 1].count(path)))
        try:
            lib.send_one(port, r, timeout=30)
        except Exception as e:  # noqa: BLE001 (reported as a client-side failure)
            r.error = repr(e)
        reqs.append(r)
    return reqs


def match_spans(t, sc, reqs, spans):
    """Pair each request with its span by url.path and client.port (every request has its own
    connection). Returns {id(req): span}."""
    pool = {}
    for s in spans:
        pool.setdefault((s.get("url.path"), s.get("client.port")), []).append(s)
    got = {}
    for r in reqs:
        if r.client_port is None:
            continue
        cands = pool.get((r.path, r.client_port))
        if cands:
            got[id(r)] = cands.pop(0)
        else:
            t.fail("%s: a span for %s" % (sc.name, r.label),
                   "one span with url.path %s, client.port %s" % (r.path, r.client_port),
                   "none")
    left = [s for v in pool.values() for s in v]
    t.check("%s: no span without a request" % sc.name, not left, "none",
            "; ".join(json.dumps(s, sort_keys=True)[:300] for s in left))
    return got


def same_file(frame_file, app_path, cwd):
    if not isinstance(frame_file, str) or not frame_file:
        return False
    p = Path(frame_file)
    if not p.is_absolute():
        p = Path(cwd) / p
    try:
        return p.exists() and os.path.samefile(str(p), str(app_path))
    except OSError:
        return False


def frame_str(f):
    if not isinstance(f, dict):
        return repr(f)
    return "%s:%s in %s" % (f.get("file"), f.get("line"), f.get("function"))


def check_frame(t, what, f, sc, cwd, func, line):
    t.check(what + ": function", isinstance(f, dict) and f.get("function") == func,
            repr(func), frame_str(f))
    t.check(what + ": file is the app", isinstance(f, dict) and same_file(f.get("file"),
                                                                            sc.app_path, cwd),
            str(sc.app_path), frame_str(f))
    t.check(what + ": line of the raise", isinstance(f, dict) and f.get("line") == line
            and type(f.get("line")) is int, "%d (marker in the app source)" % line, frame_str(f))


def expected_source(sc):
    return "interpreter" if sc.supported else "traceback_text"


def check_failing(t, sc, r, s, marks, cwd, custom_type):
    spec = FAILING[r.path]
    what = lambda field: "%s: %s: %s" % (sc.name, r.label, field)  # noqa: E731
    etype = spec["type"] or custom_type
    t.eq(what("http.response.status_code"), s.get("http.response.status_code"), 500)
    t.eq(what("exception.type"), s.get("exception.type"), etype)
    msg = s.get("exception.message")
    t.check(what("exception.message"), msg in spec["messages"],
            " or ".join(repr(m) for m in spec["messages"]), repr(msg))
    t.eq(what("pyspan.exception_source"), s.get("pyspan.exception_source"),
         expected_source(sc))
    fo = s.get("exception.frames_omitted")
    if fo is not None:
        t.check(what("exception.frames_omitted is a positive count"),
                type(fo) is int and fo > 0, "an integer > 0 when present", repr(fo))
    st = s.get("exception.stacktrace")
    if not t.check(what("exception.stacktrace is a non-empty list"),
                   isinstance(st, list) and st, "a list of frames", repr(st)):
        st = []
    if st:
        check_frame(t, what("innermost frame"), st[-1], sc, cwd, spec["func"],
                    marks[spec["line"]])
    if r.path == "/err/nested":
        names = [f.get("function") if isinstance(f, dict) else None for f in st[-4:]]
        t.eq(what("last frames are err_nested, a, b, c"), names,
             ["err_nested", "a", "b", "c"])
        lines = [f.get("line") if isinstance(f, dict) else None for f in st[-4:]]
        t.eq(what("lines of err_nested, a, b, c"), lines,
             [marks["nested-view"], marks["nested-a"], marks["nested-b"], marks["nested-c"]])
    chain = s.get("exception.chain")
    want = spec.get("chain")
    if want is None:
        t.check(what("no exception.chain"), chain is None, "absent", repr(chain))
        return
    if not t.check(what("exception.chain has one item"),
                   isinstance(chain, list) and len(chain) == 1, "a list of 1",
                   json.dumps(chain)):
        return
    c = chain[0] if isinstance(chain[0], dict) else {}
    t.eq(what("exception.chain[0].type"), c.get("type"), want["type"])
    t.eq(what("exception.chain[0].link"), c.get("link"), want["link"])
    t.eq(what("exception.chain[0].message"), c.get("message"), want["message"])
    cst = c.get("stacktrace")
    if t.check(what("exception.chain[0].stacktrace is a non-empty list"),
               isinstance(cst, list) and cst, "a list of frames", repr(cst)):
        check_frame(t, what("exception.chain[0] innermost frame"), cst[-1], sc, cwd,
                    want["func"], marks[want["line"]])


def check_passing(t, sc, r, s):
    what = lambda field: "%s: %s: %s" % (sc.name, r.label, field)  # noqa: E731
    t.eq(what("http.response.status_code"), s.get("http.response.status_code"), 200)
    present = {k: s[k] for k in EXC_KEYS if k in s}
    t.check(what("no exception.type"), "exception.type" not in s, "no exception keys",
            json.dumps(present)[:400])


def custom_type_printed(server):
    """The custom class as Python printed it in the server's stderr traceback."""
    for line in server.stderr_text().splitlines():
        if line.endswith(": " + CUSTOM_MESSAGE) and not line.startswith(" "):
            return line[:-len(": " + CUSTOM_MESSAGE)].strip()
    return None


def check_pyspan_stderr(t, sc, ps):
    """What pyspan -v says about the interpreter. For 3.8-3.13 it must read it (any message that
    it cannot is a failure); outside that range saying so is what is expected."""
    err = ps.stderr_text().splitlines()
    cannot = [l for l in err if "cannot read" in l or "no Python exceptions from the interpreter"
              in l]
    # The attach line of -v: "pid N: CPython X.Y[.Z] (path, version from ...): exceptions read
    # from the interpreter" (the summary line's counter of the same name is not a claim).
    read = [l for l in err if re.search(r"pid \d+: CPython .*: exceptions read from the "
                                        r"interpreter", l)]
    for l in read + cannot:
        t.note("%s: %s" % (sc.name, l.strip()))
    vshort = "%d.%d" % sc.version[:2]
    if sc.supported:
        t.check("%s: pyspan does not say it cannot read CPython %s" % (sc.name, vshort),
                not cannot, "no 'cannot read' / 'no Python exceptions' line", "; ".join(cannot))
        # -v names the version it found; it must be the server's (the micro version may be
        # unknown when it comes from the library's soname, so only major.minor is compared).
        pat = re.compile(r"CPython %d\.%d[. ]" % sc.version[:2])
        t.check("%s: pyspan -v reports CPython %s read from the interpreter" % (sc.name, vshort),
                any(pat.search(l) for l in read), "a line 'CPython %s.* ... exceptions read from "
                "the interpreter'" % vshort, "; ".join(read) or "no such line")
        bad_micro = [l for l in read if re.search(r"CPython \d+\.\d+\.-", l)]
        if bad_micro:
            t.note("%s: pyspan printed an unknown micro version as a negative number: %s"
                   % (sc.name, bad_micro[0].strip()))
    else:
        t.check("%s: pyspan says it does not read CPython %s (outside 3.8-3.13)" % (sc.name,
                                                                                   vshort),
                bool(cannot), "a 'cannot read' or 'no Python exceptions from the interpreter' "
                "line", "none")
        t.check("%s: pyspan does not claim to read CPython %s" % (sc.name, vshort), not read,
                "no 'exceptions read from the interpreter' line", "; ".join(read))


def run_scenario(t, sc, tmp, marks):
    port = lib.free_port()
    server = ps = None
    workdir = Path(tmp, sc.name)
    workdir.mkdir()
    cwd = APPS if sc.kind == "gunicorn" else lib.REPO
    try:
        server = start_server(sc, port, workdir)
        lib.wait_port(port, server)
        pids = {server.pid}
        if sc.kind == "gunicorn":
            pids = set(lib.wait_workers(server.pid, 2))
        t.note("%s: %s pid %d (CPython %s), port %d" % (sc.name, sc.kind, server.pid, sc.vstr,
                                                        port))
        ps = lib.Pyspan([server.pid], workdir, extra=["-v"])
        ps.wait_attached(30)

        reqs = send_sequence(port)
        pairs = concurrent_pairs(port, CONCURRENT_PAIRS) if sc.threaded else []
        allreqs = reqs + [r for p in pairs for r in p]
        for r in allreqs:
            want = 500 if r.path in FAILING or r.path == "/slow-err" else 200
            t.check("%s: client: %s answered %d" % (sc.name, r.label, want),
                    r.error is None and r.status == want, want,
                    r.error or r.status)

        ps.wait_lines(len(allreqs), timeout=5)
        rc = ps.interrupt(timeout=15)
        t.eq("%s: pyspan exit code after SIGINT" % sc.name, rc, 0)

        spans, bad = ps.spans()
        t.check("%s: every stdout line is a JSON object" % sc.name, not bad, "no other lines",
                "%d other lines, first: %r" % (len(bad), bad[:1]))
        t.eq("%s: number of spans" % sc.name, len(spans), len(allreqs))
        got = match_spans(t, sc, allreqs, spans)

        custom_type = custom_type_printed(server)
        t.check("%s: Python printed the custom class as %s" % (sc.name, CUSTOM_TYPE_DEFAULT),
                custom_type == CUSTOM_TYPE_DEFAULT, CUSTOM_TYPE_DEFAULT, repr(custom_type))
        custom_type = custom_type or CUSTOM_TYPE_DEFAULT

        for r in allreqs:
            s = got.get(id(r))
            if s is None:
                continue
            if sc.kind == "gunicorn":
                t.check("%s: %s: process.pid is the worker that served it" % (sc.name, r.label),
                        s.get("process.pid") == r.served_by and r.served_by in pids,
                        "%s (one of %s)" % (r.served_by, sorted(pids)),
                        repr(s.get("process.pid")))
            else:
                t.eq("%s: %s: process.pid" % (sc.name, r.label), s.get("process.pid"),
                     server.pid)
            if r.path in FAILING:
                check_failing(t, sc, r, s, marks, cwd, custom_type)
            elif r.path in PASSING:
                check_passing(t, sc, r, s)
        check_concurrency(t, sc, pairs, got, marks, cwd)
        check_pyspan_stderr(t, sc, ps)

        line = ps.summary_line()
        nexc = sum(1 for s in spans if "exception.type" in s)
        t.check("%s: summary line on stderr" % sc.name, line is not None,
                "a stderr line containing 'spans'", lib.tail(ps.stderr_path, 5))
        t.note("%s: %s; %d spans with an exception" % (sc.name, (line or "").strip(), nexc))
        SUMMARIES.append((sc, (line or "").strip(), nexc, len(spans)))
    except lib.SetupError as e:
        t.fail("%s: scenario setup" % sc.name, "the server starts and pyspan attaches", str(e))
    finally:
        if ps is not None:
            ps.stop(signal.SIGINT, 10)
        if server is not None:
            server.stop(signal.SIGTERM, 10)


def check_concurrency(t, sc, pairs, got, marks, cwd):
    if not pairs:
        return
    for ok_r, err_r in pairs:
        so, se = got.get(id(ok_r)), got.get(id(err_r))
        if se is not None:
            what = lambda field: "%s: %s: %s" % (sc.name, err_r.label, field)  # noqa: E731
            t.eq(what("http.response.status_code"), se.get("http.response.status_code"), 500)
            t.eq(what("exception.type"), se.get("exception.type"), "LookupError")
            t.eq(what("exception.message"), se.get("exception.message"), "slow failure")
            t.eq(what("pyspan.exception_source"), se.get("pyspan.exception_source"),
                 expected_source(sc))
            st = se.get("exception.stacktrace")
            if t.check(what("exception.stacktrace is a non-empty list"),
                       isinstance(st, list) and st, "a list of frames", repr(st)):
                check_frame(t, what("innermost frame"), st[-1], sc, cwd, "slow_err",
                            marks["slow-err"])
        if so is not None:
            check_passing(t, sc, ok_r, so)
        if so is not None and se is not None:
            overlap = (None not in (ok_r.wall_start, ok_r.wall_end, err_r.wall_start,
                                    err_r.wall_end)
                       and ok_r.wall_start < err_r.wall_end and err_r.wall_start < ok_r.wall_end)
            t.check("%s: %s and %s overlapped on the client" % (sc.name, ok_r.label, err_r.label),
                    overlap, "overlapping", "ok %s-%s, err %s-%s" % (
                        ok_r.wall_start, ok_r.wall_end, err_r.wall_start, err_r.wall_end))
            to, te = so.get("thread.id"), se.get("thread.id")
            t.check("%s: %s and %s ran on different threads" % (sc.name, ok_r.label,
                                                                 err_r.label),
                    isinstance(to, int) and isinstance(te, int) and to != te,
                    "two different integer thread.id", "%r and %r" % (to, te))
    tids = [got[id(r)].get("thread.id") for p in pairs for r in p if id(r) in got]
    t.note("%s: thread.id of the %d concurrent requests: %s" % (sc.name, len(tids), tids))


SUMMARIES = []


# ---------------------------------------------------------------------------------------------


def scenarios(t):
    out = []
    debian = python_version(lib.PYTHON)
    if debian is None:
        t.fail("Debian python3", "%s runs" % lib.PYTHON, "it does not")
    else:
        out.append(Scenario("flask-gunicorn", "gunicorn", lib.PYTHON, debian, False, FLASK_APP))
        out.append(Scenario("flask-werkzeug", "werkzeug", lib.PYTHON, debian, True, FLASK_APP))
        out.append(Scenario("wsgi-debian-%d.%d" % debian[:2], "wsgi", lib.PYTHON, debian, True,
                            WSGI_APP))
    for mm in OLD + SUPPORTED:
        exe = pyenv_python(*mm)
        if exe is None:
            if mm in SUPPORTED:
                t.skip("wsgi_errors.py on CPython %d.%d: no pyenv build under %s/versions"
                       % (mm + (PYENV_ROOT,)))
            continue
        v = python_version(exe)
        if v is None or v[:2] != mm:
            t.fail("pyenv CPython %d.%d runs" % mm, "%s prints %d.%d.x" % ((exe,) + mm), v)
            continue
        out.append(Scenario("wsgi-pyenv-%d.%d" % mm, "wsgi", exe, v, True, WSGI_APP))
    return out


def main():
    lib.exit_on_sigterm()
    t = lib.Tally("test_exceptions")
    lib.require_bpf(t)
    marks = {FLASK_APP: markers(FLASK_APP), WSGI_APP: markers(WSGI_APP)}
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pyspan-e2e-exc-") as tmp:
        for sc in scenarios(t):
            t1 = time.monotonic()
            print("== %s (CPython %s, %s)" % (sc.name, sc.vstr, sc.python))
            sys.stdout.flush()
            before = t.failed
            run_scenario(t, sc, tmp, marks[sc.app_path])
            if t.failed != before:
                for f in ("pyspan.stderr", "%s.stderr" % sc.kind):
                    text = "\n".join(l for l in lib.tail(Path(tmp, sc.name, f), 400).splitlines()
                                     if not l.startswith("libbpf:"))
                    t.note("%s (last lines, libbpf lines left out):\n%s"
                           % (f, "\n".join(text.splitlines()[-25:])))
            t.note("%s took %.1f s" % (sc.name, time.monotonic() - t1))
    print("== pyspan summaries")
    for sc, line, nexc, nspans in SUMMARIES:
        print("  %-18s CPython %-7s %s (%d of %d spans with an exception)"
              % (sc.name, sc.vstr, line, nexc, nspans))
    t.note("all scenarios took %.1f s" % (time.monotonic() - t0))
    t.finish()


if __name__ == "__main__":
    main()
