# SPDX-License-Identifier: BSD-2-Clause
"""pyspan's command line: help, usage errors (exit 2) and runtime errors (exit 1).

Only the "no such process" case needs root (without root pyspan may fail earlier, on
privileges); it is skipped otherwise. `-v` prints passing checks too.

/usr/bin/python3 tests/e2e/test_cli.py [-v]
"""
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib  # noqa: E402

NO_SUCH_PID = "999999999"


def run(args, timeout=10):
    """(exit code, stdout, stderr lines) of pyspan with args; a hang counts as exit None."""
    p = subprocess.Popen([str(lib.PYSPAN)] + args, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(lib.REPO),
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        rc = None
    return rc, out.decode(errors="replace"), err.decode(errors="replace").splitlines()


def usage_error(t, what, args, code=2, mention=None):
    rc, out, err = run(args)
    cmd = "pyspan " + " ".join(args)
    t.eq("%s (%s): exit code" % (what, cmd), rc, code)
    t.check("%s (%s): one line on stderr" % (what, cmd), len(err) == 1, "exactly 1 line",
            "%d lines: %r" % (len(err), err))
    t.check("%s (%s): nothing on stdout" % (what, cmd), out == "", "empty stdout", repr(out[:200]))
    if mention is not None:
        t.check("%s (%s): the message mentions %r" % (what, cmd, mention),
                any(mention in line for line in err), "a stderr line containing %r" % mention,
                err)


def unused_pid():
    """A pid below the kernel's pid_max that no process has right now."""
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    for pid in range(pid_max - 1, 1, -1):
        if not os.path.exists("/proc/%d" % pid):
            return pid
    raise RuntimeError("no free pid")


def main():
    lib.exit_on_sigterm()
    t = lib.Tally("test_cli")
    if not os.access(lib.PYSPAN, os.X_OK):
        t.fail("pyspan binary", "an executable %s (make pyspan)" % lib.PYSPAN, "missing")
        t.finish()

    rc, out, err = run(["--help"])
    t.eq("--help: exit code", rc, 0)
    t.check("--help: mentions --pid", "--pid" in out + "\n".join(err), "'--pid' in the help text",
            (out + "\n".join(err))[:300])

    usage_error(t, "unknown flag", ["--bogus-flag"])
    usage_error(t, "unknown flag after --pid", ["--pid", "1", "--frobnicate"])
    usage_error(t, "--pid with a non-number", ["--pid", "abc"])
    usage_error(t, "--pid with trailing garbage", ["--pid", "12abc"])
    usage_error(t, "--pid without its value", ["--pid"])
    usage_error(t, "no --pid at all", [])

    if os.geteuid() == 0:
        usage_error(t, "--pid of no process", ["--pid", NO_SUCH_PID], code=1,
                    mention=NO_SUCH_PID)
        free = unused_pid()
        usage_error(t, "--pid of no process (in range)", ["--pid", str(free)], code=1,
                    mention=str(free))
    else:
        t.skip("--pid of no process (in range): needs root")
        t.skip("--pid %s: needs root (uid %d) to get past the privilege check"
               % (NO_SUCH_PID, os.geteuid()))
    t.finish()


if __name__ == "__main__":
    main()
