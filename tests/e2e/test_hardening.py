# SPDX-License-Identifier: BSD-2-Clause
"""End-to-end: a traced process cannot hang pyspan, steer what it opens, or make it leak.

Each scenario is one finding of the hardening review, run against a real gunicorn service:
  - fifo, symlink: an unprivileged process (nobody, in `unshare -Urm`) maps libssl.so.3, then
    hides it under a tmpfs holding a FIFO, or an absolute symlink to a FIFO only the host
    has. Spans keep flowing (20 of 20) and one SIGINT stops pyspan within --flush-deadline
    + 1 s; run as root (the mapped file itself, through map_files) and without
    CAP_SYS_ADMIN (the name resolved inside the process's root), where the refusal is said
    once.
  - many-libssl: three such processes map 48 libssl copies each: at most 16 files are
    probed, pyspan's descriptors stay bounded, the stop is quick, and the probes are
    released once the processes are gone.
  - stop: with --flush-deadline 0 and 5 and nothing queued, the stop takes under 1 s.
  - http99: `GET /x HTTP/9.9`, which gunicorn answers, gives a span with its status.
  - userinfo: OTLP, Honeycomb and X-Ray endpoints with user:password@: no password in
    --check-config, in -v lines or in the stop summary.
  - tokens: a 40-character reset token in the path is {token} in http.route and the span name
    and REDACTED in url.path and in what stdout, X-Ray, Honeycomb, OTLP and CloudWatch get,
    unless --keep-path-tokens.
  - metrics: with 1,000 idle connections to --metrics-port, a scrape answers within 1 s.
  - fuzzclone: `make build/fuzz/fuzz_config` works in a fresh clone of the last commit.
  - trust: a mode-0666 config file of nobody's (whose "record" names a root-only file) and a
    config in a world-writable directory are refused, naming file and mode; --record does
    not follow a symlink nobody left in a sticky directory, nor truncate nobody's file.

Needs root, kernel BTF, setpriv and unshare (util-linux), and unprivileged user namespaces;
otherwise skipped. PYSPAN_BIN=path runs it against another build (the main branch's, to see
the findings fail).

/usr/bin/python3 tests/e2e/test_hardening.py [-v] [scenario...]
"""
import http.client
import json
import os
import pwd
import resource
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib  # noqa: E402
from receivers.base import Receiver  # noqa: E402

TRAP = Path(__file__).resolve().parent / "apps" / "tls_trap.py"
REQUESTS = 20


def userns_works():
    try:
        p = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                            "unshare", "-Urm", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return p.returncode == 0


def start_trap(work, name, mode, d, hostdir="", count=48):
    """The hostile process, as nobody in a user and mount namespace of its own."""
    p = lib.Proc(name, ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                        "unshare", "-Urm", lib.PYTHON, str(TRAP), mode, str(d), str(hostdir),
                        str(count)], work, cwd="/")
    wait_output(p, "mapped")
    return p


def wait_output(p, word, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if word in p.stdout_text():
            return
        if not p.alive():
            raise lib.SetupError("%s exited before saying %r: %s" % (p.name, word,
                                                                     lib.tail(p.stderr_path)))
        time.sleep(0.05)
    raise lib.SetupError("%s did not say %r within %d s" % (p.name, word, timeout))


def shared_dir(parent, name):
    d = Path(parent) / name
    d.mkdir()
    os.chmod(d, 0o777)
    return d


def without_sys_admin(argv):
    """argv as root without CAP_SYS_ADMIN (and CAP_CHECKPOINT_RESTORE): no map_files."""
    return ["capsh", "--drop=cap_sys_admin,cap_checkpoint_restore", "--", "-c",
            "exec " + " ".join("'%s'" % a for a in argv)]


class Pyspan(lib.Pyspan):
    """pyspan under a name of the scenario's, optionally without CAP_SYS_ADMIN."""

    def __init__(self, work, name, argv, limited=False, env=None):
        lib.Proc.__init__(self, name, without_sys_admin(argv) if limited else argv, work,
                          cwd=str(lib.REPO), env=env)


def start_pyspan(work, name, pids, extra=(), limited=False):
    argv = [str(lib.PYSPAN)]
    for p in pids:
        argv += ["--pid", str(p)]
    return Pyspan(work, name, argv + list(extra), limited)


def attached(ps, timeout=20):
    try:
        ps.wait_attached(timeout)
        return True
    except lib.SetupError:
        return False


def served_spans(ps, port):
    spans = ps.spans()[0]
    return [s for s in spans if s.get("server.port") == port]


def send_requests(port, n=REQUESTS, path="/health"):
    ok = 0
    for _ in range(n):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            ok += r.status == 200
            c.close()
        except OSError:
            pass
    return ok


def wait_spans(ps, port, n, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(served_spans(ps, port)) < n:
        time.sleep(0.1)
    return len(served_spans(ps, port))


def timed_stop(ps, limit):
    """SIGINT, then (exit code, seconds to exit); SIGKILL at limit + 5 s."""
    t0 = time.monotonic()
    ps.send_signal(signal.SIGINT)
    rc = ps.wait(limit + 5)
    took = time.monotonic() - t0
    if rc is None:
        ps.stop(signal.SIGKILL, 5)
    return rc, took


def pyspan_fds(ps):
    try:
        return len(os.listdir("/proc/%d/fd" % ps.pid))
    except OSError:
        return -1


def scenario_trap(t, work, port, gu, mode, limited):
    """A FIFO (or a symlink to a host FIFO) put where a mapped libssl was."""
    name = "%s%s" % (mode, " without CAP_SYS_ADMIN" if limited else "")
    base = Path(tempfile.mkdtemp(prefix="trap-", dir=work))
    os.chmod(base, 0o755)
    d = shared_dir(base, "lib")
    hostdir = shared_dir(base, "host")
    os.mkfifo(hostdir / "fifo", 0o666)
    trap = start_trap(work, "trap-" + mode, mode, d, hostdir)
    ps = None
    try:
        # Armed after the attach, the trap meets the rescan every 2 s; armed before, the
        # first scan. Without CAP_SYS_ADMIN this kernel refuses uprobes, so a libssl seen
        # unswapped is never looked at again: that run arms first.
        if limited:
            trap.send_signal(signal.SIGUSR1)
            wait_output(trap, "armed")
        ps = start_pyspan(work, "pyspan-" + mode + ("-limited" if limited else ""),
                          [gu.pid, trap.pid], ["--flush-deadline", "1"], limited)
        if not t.check("%s: pyspan attaches" % name, attached(ps), "attached",
                       lib.tail(ps.stderr_path)):
            return
        if not limited:
            trap.send_signal(signal.SIGUSR1)
            wait_output(trap, "armed")
        time.sleep(3.0)  # past pyspan's 2 s rescan of the libraries processes map
        sent = send_requests(port)
        got = wait_spans(ps, port, sent)
        t.eq("%s: spans while the trap is armed" % name, "%d/%d" % (got, sent),
             "%d/%d" % (REQUESTS, REQUESTS))
        rc, took = timed_stop(ps, 2.0)
        t.note("%s: stop took %.2f s" % (name, took))
        t.check("%s: one SIGINT stops pyspan within --flush-deadline + 1 s" % name,
                rc is not None and took <= 2.0, "exit within 2.0 s", "%.2f s, rc %s"
                % (took, rc))
        t.eq("%s: exit code" % name, rc, 0)
        err = ps.stderr_text()
        if limited:
            said = [l for l in err.splitlines() if str(d / "libssl.so.3") in l]
            t.eq("%s: the refused file is said once" % name, len(said), 1)
            t.check("%s: ... as not traced" % name, said and "not traced" in said[0],
                    "a line saying its calls are not traced", said)
            t.note("%s: %s" % (name, said[:1]))
            t.check("%s: the summary counts it" % name,
                    "0 files refused" not in err and "files refused" in err,
                    "N files refused, N > 0", [l for l in err.splitlines() if "TLS" in l])
    except lib.SetupError as e:
        t.fail("%s: setup" % name, "the trap and pyspan start", str(e))
    finally:
        if ps is not None:
            ps.stop(signal.SIGKILL, 5)
        trap.stop(signal.SIGKILL, 5)


def scenario_many(t, work, port, gu):
    """Three processes with 48 libssl copies each."""
    name = "many-libssl"
    traps = []
    ps = None
    try:
        for i in range(3):
            d = shared_dir(work, "many%d" % i)
            traps.append(start_trap(work, "trap-many%d" % i, "many", d, "", 48))
        ps = start_pyspan(work, "pyspan-many", [gu.pid] + [x.pid for x in traps],
                          ["--flush-deadline", "1", "-v"])
        if not t.check("%s: pyspan attaches" % name, attached(ps, 60), "attached",
                       lib.tail(ps.stderr_path)):
            return
        time.sleep(2.5)
        fds = pyspan_fds(ps)
        t.note("%s: pyspan holds %d file descriptors" % (name, fds))
        t.check("%s: pyspan's descriptors stay bounded" % name, 0 < fds <= 400, "<= 400",
                fds)
        probed = [l for l in ps.stderr_text().splitlines()
                  if re.search(r"probing (\d+ )?OpenSSL", l)]
        t.check("%s: at most 16 files probed" % name, len(probed) <= 16, "<= 16",
                len(probed))
        t.check("%s: the bound is said" % name, "more OpenSSL libraries than pyspan probes"
                in ps.stderr_text(), "a line naming the bound", lib.tail(ps.stderr_path, 5))
        sent = send_requests(port)
        t.eq("%s: spans keep flowing" % name, "%d/%d" % (wait_spans(ps, port, sent), sent),
             "%d/%d" % (REQUESTS, REQUESTS))
        for x in traps:
            x.stop(signal.SIGKILL, 5)
        time.sleep(4.5)  # two rescans: the files are no longer mapped by anyone
        fds_after = pyspan_fds(ps)
        t.note("%s: %d descriptors once the processes are gone" % (name, fds_after))
        t.check("%s: probes released once nobody maps the files" % name,
                "its probes are released" in ps.stderr_text() and fds_after < fds,
                "released, fewer descriptors than %d" % fds, fds_after)
        rc, took = timed_stop(ps, 2.0)
        t.note("%s: stop took %.2f s" % (name, took))
        t.check("%s: stop within --flush-deadline + 1 s" % name,
                rc == 0 and took <= 2.0, "rc 0 within 2.0 s", "rc %s, %.2f s" % (rc, took))
    except lib.SetupError as e:
        t.fail("%s: setup" % name, "the traps and pyspan start", str(e))
    finally:
        if ps is not None:
            ps.stop(signal.SIGKILL, 5)
        for x in traps:
            x.stop(signal.SIGKILL, 5)


def scenario_stop(t, work, port, gu):
    """Nothing queued: the stop is the detach, whatever the deadline."""
    for deadline in (0, 5):
        name = "stop (--flush-deadline %d)" % deadline
        ps = start_pyspan(work, "pyspan-stop%d" % deadline, [gu.pid],
                          ["--flush-deadline", str(deadline)])
        try:
            if not t.check("%s: attaches" % name, attached(ps), "attached",
                           lib.tail(ps.stderr_path)):
                continue
            send_requests(port, 3)
            wait_spans(ps, port, 3)
            rc, took = timed_stop(ps, deadline + 1.0)
            t.note("%s: took %.2f s" % (name, took))
            t.check("%s: under 1 s" % name, rc == 0 and took < 1.0, "rc 0, < 1 s",
                    "rc %s, %.2f s" % (rc, took))
        finally:
            ps.stop(signal.SIGKILL, 5)


def scenario_http99(t, work, port, gu):
    """A request line with a version gunicorn does not speak, which it answers."""
    name = "HTTP/9.9"
    ps = start_pyspan(work, "pyspan-http99", [gu.pid])
    try:
        if not t.check("%s: attaches" % name, attached(ps), "attached", lib.tail(ps.stderr_path)):
            return
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /x HTTP/9.9\r\nHost: a\r\n\r\n")
            answer = s.recv(64)
        t.note("%s: gunicorn answered %r" % (name, answer.split(b"\r\n")[0]))
        spans = [x for x in served_spans(ps, port) if x.get("url.path") == "/x"]
        deadline = time.monotonic() + 5
        while not spans and time.monotonic() < deadline:
            time.sleep(0.1)
            spans = [x for x in served_spans(ps, port) if x.get("url.path") == "/x"]
        t.eq("%s: one span" % name, len(spans), 1)
        if spans:
            status = int(answer.split(b" ")[1]) if answer.startswith(b"HTTP/") else None
            t.eq("%s: the status gunicorn answered" % name,
                 spans[0].get("http.response.status_code"), status)
    finally:
        ps.stop(signal.SIGINT, 5)


def scenario_userinfo(t, work, port, gu):
    """Endpoints with user:password@ in them: never printed."""
    name = "userinfo"
    dead = lib.free_port()
    urls = ["--otlp-endpoint", "http://user:PASSWORD1@127.0.0.1:%d/" % dead,
            "--honeycomb-endpoint", "http://user:PASSWORD2@127.0.0.1:%d/" % dead,
            "--xray-mode", "api", "--xray-endpoint", "http://user:PASSWORD3@127.0.0.1:%d" % dead]
    env = dict(os.environ, HONEYCOMB_API_KEY="hckey0123456789abcdef01", AWS_REGION="us-east-1",
               AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY="x" * 40)
    empty = work / "empty.json"
    empty.write_text("{}")
    os.chmod(empty, 0o600)
    chk = subprocess.run([str(lib.PYSPAN), "--check-config", str(empty), "--export",
                          "otlp,honeycomb,xray"] + urls, capture_output=True, text=True, env=env,
                         timeout=30)
    t.eq("%s: --check-config exits 0" % name, chk.returncode, 0)
    leaked = [l.strip() for l in (chk.stdout + chk.stderr).splitlines() if "PASSWORD" in l]
    t.eq("%s: --check-config shows no password" % name, leaked, [])
    t.check("%s: --check-config still shows the endpoints" % name,
            "****@127.0.0.1:%d" % dead in chk.stdout, "****@127.0.0.1:%d" % dead, chk.stdout[-300:])
    argv = [str(lib.PYSPAN), "--pid", str(gu.pid), "--export", "stdout,otlp,honeycomb,xray",
            "--flush-deadline", "1", "-v"] + urls
    ps = Pyspan(work, "pyspan-userinfo", argv, env=env)
    try:
        if not t.check("%s: attaches" % name, attached(ps), "attached", lib.tail(ps.stderr_path)):
            return
        send_requests(port, 3)
        time.sleep(1.5)
        ps.stop(signal.SIGINT, 10)
        err = ps.stderr_text()
        t.check("%s: pyspan said something about the endpoints" % name, "127.0.0.1:%d" % dead
                in err, "lines naming 127.0.0.1:%d" % dead, lib.tail(ps.stderr_path, 5))
        leaked = [l for l in err.splitlines() if "PASSWORD" in l]
        t.eq("%s: no password on stderr (log lines, -v, the stop summary)" % name, leaked[:3], [])
    finally:
        ps.stop(signal.SIGKILL, 5)


def scenario_trust(t, work, port, gu):
    """A config file anyone could write, and --record names an attacker can steer."""
    nobody = pwd.getpwnam("nobody")
    secret = work / "root-only"
    secret.write_text("root's own data\n")
    os.chmod(secret, 0o600)
    before = secret.read_bytes()

    def run(argv, timeout=30):
        p = subprocess.run([str(lib.PYSPAN)] + argv, capture_output=True, text=True,
                           timeout=timeout, cwd=str(lib.REPO))
        return p.returncode, p.stderr

    # A mode-0666 file owned by nobody whose "record" key names the root-only file.
    cfg = work / "nobody.json"
    cfg.write_text(json.dumps({"pids": [gu.pid], "record": str(secret)}))
    os.chown(cfg, nobody.pw_uid, nobody.pw_gid)
    os.chmod(cfg, 0o666)
    p = Pyspan(work, "pyspan-trust-cfg", [str(lib.PYSPAN), "--config", str(cfg)])
    rc = p.wait(10)
    if rc is None:
        p.stop(signal.SIGINT, 5)
    lines = [l for l in p.stderr_text().splitlines() if str(cfg) in l]
    t.eq("config 0666 of nobody: refused with exit 2", rc, 2)
    t.check("config 0666 of nobody: one line naming the file and its mode",
            len(lines) == 1 and "0666" in lines[0], "one line with %s and 0666" % cfg, lines)
    t.eq("config 0666 of nobody: the root-only file is untouched", secret.read_bytes(), before)
    # The same file, but in a directory anyone can write (no sticky bit).
    wdir = shared_dir(work, "open-dir")
    cfg2 = wdir / "c.json"
    cfg2.write_text(json.dumps({"pids": [gu.pid]}))
    os.chmod(cfg2, 0o644)
    rc, err = run(["--check-config", str(cfg2)])
    t.check("config in a world-writable directory: refused naming it",
            rc == 2 and str(wdir) in err and "0777" in err, "exit 2 naming %s, 0777" % wdir,
            "rc %s: %s" % (rc, err.strip()))
    # The same directory mounted read-only (as Kubernetes mounts a ConfigMap): nobody can
    # write it, whatever its mode.
    p = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind '%s' '%s' && mount -o "
                        "remount,bind,ro '%s' && exec '%s' --check-config '%s'"
                        % (wdir, wdir, wdir, lib.PYSPAN, cfg2)], capture_output=True, text=True,
                       timeout=30)
    t.eq("config in a world-writable directory on a read-only mount: accepted", p.returncode, 0)
    os.chmod(wdir, 0o755)
    rc, err = run(["--check-config", str(cfg2)])
    t.eq("config root's, 0644, in a 0755 directory: accepted", rc, 0)

    # --record into a sticky directory of nobody's, where nobody left a symlink.
    sticky = work / "sticky"
    sticky.mkdir()
    os.chown(sticky, nobody.pw_uid, nobody.pw_gid)
    os.chmod(sticky, 0o1777)
    link = sticky / "rec.bin"
    subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "ln",
                    "-s", str(secret), str(link)], check=True)
    theirs = sticky / "theirs.bin"
    subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh",
                    "-c", "echo nobody-data > %s" % theirs], check=True)
    for target, what in ((link, "a symlink nobody placed"), (theirs, "nobody's file")):
        before_t = theirs.read_bytes()
        p = Pyspan(work, "pyspan-record", [str(lib.PYSPAN), "--pid", str(gu.pid), "--record",
                                           str(target)])
        rc = p.wait(20)
        if rc is None:
            p.stop(signal.SIGINT, 5)
        err = p.stderr_text()
        t.check("--record %s: refused" % what, rc == 1 and "cannot write the recording" in err,
                "exit 1, 'cannot write the recording'", "rc %s: %s" % (rc, lib.tail(p.stderr_path, 2)))
        t.eq("--record %s: the root-only file is untouched" % what, secret.read_bytes(), before)
        t.eq("--record %s: nobody's file is untouched" % what, theirs.read_bytes(), before_t)
    # A new file there is created, pyspan's own, mode 0600.
    mine = sticky / "mine.bin"
    p = Pyspan(work, "pyspan-record-new", [str(lib.PYSPAN), "--pid", str(gu.pid), "--record",
                                           str(mine)])
    ok = attached(p)
    p.stop(signal.SIGINT, 10)
    st = os.stat(mine) if mine.exists() else None
    t.check("--record a new name: written, 0600, root's", ok and st is not None and st.st_uid == 0
            and (st.st_mode & 0o777) == 0o600, "created 0600 by root",
            st and (oct(st.st_mode), st.st_uid))


class CatchAll(Receiver):
    """Answers every POST with 200 and keeps each decoded body, whatever the backend."""

    def __init__(self):
        self.bodies = []
        super().__init__()

    def handle(self, h, path, headers, body):
        raw, _ = self.decode(headers, body, 64 << 20)
        self.bodies.append((path, raw or body))
        return 200, {}, {}


TOKEN = "Zx9QmT3vK8pLw2RbN7cYf4HdJ6sAe1Gu5oViXqE0"


def scenario_pathtokens(t, work, port, gu):
    """A reset token in the path: {token} in the route and name, REDACTED in every copy."""
    name = "path tokens"
    rx = CatchAll()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.2)
    env = dict(os.environ, HONEYCOMB_API_KEY="hcaik_01hardeningtestkey0123456789abcdefghijklmnopqrstuv",
               AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:%d" % udp.getsockname()[1],
               AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY="y" * 40,
               AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    argv = [str(lib.PYSPAN), "--pid", str(gu.pid), "--flush-deadline", "3", "--export",
            "stdout,xray,honeycomb,otlp,cloudwatch", "--honeycomb-endpoint", rx.url,
            "--otlp-endpoint", rx.url + "/", "--cloudwatch-endpoint", rx.url, "--log-group",
            "hardening"]
    for keep in (False, True):
        what = "%s%s" % (name, " with --keep-path-tokens" if keep else "")
        rx.bodies.clear()
        ps = Pyspan(work, "pyspan-tokens%s" % ("-keep" if keep else ""),
                    argv + (["--keep-path-tokens"] if keep else []), env=env)
        datagrams = []
        try:
            if not t.check("%s: attaches" % what, attached(ps), "attached",
                           lib.tail(ps.stderr_path)):
                continue
            send_requests(port, 1, "/reset/%s?next=/home" % TOKEN)
            wait_spans(ps, port, 1)
            ps.stop(signal.SIGINT, 15)
            while True:
                try:
                    datagrams.append(udp.recv(65536))
                except OSError:
                    break
            spans = [x for x in served_spans(ps, port) if x.get("url.path", "").startswith("/reset")]
            t.eq("%s: one span" % what, len(spans), 1)
            if not spans:
                continue
            sp = spans[0]
            t.eq("%s: http.route" % what, sp.get("http.route"), "/reset/{token}")
            t.eq("%s: span name" % what, sp.get("name"), "GET /reset/{token}")
            t.eq("%s: url.path" % what, sp.get("url.path"),
                 "/reset/" + TOKEN if keep else "/reset/REDACTED")
            copies = [("xray", d) for d in datagrams] + [(p, b) for p, b in rx.bodies]
            t.note("%s: %d exporter payloads (%s)" % (what, len(copies),
                                                      ", ".join(sorted({w for w, _ in copies}))))
            t.check("%s: xray, honeycomb, otlp and cloudwatch sent something" % what,
                    len(datagrams) > 0 and len(rx.bodies) >= 3, "UDP and >= 3 HTTP bodies",
                    "%d datagrams, %d bodies" % (len(datagrams), len(rx.bodies)))
            with_token = [w for w, b in copies if TOKEN.encode() in b]
            if keep:
                t.check("%s: the exporters keep it" % what, len(with_token) > 0,
                        "the token in some payload", with_token)
            else:
                t.eq("%s: no exporter payload holds the token" % what, with_token, [])
        finally:
            ps.stop(signal.SIGKILL, 5)
    rx.stop()
    udp.close()


def scenario_metrics(t, work, port, gu):
    """1,000 idle connections to --metrics-port; a scrape still answers within 1 s."""
    name = "metrics under 1,000 idle connections"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))
    mport = lib.free_port()
    ps = start_pyspan(work, "pyspan-metrics", [gu.pid], ["--metrics-port", str(mport)])
    idle = []
    try:
        if not t.check("%s: attaches" % name, attached(ps), "attached", lib.tail(ps.stderr_path)):
            return
        for _ in range(1000):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setblocking(False)
            try:
                c.connect(("127.0.0.1", mport))
            except BlockingIOError:
                pass
            idle.append(c)
        time.sleep(0.5)
        times = []
        for _ in range(3):
            t0 = time.monotonic()
            try:
                h = http.client.HTTPConnection("127.0.0.1", mport, timeout=1.0)
                h.request("GET", "/metrics")
                r = h.getresponse()
                body = r.read()
                ok = r.status == 200 and b"pyspan_events_total" in body
                h.close()
            except OSError as e:
                ok = False
                t.note("%s: scrape failed: %s" % (name, e))
            times.append((ok, time.monotonic() - t0))
            time.sleep(0.3)
        t.note("%s: scrapes took %s" % (name, ", ".join("%.3f s" % d for _, d in times)))
        t.check("%s: every scrape answered 200 within 1 s" % name,
                all(ok and d < 1.0 for ok, d in times), "3 of 3 within 1 s", times)
    finally:
        for c in idle:
            c.close()
        ps.stop(signal.SIGINT, 10)


def scenario_fuzzclone(t, work):
    """make's fuzz targets build in a fresh clone (no build/ yet, so no version.h)."""
    name = "fuzz build in a fresh clone"
    if not (shutil.which("git") and shutil.which("clang")) or not (lib.REPO / ".git").exists():
        t.skip("%s: needs git, clang and a git checkout" % name)
        return
    clone = work / "clone"
    p = subprocess.run(["git", "clone", "-q", str(lib.REPO), str(clone)], capture_output=True,
                       text=True, timeout=120)
    if not t.eq("%s: git clone" % name, p.returncode, 0):
        return
    t0 = time.monotonic()
    p = subprocess.run(["make", "-j2", "build/fuzz/fuzz_config"], cwd=str(clone),
                       capture_output=True, text=True, timeout=900)
    t.note("%s: built in %.0f s (the clone is of the last commit)" % (name, time.monotonic() - t0))
    t.check("%s: make build/fuzz/fuzz_config" % name, p.returncode == 0, "exit 0",
            "exit %d: %s" % (p.returncode, p.stderr[-400:]))
    shutil.rmtree(clone, ignore_errors=True)


def scenario_fifo(t, work, port, gu):
    scenario_trap(t, work, port, gu, "fifo", limited=False)
    scenario_trap(t, work, port, gu, "fifo", limited=True)


def scenario_symlink(t, work, port, gu):
    scenario_trap(t, work, port, gu, "symlink", limited=False)
    scenario_trap(t, work, port, gu, "symlink", limited=True)


SCENARIOS = {"fifo": scenario_fifo, "symlink": scenario_symlink, "many": scenario_many,
             "stop": scenario_stop, "http99": scenario_http99, "userinfo": scenario_userinfo,
             "trust": scenario_trust, "tokens": scenario_pathtokens,
             "metrics": scenario_metrics,
             "fuzzclone": lambda t, work, port, gu: scenario_fuzzclone(t, work)}


def main():
    t = lib.Tally("hardening")
    lib.exit_on_sigterm()
    lib.require_bpf(t)
    wanted = [a for a in sys.argv[1:] if not a.startswith("-")] or list(SCENARIOS)
    unknown = [w for w in wanted if w not in SCENARIOS]
    if unknown:
        print("unknown scenario %s; there are: %s" % (", ".join(unknown), ", ".join(SCENARIOS)))
        sys.exit(2)
    if not (shutil.which("setpriv") and shutil.which("unshare") and shutil.which("capsh")):
        t.skip("setpriv, unshare or capsh is missing")
        t.finish()
    if not userns_works():
        t.skip("unprivileged user namespaces are not allowed here "
               "(kernel.unprivileged_userns_clone or user.max_user_namespaces)")
        t.finish()
    with tempfile.TemporaryDirectory(prefix="pyspan-hardening-") as d:
        work = Path(d)
        os.chmod(work, 0o755)
        port = lib.free_port()
        gu = None
        try:
            gu, _ = lib.serving_gunicorn(port, work)
            for s in wanted:
                SCENARIOS[s](t, work, port, gu)
        except lib.SetupError as e:
            t.fail("setup", "gunicorn serves", str(e))
        finally:
            if gu is not None:
                gu.stop(signal.SIGTERM, 10)
    t.finish()


if __name__ == "__main__":
    main()
