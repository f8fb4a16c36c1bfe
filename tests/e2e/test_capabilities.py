# SPDX-License-Identifier: BSD-2-Clause
"""End-to-end: the capabilities pyspan needs, exactly, and what it says when one is missing.

pyspan runs as root with every capability but a chosen set removed from the bounding set
(capsh --drop), as in a container started with cap_drop: ALL and cap_add. The traced service
runs as nobody from a python binary only nobody can read (mode 0700), so that reading the
interpreter needs CAP_SYS_PTRACE (another user's process) and CAP_DAC_READ_SEARCH (a file
pyspan's uid cannot read).

  - exactly CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH: a request is traced and
    its exception read from the interpreter;
  - without CAP_BPF or CAP_PERFMON: exit 1 with a line naming the capability;
  - without CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH: the request is still traced, its exception
    comes from the traceback text, and a line names the capability;
  - tracefs not mounted (a private mount namespace): without CAP_SYS_ADMIN, exit 1 naming it;
    with it, pyspan mounts tracefs and traces.
CAP_SYS_RESOURCE is never given: on kernels from 5.11 on BPF memory is not charged to
RLIMIT_MEMLOCK, and on older ones pyspan names it when the load fails.

Needs root, kernel BTF and capsh (libcap2-bin); otherwise skipped.

/usr/bin/python3 tests/e2e/test_capabilities.py [-v]
"""
import http.client
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib  # noqa: E402

APP = Path(__file__).resolve().parent / "apps" / "wsgi_errors.py"
NEEDED = ["cap_bpf", "cap_perfmon", "cap_sys_ptrace", "cap_dac_read_search"]


def all_caps():
    """Every capability name this kernel knows, as capsh spells it."""
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    names = []
    for i in range(last + 1):
        out = subprocess.run(["capsh", "--decode=%x" % (1 << i)], capture_output=True,
                             text=True).stdout.strip()
        names.append(out.split("=", 1)[1])
    return names


def with_caps(keep, argv, mount_ns_prep=None):
    """argv run as root with only the capabilities in keep (through the bounding set)."""
    drop = [c for c in all_caps() if c not in keep]
    cmd = " ".join("'%s'" % a for a in argv)
    shell = ["capsh", "--drop=" + ",".join(drop), "--", "-c", "exec " + cmd]
    if mount_ns_prep:
        inner = "%s && exec %s" % (mount_ns_prep, " ".join("'%s'" % a for a in shell))
        return ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", inner]
    return shell


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def run_pyspan(work, name, argv_wrapped, port):
    """Start it, wait for attach (or exit), send /err/builtin, stop. Returns (rc, spans,
    stderr)."""
    p = lib.Proc(name, argv_wrapped, work)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and p.alive() and lib.Pyspan.ATTACHED not in \
            p.stderr_text():
        time.sleep(0.05)
    if p.alive():
        get(port, "/err/builtin")
        time.sleep(0.5)
        p.send_signal(2)
        rc = p.wait(15)
        if rc is None:
            p.stop()
    else:
        rc = p.wait(1)
    spans = [s for s in lib.Pyspan.spans(p)[0] if s.get("server.port") == port]
    return rc, spans, p.stderr_text()


def main():
    t = lib.Tally("capabilities")
    lib.exit_on_sigterm()
    lib.require_bpf(t)
    if not shutil.which("capsh"):
        t.skip("capsh (libcap2-bin) is missing")
        t.finish()
    nobody = pwd.getpwnam("nobody")
    with tempfile.TemporaryDirectory(prefix="pyspan-caps-") as d:
        work = Path(d)
        os.chmod(work, 0o755)
        python = work / "python-nobody"
        shutil.copy(os.path.realpath(lib.PYTHON), python)
        os.chown(python, nobody.pw_uid, nobody.pw_gid)
        os.chmod(python, 0o700)
        # nobody reads the app from here: a checkout under /root (0700) is closed to it.
        app_file = work / APP.name
        for f in (APP, APP.parent / "shop_errors.py"):  # the app and the module it imports
            shutil.copy(f, work / f.name)
            os.chmod(work / f.name, 0o644)
        port = lib.free_port()
        app = lib.Proc("app", ["setpriv", "--reuid", str(nobody.pw_uid), "--regid",
                               str(nobody.pw_gid), "--clear-groups", str(python), str(app_file),
                               "--port", str(port)], work, cwd="/")
        try:
            lib.wait_port(port, app)
            pyspan = [str(lib.PYSPAN), "--pid", str(app.pid)]

            rc, spans, err = run_pyspan(work, "exact", with_caps(NEEDED, pyspan), port)
            t.eq("exactly %s: exit code" % ",".join(NEEDED), rc, 0)
            t.eq("exactly the set: one span", len(spans), 1)
            if spans:
                t.eq("exactly the set: exception from the interpreter",
                     spans[0].get("pyspan.exception_source"), "interpreter")
            t.check("exactly the set: no capability named missing", "missing CAP" not in err,
                    "no 'missing CAP' line", err)

            for cap in ("cap_bpf", "cap_perfmon"):
                keep = [c for c in NEEDED if c != cap]
                rc, spans, err = run_pyspan(work, "no-" + cap, with_caps(keep, pyspan), port)
                t.eq("without %s: exit code" % cap, rc, 1)
                t.check("without %s: says so" % cap, "missing %s for loading BPF programs"
                        % cap.upper() in err, "missing %s" % cap.upper(), err)

            for cap in ("cap_sys_ptrace", "cap_dac_read_search"):
                keep = [c for c in NEEDED if c != cap]
                rc, spans, err = run_pyspan(work, "no-" + cap, with_caps(keep, pyspan), port)
                t.eq("without %s: exit code" % cap, rc, 0)
                t.eq("without %s: still one span" % cap, len(spans), 1)
                if spans:
                    t.eq("without %s: exception from the traceback text" % cap,
                         spans[0].get("pyspan.exception_source"), "traceback_text")
                t.check("without %s: says so" % cap, "cannot read its Python interpreter, "
                        "missing %s" % cap.upper() in err, "missing %s" % cap.upper(), err)

            # tracefs unmounted, in a mount namespace of this test's own.
            prep = ("umount /sys/kernel/tracing 2>/dev/null; "
                    "umount /sys/kernel/debug 2>/dev/null; ! test -e /sys/kernel/tracing/events")
            rc, spans, err = run_pyspan(work, "no-tracefs",
                                        with_caps(NEEDED, pyspan, prep), port)
            t.eq("tracefs unmounted, no cap_sys_admin: exit code", rc, 1)
            t.check("tracefs unmounted, no cap_sys_admin: says so",
                    "missing CAP_SYS_ADMIN for mounting tracefs" in err,
                    "missing CAP_SYS_ADMIN", err)
            rc, spans, err = run_pyspan(work, "mount-tracefs",
                                        with_caps(NEEDED + ["cap_sys_admin"], pyspan, prep),
                                        port)
            t.eq("tracefs unmounted, with cap_sys_admin: exit code", rc, 0)
            t.eq("tracefs unmounted, with cap_sys_admin: one span", len(spans), 1)
        except lib.SetupError as e:
            t.fail("setup", "the service starts", str(e))
        finally:
            app.stop()
    t.finish()


if __name__ == "__main__":
    main()
