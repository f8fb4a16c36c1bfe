# SPDX-License-Identifier: BSD-2-Clause
"""Shared helpers for pyspan's end-to-end tests (and demo/run.py).

Standard library only; run with Debian's /usr/bin/python3. Every process started here is put
in its own session (process group) so that it and its children can be stopped together, and
every start has a matching stop that is safe to call twice and on a process that already died.
"""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3"
GUNICORN = "/usr/bin/gunicorn"
# PYSPAN_BIN overrides the binary under test (e.g. an installed copy).
PYSPAN = Path(os.environ.get("PYSPAN_BIN") or REPO / "pyspan")
BTF = Path("/sys/kernel/btf/vmlinux")


class SetupError(Exception):
    """A process could not be started or did not become ready; the message says why."""


# ---------------------------------------------------------------------------------------------
# Result tally


class Tally:
    """Counts checks; the last line printed is "NAME: N passed, N failed, N skipped"."""

    def __init__(self, name, verbose=None):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.verbose = ("-v" in sys.argv[1:]) if verbose is None else verbose

    def check(self, what, ok, expected=None, got=None):
        """Count one check. On failure print what was expected and what was got."""
        if ok:
            self.passed += 1
            if self.verbose:
                print("ok   %s" % what)
        else:
            self.failed += 1
            print("FAIL %s\n       expected: %s\n       got:      %s" % (what, expected, got))
        sys.stdout.flush()
        return bool(ok)

    def eq(self, what, got, expected):
        """Check got == expected (types matter: 200 is not "200")."""
        ok = got == expected and type(got) is type(expected)
        return self.check(what, ok, repr(expected), repr(got))

    def fail(self, what, expected, got):
        return self.check(what, False, expected, got)

    def skip(self, reason):
        self.skipped += 1
        print("SKIP %s" % reason)
        sys.stdout.flush()

    def note(self, msg):
        print("  .. %s" % msg)
        sys.stdout.flush()

    def finish(self):
        """Print the result line and exit: non-zero when any check failed."""
        print("%s: %d passed, %d failed, %d skipped"
              % (self.name, self.passed, self.failed, self.skipped))
        sys.stdout.flush()
        sys.exit(1 if self.failed else 0)


def require_bpf(t):
    """End the suite here, with the reason, when pyspan cannot run: not root, no BTF, or no
    binary. A missing binary is a failure; the others are skips."""
    if os.geteuid() != 0:
        t.skip("needs root to load BPF programs (running as uid %d)" % os.geteuid())
        t.finish()
    if not BTF.exists():
        t.skip("kernel has no BTF (%s is missing): pyspan cannot run here" % BTF)
        t.finish()
    if not os.access(PYSPAN, os.X_OK):
        t.fail("pyspan binary", "an executable %s (make pyspan)" % PYSPAN, "missing")
        t.finish()


def exit_on_sigterm():
    """Turn SIGTERM (and SIGHUP) into SystemExit so that finally blocks stop our processes."""
    def handler(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


# ---------------------------------------------------------------------------------------------
# Processes


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, n=20):
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return "(no %s)" % path
    return "\n".join(lines[-n:])


class Proc:
    """A child process in its own session, with stdout and stderr going to files."""

    def __init__(self, name, argv, workdir, cwd=None, env=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.stdout_path = Path(workdir) / ("%s.stdout" % name)
        self.stderr_path = Path(workdir) / ("%s.stderr" % name)
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=err, cwd=cwd, env=env, start_new_session=True)
        self.pid = self.popen.pid
        self.returncode = None

    def alive(self):
        return self.popen.poll() is None

    def send_signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def wait(self, timeout):
        """The exit code, or None when it is still running after timeout seconds."""
        try:
            self.returncode = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def _kill_group(self, sig):
        try:
            os.killpg(self.pid, sig)  # the session leader's pid is the group id
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Send sig to the process, wait, then SIGKILL its whole group. Returns the exit code."""
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            if self.wait(timeout) is None:
                self._kill_group(signal.SIGKILL)
                self.wait(5)
        # Children that outlived their parent (e.g. gunicorn workers after a master crash).
        self._kill_group(signal.SIGKILL)
        if self.returncode is None:
            self.returncode = self.popen.poll()
        return self.returncode

    def stdout_text(self):
        return self.stdout_path.read_text(errors="replace")

    def stderr_text(self):
        return self.stderr_path.read_text(errors="replace")


def start_gunicorn(port, workdir, workers=2):
    return Proc("gunicorn", [GUNICORN, "--workers", str(workers), "--worker-class", "sync",
                             "--bind", "127.0.0.1:%d" % port, "--chdir", str(REPO),
                             "demo.app:app"], workdir, cwd=str(REPO))


def start_werkzeug(port, workdir):
    return Proc("werkzeug", [PYTHON, str(REPO / "demo" / "app.py"), "--port", str(port)],
                workdir, cwd=str(REPO))


def serving_gunicorn(port, workdir, workers=2):
    """Start the demo app under gunicorn and wait until it answers on port with all its
    workers up. Returns (proc, worker pids); a gunicorn that never gets there is stopped
    before the SetupError goes up, so callers only clean up what they got back."""
    gu = start_gunicorn(port, workdir, workers)
    try:
        wait_port(port, gu)
        return gu, wait_workers(gu.pid, workers)
    except BaseException:
        gu.stop(signal.SIGTERM, 10)
        raise


def wait_port(port, proc, timeout=20):
    """Wait until something accepts TCP connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise SetupError("%s exited (code %s) before listening on port %d; its stderr:\n%s"
                             % (proc.name, proc.popen.poll(), port, tail(proc.stderr_path)))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SetupError("%s did not listen on port %d within %d s; its stderr:\n%s"
                     % (proc.name, port, timeout, tail(proc.stderr_path)))


def children(pid):
    """Pids of the live (not zombie) processes whose parent is pid."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc/%s/stat" % entry).read_text()
        except OSError:
            continue
        # comm may hold spaces and parentheses: fields after the last ')' are fixed.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry))
    return sorted(out)


def pid_alive(pid):
    try:
        stat = Path("/proc/%d/stat" % pid).read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] != "Z"


def wait_workers(master, count, timeout=20, old=()):
    """Wait until master has exactly count children, none of them in old, and every pid in
    old is gone. Returns the children."""
    deadline = time.monotonic() + timeout
    kids = []
    while time.monotonic() < deadline:
        kids = children(master)
        if (len(kids) == count and not set(kids) & set(old)
                and not any(pid_alive(p) for p in old)):
            return kids
        time.sleep(0.05)
    raise SetupError("pid %d: expected %d worker processes (not %s), got %s after %d s"
                     % (master, count, list(old), kids, timeout))


# ---------------------------------------------------------------------------------------------
# pyspan


class Pyspan(Proc):
    ATTACHED = "pyspan: attached"

    def __init__(self, pids, workdir, extra=()):
        argv = [PYSPAN]
        for p in pids:
            argv += ["--pid", str(p)]
        argv += list(extra)
        super().__init__("pyspan", argv, workdir, cwd=str(REPO))

    def wait_attached(self, timeout=30):
        """Wait for a stderr line containing "pyspan: attached"."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(self.ATTACHED in line for line in self.stderr_text().splitlines()):
                return
            if not self.alive():
                raise SetupError("pyspan exited (code %s) before printing %r; its stderr:\n%s"
                                 % (self.popen.poll(), self.ATTACHED, tail(self.stderr_path, 40)))
            time.sleep(0.05)
        raise SetupError("pyspan printed no %r line within %d s; its stderr:\n%s"
                         % (self.ATTACHED, timeout, tail(self.stderr_path, 40)))

    def wait_lines(self, count, timeout=5):
        """Wait until stdout holds at least count lines (spans are written as they complete)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stdout_text().count("\n") >= count or not self.alive():
                return
            time.sleep(0.05)

    def interrupt(self, timeout=15):
        """SIGINT, then wait for the exit. Returns the exit code, or None if it had to be
        killed (it did not exit within timeout seconds)."""
        self.send_signal(signal.SIGINT)
        rc = self.wait(timeout)
        if rc is None:
            self.stop(signal.SIGKILL, 5)
        return rc

    def spans(self):
        """(spans, bad_lines): one JSON object per stdout line."""
        spans, bad = [], []
        for line in self.stdout_text().splitlines():
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                bad.append(line)
                continue
            if isinstance(obj, dict):
                spans.append(obj)
            else:
                bad.append(line)
        return spans, bad

    def summary_line(self):
        """The last stderr line that contains "spans" (the exit summary), or None."""
        lines = [l for l in self.stderr_text().splitlines() if "spans" in l]
        return lines[-1] if lines else None


def summary_number(line, word):
    """In "pyspan: 123 events, 12 spans, 0 ring-buffer drops", the number before word."""
    m = re.search(r"(\d+)\s+%s" % re.escape(word), line or "")
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------------------------------------
# Clients


USER_AGENT = "pyspan-e2e/1.0"


def redact_query(q):
    """What pyspan must report for a query string: every value replaced by REDACTED."""
    if not q:
        return q
    out = []
    for part in q.split("&"):
        out.append(part.split("=", 1)[0] + "=REDACTED" if "=" in part else part)
    return "&".join(out)


def query_keys(q):
    return "&".join(p.split("=", 1)[0] for p in q.split("&")) if q else ""


class Req:
    """One request as the client saw it."""

    def __init__(self, method, target, headers=None, body=b"", label=None):
        self.method = method
        self.target = target
        self.path, _, self.query = target.partition("?")
        self.headers = dict(headers or {})
        self.body = body
        self.label = label or "%s %s" % (method, target)
        self.status = None
        self.resp_headers = {}
        self.resp_body = b""
        self.duration_ms = None
        self.client_port = None
        self.wall_start = None
        self.wall_end = None
        self.conn_id = None  # which client connection carried it
        self.error = None

    @property
    def served_by(self):
        v = self.resp_headers.get("x-served-by")
        return int(v) if v and v.isdigit() else None

    def __repr__(self):
        return "<%s -> %s, %d bytes, client port %s>" % (
            self.label, self.status, len(self.resp_body), self.client_port)


def send(conn, req):
    """Send req on an http.client.HTTPConnection (opening it if needed), read the whole
    response, and record status, body, client port and the client-observed duration."""
    if conn.sock is None:
        conn.connect()
    req.client_port = conn.sock.getsockname()[1]
    req.conn_id = id(conn.sock)
    headers = {"User-Agent": USER_AGENT}
    headers.update(req.headers)
    req.wall_start = time.time()
    t0 = time.perf_counter()
    conn.request(req.method, req.target, body=req.body or None, headers=headers)
    resp = conn.getresponse()
    req.resp_body = resp.read()
    t1 = time.perf_counter()
    req.wall_end = time.time()
    req.duration_ms = (t1 - t0) * 1000.0
    req.status = resp.status
    req.resp_headers = {k.lower(): v for k, v in resp.getheaders()}
    return req


def send_one(port, req, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        return send(conn, req)
    finally:
        conn.close()


def decode_chunked(data):
    """Decode a chunked body; returns (payload, ok)."""
    out = bytearray()
    i = 0
    while True:
        j = data.find(b"\r\n", i)
        if j < 0:
            return bytes(out), False
        size = int(data[i:j].split(b";")[0].strip(), 16)
        i = j + 2
        if size == 0:
            return bytes(out), True
        out += data[i:i + size]
        if data[i + size:i + size + 2] != b"\r\n":
            return bytes(out), False
        i += size + 2


def send_raw(port, req, timeout=30):
    """Send req over a raw socket as HTTP/1.1 with "Connection: close", read until the server
    closes, and parse the response (decoding a chunked body). Records like send()."""
    lines = ["%s %s HTTP/1.1" % (req.method, req.target), "Host: 127.0.0.1:%d" % port,
             "User-Agent: %s" % USER_AGENT, "Connection: close"]
    lines += ["%s: %s" % kv for kv in req.headers.items()]
    if req.body:
        lines.append("Content-Length: %d" % len(req.body))
    wire = ("\r\n".join(lines) + "\r\n\r\n").encode() + (req.body or b"")
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        req.client_port = s.getsockname()[1]
        req.conn_id = id(s)
        req.wall_start = time.time()
        t0 = time.perf_counter()
        s.sendall(wire)
        buf = bytearray()
        while True:
            b = s.recv(65536)
            if not b:
                break
            buf += b
        t1 = time.perf_counter()
        req.wall_end = time.time()
    req.duration_ms = (t1 - t0) * 1000.0
    head, _, body = bytes(buf).partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    req.status = int(head_lines[0].split()[1])
    req.resp_headers = {}
    for l in head_lines[1:]:
        k, _, v = l.partition(":")
        req.resp_headers[k.strip().lower()] = v.strip()
    req.raw_body = body
    if req.resp_headers.get("transfer-encoding", "").lower() == "chunked":
        req.resp_body, req.chunked_ok = decode_chunked(body)
    else:
        req.resp_body, req.chunked_ok = body, None
    return req
