# SPDX-License-Identifier: BSD-2-Clause
"""The container image: build deploy/Dockerfile with podman and trace a service with it.

Steps:
  1. The two base images. DEBIAN_BASE / DEBIAN_SLIM_BASE name them when set; else
     docker.io/library/debian:12 and :12-slim are pulled; a machine that cannot reach a registry
     gets one Debian 12 image made with `debootstrap --variant=minbase bookworm` (kept in
     /var/cache/pyspan-image, then `podman import`), used for both stages.
  2. `podman build --isolation=chroot` of deploy/Dockerfile from the repository: RUN steps run
     in a chroot, not under the OCI runtime, which cannot start containers on hosts with
     cgroup v1 controllers beside a v2 hierarchy that has some (crun refuses them).
  3. The runtime image holds pyspan and its libraries, no compiler, and says its version.
  4. `podman run --pid=host` with exactly CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE and
     CAP_DAC_READ_SEARCH (and seccomp=unconfined: podman's default profile allows bpf(2) only
     with CAP_SYS_ADMIN), tracefs, BTF and cgroups mounted, started with --comm before the
     service: the service, started later on the host, is traced and its exception is read
     from the interpreter, with host pids. runc is used when installed (crun cannot run on the
     hybrid hosts above); the ulimits are lowered because a root without CAP_SYS_RESOURCE
     cannot give a container podman's default ones.

Slow the first time (debootstrap, the build stage's packages): `make image-test` runs it, not
`make test`. Needs root and podman; without them it is skipped.

/usr/bin/python3 tests/image/test_image.py [-v]
"""
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
import lib  # noqa: E402

REPO = lib.REPO
CACHE = Path("/var/cache/pyspan-image")
LOCAL_BASE = "localhost/pyspan-base:bookworm"
IMAGE = "localhost/pyspan:test"
APP = REPO / "tests" / "e2e" / "apps" / "wsgi_errors.py"
CAPS = ["BPF", "PERFMON", "SYS_PTRACE", "DAC_READ_SEARCH"]


def sh(argv, timeout=600, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)


def image_exists(name):
    return sh(["podman", "image", "exists", name]).returncode == 0


def bases(t):
    """(build stage base, runtime base), or None after saying why."""
    env = os.environ.get("DEBIAN_BASE"), os.environ.get("DEBIAN_SLIM_BASE")
    if env[0]:
        return env[0], env[1] or env[0]
    full, slim = "docker.io/library/debian:12", "docker.io/library/debian:12-slim"
    if image_exists(full) and image_exists(slim):
        return full, slim
    try:
        if (sh(["podman", "pull", "-q", full], 120).returncode == 0
                and sh(["podman", "pull", "-q", slim], 120).returncode == 0):
            return full, slim
    except subprocess.TimeoutExpired:
        pass
    t.note("no registry: the base is Debian 12 from debootstrap")
    if image_exists(LOCAL_BASE):
        return LOCAL_BASE, LOCAL_BASE
    if not shutil.which("debootstrap"):
        t.skip("no Debian 12 base image: no registry and no debootstrap")
        return None
    rootfs = CACHE / "rootfs"
    if not (rootfs / "etc" / "debian_version").exists():
        shutil.rmtree(rootfs, ignore_errors=True)
        CACHE.mkdir(parents=True, exist_ok=True)
        r = sh(["debootstrap", "--variant=minbase", "bookworm", str(rootfs),
                "http://deb.debian.org/debian"], 1500)
        if not t.check("debootstrap bookworm", r.returncode == 0, "exit 0",
                       r.stderr[-2000:] or r.stdout[-2000:]):
            return None
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    r = subprocess.run(["podman", "import", "-", LOCAL_BASE], stdin=tar.stdout,
                       capture_output=True, text=True, timeout=600)
    tar.wait()
    if not t.check("podman import of the debootstrap rootfs", r.returncode == 0, "exit 0",
                   r.stderr[-2000:]):
        return None
    return LOCAL_BASE, LOCAL_BASE


def run_argv(extra):
    """podman run with what this host needs to start a container at all."""
    argv = ["podman", "run", "--rm"]
    if shutil.which("runc"):
        argv += ["--runtime", "runc"]
    return argv + ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"] + extra


def main():
    t = lib.Tally("image")
    lib.exit_on_sigterm()
    if os.geteuid() != 0:
        t.skip("needs root for podman's system storage (uid %d)" % os.geteuid())
        t.finish()
    if not shutil.which("podman"):
        t.skip("podman is not installed (make image-test installs it)")
        t.finish()
    b = bases(t)
    if b is None:
        t.finish()
    started = time.monotonic()
    r = sh(["podman", "build", "--isolation=chroot", "--network=host",
            "--build-arg", "BASE=" + b[0], "--build-arg", "RUNTIME_BASE=" + b[1],
            "-t", IMAGE, "-f", "deploy/Dockerfile", "."], 1800, cwd=str(REPO))
    if not t.check("podman build deploy/Dockerfile", r.returncode == 0, "exit 0",
                   (r.stdout + r.stderr)[-3000:]):
        t.finish()
    t.note("built in %.0f s" % (time.monotonic() - started))

    version = (REPO / "VERSION").read_text().strip()
    r = sh(run_argv([IMAGE, "--version"]))
    if not t.eq("pyspan --version in the image", r.stdout.strip(), "pyspan " + version):
        t.note(r.stderr[-1000:])
        t.finish()
    r = sh(run_argv(["--entrypoint", "/bin/sh", IMAGE, "-c",
                     "for c in gcc cc clang make bpftool; do command -v $c; done; "
                     "ldd /usr/sbin/pyspan | grep -c 'not found'; "
                     "dpkg-query -W -f='${Package}\\n' libbpf1 libcjson1 libcurl4 libbpf-dev "
                     "2>/dev/null; test -f /usr/share/man/man8/pyspan.8 && echo man"]))
    t.eq("runtime image: no compiler, every library found, runtime packages only, the man page",
         r.stdout.split(), ["0", "libbpf1", "libcjson1", "libcurl4", "man"])

    with tempfile.TemporaryDirectory(prefix="pyspan-image-") as d:
        work = Path(d)
        python = work / "pyimg-app"
        shutil.copy(os.path.realpath(lib.PYTHON), python)
        caps = []
        for c in CAPS:
            caps += ["--cap-add", c]
        ps = lib.Proc("pyspan-container", run_argv(
            ["--pid=host", "--network=host", "--security-opt", "seccomp=unconfined",
             "--cap-drop=ALL"] + caps +
            ["-v", "/sys/kernel/tracing:/sys/kernel/tracing",
             "-v", "/sys/kernel/btf:/sys/kernel/btf:ro",
             "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro",
             IMAGE, "--comm", "pyimg-app"]), work)
        app = None
        try:
            deadline = time.monotonic() + 60
            while (time.monotonic() < deadline and ps.alive()
                   and "waiting for one to start" not in ps.stderr_text()):
                time.sleep(0.1)
            if not t.check("container: pyspan waits for the service", ps.alive(), "running",
                           lib.tail(ps.stderr_path)):
                t.finish()
            port = lib.free_port()
            app = lib.Proc("app", [str(python), str(APP), "--port", str(port)], work)
            lib.wait_port(port, app)
            deadline = time.monotonic() + 10
            while (time.monotonic() < deadline
                   and "following pid %d" % app.pid not in ps.stderr_text()):
                time.sleep(0.05)
            t.check("container: the service is followed by its host pid",
                    "following pid %d" % app.pid in ps.stderr_text(), "a following line",
                    lib.tail(ps.stderr_path))
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/err/builtin")
            t.eq("request answered", c.getresponse().status, 500)
            c.close()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not ps.stdout_text().strip():
                time.sleep(0.1)
            spans = [s for s in lib.Pyspan.spans(ps)[0] if s.get("server.port") == port]
            t.eq("container: one span", len(spans), 1)
            if spans:
                t.eq("container: span of the host pid", spans[0].get("process.pid"), app.pid)
                t.eq("container: exception.type", spans[0].get("exception.type"), "ValueError")
                t.eq("container: exception read from the interpreter",
                     spans[0].get("pyspan.exception_source"), "interpreter")
            ps.send_signal(2)
            t.eq("container: exit code after SIGINT", ps.wait(30), 0)
        except lib.SetupError as e:
            t.fail("setup", "the service starts", str(e))
        finally:
            if app:
                app.stop()
            ps.stop()
    t.finish()


if __name__ == "__main__":
    main()
