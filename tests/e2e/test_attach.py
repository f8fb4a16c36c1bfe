# SPDX-License-Identifier: BSD-2-Clause
"""End-to-end: every way of choosing what to trace, against real processes.

  - --comm: pyspan starts first and waits; a service whose process name matches starts later,
    is traced (spans, and its exception read from the interpreter), exits, and pyspan keeps
    waiting; a second one is traced too. A process of another name is not.
  - --exe given as a symlink: a service already running the file it points to is found in
    /proc at attach.
  - --cgroup on the cgroup v2 hierarchy: a service that enters a new cgroup and then execs is
    traced; one that is moved into it after attach, without exec, is found by the rescan; one
    outside it is not.
  - a separate mount namespace (unshare --mount): the service's python binary exists only on a
    tmpfs inside that namespace, so pyspan must open it through /proc/PID/...: it is traced and
    its exception is read from the interpreter.
  - --pid alone: pyspan exits 0 once the process is gone; with --no-exit-when-gone it waits.

The service is tests/e2e/apps/wsgi_errors.py (standard library only) run by a copy of Debian's
python3 under a name of its own, so other Python processes on the machine never match. Needs
root, kernel BTF and (for the cgroup part) a cgroup v2 mount; otherwise the part is skipped.

/usr/bin/python3 tests/e2e/test_attach.py [-v]
"""
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib  # noqa: E402

APP = Path(__file__).resolve().parent / "apps" / "wsgi_errors.py"
PYTHON_REAL = os.path.realpath(lib.PYTHON)


def request(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def start_app(name, python, port, workdir, pre=None):
    """The app on port, run by python; pre: shell words run first. sh execs the app, so the
    Proc's pid is the app's."""
    cmd = "exec %s %s --port %d" % (python, APP, port)
    if pre:
        cmd = pre + "; " + cmd
    return lib.Proc(name, ["/bin/sh", "-c", cmd], workdir)


def wait_stderr(p, pattern, timeout=15):
    """The first match of regex pattern in p's stderr, waiting up to timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(pattern, p.stderr_text())
        if m:
            return m
        if not p.alive():
            break
        time.sleep(0.05)
    return None


def spans_for(ps, port):
    spans, _ = ps.spans()
    return [s for s in spans if s.get("server.port") == port]


def check_traced(t, what, ps, port, pid):
    """Two requests to the app on port: both spans there, from pid, the error with its
    exception read from the interpreter."""
    t.eq("%s: /ok answered" % what, request(port, "/ok"), 200)
    t.eq("%s: /err/builtin answered" % what, request(port, "/err/builtin"), 500)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(spans_for(ps, port)) < 2:
        time.sleep(0.1)
    got = spans_for(ps, port)
    t.eq("%s: spans" % what, sorted(s.get("url.path") for s in got), ["/err/builtin", "/ok"])
    t.eq("%s: spans of pid %d" % (what, pid), sorted({s.get("process.pid") for s in got}), [pid])
    err = [s for s in got if s.get("url.path") == "/err/builtin"]
    if err:
        t.eq("%s: exception.type" % what, err[0].get("exception.type"), "ValueError")
        t.eq("%s: exception.message" % what, err[0].get("exception.message"), "bad value 17")
        t.eq("%s: exception read from the interpreter" % what,
             err[0].get("pyspan.exception_source"), "interpreter")


def check_untraced(t, what, ps, port):
    t.eq("%s: /ok answered" % what, request(port, "/ok"), 200)
    time.sleep(0.6)
    t.eq("%s: no span" % what, len(spans_for(ps, port)), 0)


def test_comm(t, work):
    name = "pyattach-comm"
    python = work / name
    shutil.copy(PYTHON_REAL, python)
    other = work / "pyattach-other"
    shutil.copy(PYTHON_REAL, other)
    ps = lib.Pyspan([], work, ["--comm", name])
    apps = []
    try:
        if not t.check("--comm: waits for a first process",
                       wait_stderr(ps, r"no process matches comm %s yet: waiting" % name),
                       "a waiting message", lib.tail(ps.stderr_path)):
            return
        for round_ in (1, 2):
            port = lib.free_port()
            app = start_app("comm-app%d" % round_, python, port, work)
            apps.append(app)
            lib.wait_port(port, app)
            m = wait_stderr(ps, r"following pid %d, started after attach" % app.pid)
            t.check("--comm round %d: pid %d followed when it started" % (round_, app.pid), m,
                    "a following line", lib.tail(ps.stderr_path))
            check_traced(t, "--comm round %d" % round_, ps, port, app.pid)
            app.stop()
            gone = "every traced process has exited; waiting for new ones matching comm " + name
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and ps.stderr_text().count(gone) < round_:
                time.sleep(0.05)
            t.check("--comm round %d: waits again once it is gone" % round_,
                    ps.stderr_text().count(gone) == round_ and ps.alive(),
                    "pyspan running, %d waiting lines" % round_, lib.tail(ps.stderr_path))
        port = lib.free_port()
        app = start_app("comm-other", other, port, work)
        apps.append(app)
        lib.wait_port(port, app)
        check_untraced(t, "--comm: a process of another name", ps, port)
        t.eq("--comm: SIGINT exit code", ps.interrupt(), 0)
    finally:
        for a in apps:
            a.stop()
        ps.stop()


def test_exe(t, work):
    python = work / "pyattach-exe"
    shutil.copy(PYTHON_REAL, python)
    link = work / "python-link"
    os.symlink(python, link)
    port = lib.free_port()
    app = start_app("exe-app", python, port, work)
    ps = None
    try:
        lib.wait_port(port, app)
        ps = lib.Pyspan([], work, ["--exe", str(link)])
        m = wait_stderr(ps, r"attached to (\d+) process(es)? matching exe %s" % link)
        if t.check("--exe: the running process found at attach", m, "an attached line",
                   lib.tail(ps.stderr_path)):
            t.eq("--exe: processes traced at attach", int(m.group(1)), 1)
        check_traced(t, "--exe (a symlink to the binary)", ps, port, app.pid)
    finally:
        app.stop()
        if ps:
            ps.stop()


def cgroup2_mount():
    for line in Path("/proc/self/mounts").read_text().splitlines():
        f = line.split()
        if len(f) > 2 and f[2] == "cgroup2":
            return Path(f[1])
    return None


def test_cgroup(t, work):
    root = cgroup2_mount()
    if root is None:
        t.skip("--cgroup: no cgroup v2 hierarchy is mounted")
        return
    cg = root / ("pyspan-test-%d" % os.getpid())
    try:
        cg.mkdir()
    except OSError as e:
        t.skip("--cgroup: cannot create a cgroup under %s: %s" % (root, e))
        return
    apps = []
    ps = None
    try:
        ps = lib.Pyspan([], work, ["--cgroup", str(cg)])
        if not t.check("--cgroup: waits for a first process",
                       wait_stderr(ps, r"no process matches cgroup %s yet" % cg), "waiting",
                       lib.tail(ps.stderr_path)):
            return
        python = work / "pyattach-cg"
        shutil.copy(PYTHON_REAL, python)
        # Joins the cgroup, then execs: the exec event brings it in.
        port = lib.free_port()
        app = start_app("cg-exec", python, port, work,
                        pre="echo $$ > %s/cgroup.procs" % cg)
        apps.append(app)
        lib.wait_port(port, app)
        t.check("--cgroup: a process that entered it and exec'd is followed",
                wait_stderr(ps, r"following pid %d, started after attach" % app.pid),
                "a following line", lib.tail(ps.stderr_path))
        check_traced(t, "--cgroup (exec inside)", ps, port, app.pid)

        # Running before, moved in without exec: the /proc rescan finds it.
        port2 = lib.free_port()
        app2 = start_app("cg-moved", python, port2, work)
        apps.append(app2)
        lib.wait_port(port2, app2)
        check_untraced(t, "--cgroup: a process outside it", ps, port2)
        (cg / "cgroup.procs").write_text("%d\n" % app2.pid)
        t.check("--cgroup: a process moved in is found by the rescan",
                wait_stderr(ps, r"following pid %d, found in /proc" % app2.pid, 10),
                "a found line", lib.tail(ps.stderr_path))
        check_traced(t, "--cgroup (moved in)", ps, port2, app2.pid)
    finally:
        for a in apps:
            a.stop()
        if ps:
            ps.stop()
        for _ in range(50):
            try:
                cg.rmdir()
                break
            except OSError:
                time.sleep(0.1)


def test_mount_namespace(t, work):
    if not shutil.which("unshare"):
        t.skip("mount namespace: unshare (util-linux) is missing")
        return
    hidden = work / "nsbin"
    hidden.mkdir()
    python = hidden / "python3"
    port = lib.free_port()
    # A tmpfs over nsbin exists only in the new namespace: pyspan's own view of nsbin stays
    # empty, so the binary and its ELF symbols can only be reached through /proc/PID/.
    inner = ("mount -t tmpfs tmpfs %s && cp %s %s && exec %s %s --port %d"
             % (hidden, PYTHON_REAL, python, python, APP, port))
    ps = lib.Pyspan([], work, ["--exe", str(python)])
    app = None
    try:
        if not t.check("mount namespace: pyspan waits",
                       wait_stderr(ps, r"no process matches exe %s yet" % python), "waiting",
                       lib.tail(ps.stderr_path)):
            return
        app = lib.Proc("ns-app", ["unshare", "--mount", "--propagation", "private",
                                  "/bin/sh", "-c", inner], work)
        lib.wait_port(port, app)
        t.eq("mount namespace: the binary is not on pyspan's file system", python.exists(),
             False)
        t.check("mount namespace: followed when it started",
                wait_stderr(ps, r"following pid %d, started after attach" % app.pid),
                "a following line", lib.tail(ps.stderr_path))
        check_traced(t, "mount namespace", ps, port, app.pid)
    finally:
        if app:
            app.stop()
        ps.stop()


def test_pid_lifecycle(t, work):
    python = work / "pyattach-pid"
    shutil.copy(PYTHON_REAL, python)
    for flags, exits in (([], True), (["--no-exit-when-gone"], False)):
        port = lib.free_port()
        app = start_app("pid-app", python, port, work)
        ps = None
        what = "--pid %s" % " ".join(flags) if flags else "--pid"
        try:
            lib.wait_port(port, app)
            ps = lib.Pyspan([app.pid], work, flags)
            ps.wait_attached()
            app.stop()
            if exits:
                t.eq("%s: exit code once the process is gone" % what, ps.wait(10), 0)
                t.check("%s: says why it stopped" % what,
                        "every traced process has exited; stopping" in ps.stderr_text(),
                        "a stopping line", lib.tail(ps.stderr_path))
            else:
                t.check("%s: still waiting once the process is gone" % what,
                        wait_stderr(ps, r"every traced process has exited; waiting for new "
                                    r"ones\n", 10) and (time.sleep(0.5) or ps.alive()),
                        "pyspan running", lib.tail(ps.stderr_path))
                t.eq("%s: SIGINT exit code" % what, ps.interrupt(), 0)
        finally:
            app.stop()
            if ps:
                ps.stop()


def test_btf_missing(t):
    """PYSPAN_BTF at a missing file: the message pyspan gives a kernel without BTF, and exit
    1, before anything is loaded (so no root is needed)."""
    if not lib.PYSPAN.exists():
        return
    env = dict(os.environ, PYSPAN_BTF="/nonexistent/vmlinux")
    r = subprocess.run([str(lib.PYSPAN), "--comm", "pyattach-none"], capture_output=True,
                       text=True, env=env, timeout=30)
    t.eq("missing BTF: exit code", r.returncode, 1)
    t.check("missing BTF: says which file", "pyspan: the BTF file /nonexistent/vmlinux "
            "(PYSPAN_BTF) does not exist" in r.stderr, "the BTF line", r.stderr)


def main():
    t = lib.Tally("attach")
    lib.exit_on_sigterm()
    test_btf_missing(t)
    lib.require_bpf(t)
    with tempfile.TemporaryDirectory(prefix="pyspan-attach-") as d:
        work = Path(d)
        for test in (test_comm, test_exe, test_cgroup, test_mount_namespace,
                     test_pid_lifecycle):
            try:
                test(t, work)
            except lib.SetupError as e:
                t.fail("%s: setup" % test.__name__, "processes that start", str(e))
    t.finish()


if __name__ == "__main__":
    main()
