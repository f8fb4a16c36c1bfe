# SPDX-License-Identifier: BSD-2-Clause
"""pyspan --config and --check-config: good and bad files, masking, and one real run.

The real run (root, BTF) gives pyspan only --config: the pid and service.name come from the
file. `-v` prints passing checks too.

/usr/bin/python3 tests/e2e/test_config.py [-v]
"""
import json
import subprocess
import os
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib  # noqa: E402
from test_cli import run  # noqa: E402

GOOD = {"pids": [4242], "service_name": "cruddur-backend", "service_version": "1.4.2",
        "capture_bytes": 4096, "ringbuf_mb": 32, "export": ["stdout", "xray"],
        "sampling": "default", "sampling_keep_errors": True, "flush_deadline": 5,
        "export_queue_mb": 16,
        "xray": {"mode": "api", "endpoint": "http://127.0.0.1:4000",
                 "daemon_address": "127.0.0.1:2000"},
        "cloudwatch": {"emf_interval": 60, "emf_namespace": "pyspan"}, "log_files": [],
        "honeycomb": {}, "otlp": {"compression": "none"},
        "rollbar_environment": "staging", "rollbar_endpoint": "http://127.0.0.1:4001/api/1/",
        "rollbar_dedup_window": 30, "redis_redact_keys": False, "keep_path_tokens": True,
        "verbose": False, "sampling_keep_slower_than": 0, "redact_headers": [],
        "query_allow": [], "redact_patterns": [], "stats": 0, "metrics_port": 0,
        "metrics_address": "127.0.0.1"}

# (what, file content, the stderr line after "pyspan: config PATH: ")
BAD = [
    ("unknown key", '{"sampling_rate": 0.5}', 'unknown key "sampling_rate"'),
    ("unknown nested key", '{"xray": {"mood": "api"}}', 'unknown key "xray.mood"'),
    ("wrong type", '{"capture_bytes": "4096"}',
     '"capture_bytes" must be a whole number, not a string'),
    ("impossible value", '{"ringbuf_mb": 3}', '"ringbuf_mb" must be a power of two, not 3'),
    ("not an object", '[1, 2]', "must hold one JSON object, not an array"),
    ("invalid JSON", '{\n  "pids": [1,\n}', "invalid JSON at line 3, column 1"),
]


def check_bad(t, tmp, what, text, msg):
    path = Path(tmp) / "bad.json"
    path.write_text(text)
    rc, out, err = run(["--check-config", str(path)])
    t.eq("%s: exit code" % what, rc, 2)
    t.eq("%s: the one stderr line" % what, err, ["pyspan: config %s: %s" % (path, msg)])
    t.eq("%s: nothing on stdout" % what, out, "")


def check_good(t, tmp):
    path = Path(tmp) / "good.json"
    path.write_text(json.dumps(GOOD))
    rc, out, err = run(["--check-config", str(path)])
    t.eq("good file: exit code", rc, 0)
    t.eq("good file: nothing on stderr", err, [])
    try:
        got = json.loads(out)
    except ValueError:
        got = None
    # exit_when_gone is printed resolved: true, since the file follows pids only.
    t.eq("good file: prints the file's settings back", got, dict(GOOD, exit_when_gone=True))

    # Flags outrank the file; --check-config does not need the pid to exist.
    rc, out, err = run(["--check-config", str(path), "--pid", "999999999", "--sampling", "all"])
    got = json.loads(out) if rc == 0 else {}
    t.eq("flags given with --check-config: exit code", rc, 0)
    t.eq("flags given with --check-config: pids", got.get("pids"), [999999999])
    t.eq("flags given with --check-config: sampling", got.get("sampling"), "all")

    # The environment outranks the file and is what the printout shows.
    env = dict(os.environ, OTEL_SERVICE_NAME="from-env", AWS_SECRET_ACCESS_KEY="hunter2secret",
               AWS_SESSION_TOKEN="hunter2token")
    p = subprocess.run([str(lib.PYSPAN), "--check-config", str(path)], env=env,
                       capture_output=True, text=True, timeout=10)
    t.eq("OTEL_SERVICE_NAME over the file: exit code", p.returncode, 0)
    t.eq("OTEL_SERVICE_NAME over the file: service_name",
         json.loads(p.stdout or "{}").get("service_name"), "from-env")
    t.check("credentials in the environment never print", "hunter2" not in p.stdout + p.stderr,
            "no 'hunter2' in the output", p.stdout[:300])

    rc, out, err = run(["--check-config", str(Path(tmp) / "missing.json")])
    t.eq("unreadable file: exit code", rc, 2)
    t.eq("unreadable file: the one stderr line", err,
         ["pyspan: config %s: No such file or directory" % (Path(tmp) / "missing.json")])
    big = Path(tmp) / "big.json"
    big.write_text("{" + " " * (1024 * 1024) + "}")
    rc, out, err = run(["--check-config", str(big)])
    t.eq("file over 1 MiB: exit code", rc, 2)
    t.eq("file over 1 MiB: the one stderr line", err, ["pyspan: config %s: larger than 1 MiB" % big])


def find_key(obj, key):
    """The value of key anywhere in a span (attributes may nest), or None."""
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            got = find_key(v, key)
            if got is not None:
                return got
    return None


def real_run(t, tmp):
    port = lib.free_port()
    gu = ps = None
    try:
        gu, _ = lib.serving_gunicorn(port, tmp)
        path = Path(tmp) / "run.json"
        path.write_text(json.dumps({"pids": [gu.pid], "service_name": "from-config-file"}))
        ps = lib.Pyspan([], tmp, extra=["--config", str(path)])
        ps.wait_attached(30)
        lib.send_one(port, lib.Req("GET", "/api/activities/home"))
        ps.wait_lines(1, timeout=10)
        rc = ps.interrupt()
        spans, bad = ps.spans()
        t.eq("--config run: exit code", rc, 0)
        t.check("--config run: at least one span", len(spans) >= 1, ">= 1 span",
                "%d spans, stderr:\n%s" % (len(spans), lib.tail(ps.stderr_path)))
        t.eq("--config run: service.name is the file's",
             [find_key(s, "service.name") for s in spans][:1], ["from-config-file"])
    except lib.SetupError as e:
        t.fail("--config run: setup", "processes start and pyspan attaches", str(e))
    finally:
        if ps is not None:
            ps.stop(signal.SIGINT, 10)
        if gu is not None:
            gu.stop(signal.SIGTERM, 10)


def main():
    lib.exit_on_sigterm()
    t = lib.Tally("test_config")
    if not os.access(lib.PYSPAN, os.X_OK):
        t.fail("pyspan binary", "an executable %s (make pyspan)" % lib.PYSPAN, "missing")
        t.finish()
    # The environment outranks the file: keep the caller's out of every run here.
    for name in ("OTEL_SERVICE_NAME", "PYSPAN_CONFIG", "AWS_XRAY_DAEMON_ADDRESS",
                 "AWS_ENDPOINT_URL_XRAY", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    with tempfile.TemporaryDirectory(prefix="pyspan-e2e-config-") as tmp:
        check_good(t, tmp)
        for what, text, msg in BAD:
            check_bad(t, tmp, what, text, msg)
        if os.geteuid() != 0 or not lib.BTF.exists():
            t.skip("--config run: needs root and BTF")
        else:
            real_run(t, tmp)
    t.finish()


if __name__ == "__main__":
    main()
