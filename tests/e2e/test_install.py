# SPDX-License-Identifier: BSD-2-Clause
"""make install, the manual page and --version.

  - `make install DESTDIR=D PREFIX=/usr` puts pyspan in D/usr/sbin and the page in
    D/usr/share/man/man8, and the installed binary runs;
  - the page renders without warnings, and names every long flag (pyspan's own in
    user/config/cli.c, each backend's in the table of user/export/*/NAME_config.c), every config
    key (user/config/config_file.c and the backends' tables, "section.key" for a backend with a
    section) and every environment variable pyspan reads; --help names every flag too;
  - every backend of the registry (user/export/backends.c) has its descriptor;
  - --version is "pyspan " + the VERSION file (and git describe in a checkout).

Needs make and man (man-db); a missing one is a skip. No root needed.

/usr/bin/python3 tests/e2e/test_install.py [-v]
"""
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lib  # noqa: E402

REPO = lib.REPO


def main():
    t = lib.Tally("install")
    if not lib.PYSPAN.exists():
        t.fail("pyspan binary", "make pyspan", "missing")
        t.finish()
    version = (REPO / "VERSION").read_text().strip()
    out = subprocess.run([str(lib.PYSPAN), "--version"], capture_output=True, text=True)
    t.check("--version starts with the VERSION file",
            re.fullmatch(r"pyspan %s( \(git [0-9a-z.-]+\))?" % re.escape(version),
                         out.stdout.strip()), "pyspan %s [(git ...)]" % version, out.stdout)

    cli = (REPO / "user" / "config" / "cli.c").read_text()
    flags = re.findall(r'\{ "([a-z-]+)", (?:no|required)_argument', cli)
    conf = (REPO / "user" / "config" / "config_file.c").read_text()
    keys = re.findall(r'\{ "([a-z_.]+)", OPTION_', conf)
    registry = (REPO / "user" / "export" / "backends.c").read_text()
    listed = re.findall(r'^\s*X\((\w+_backend)\)', registry, re.M)
    defined = {}
    envs = set()
    for f in (REPO / "user").rglob("*.c"):
        text = f.read_text()
        envs |= set(re.findall(r'(?:getenv|env_value)\("([A-Z_0-9]+)"\)', text))
        for table in re.findall(r'\.env = \{([^}]*)\}', text):
            envs |= set(re.findall(r'"([A-Z_0-9]+)"', table))
        for name in re.findall(r'^const struct backend (\w+_backend) = \{', text, re.M):
            defined[name] = text
    t.check("backends found in the registry", len(listed) >= 6, ">= 6", listed)
    t.eq("registry: backends without a descriptor", [b for b in listed if b not in defined], [])
    for b in listed:
        text = defined.get(b, "")
        section = re.search(r'\.section = "([a-z_]+)"', text)
        flags += re.findall(r'\.flag = "([a-z-]+)"', text)
        keys += [(section.group(1) + "." if section else "") + k
                 for k in re.findall(r'\.key = "([a-z_]+)"', text)]
    page = (REPO / "man" / "pyspan.8").read_text().replace("\\-", "-")
    help_ = subprocess.run([str(lib.PYSPAN), "--help"], capture_output=True, text=True).stdout
    t.check("flags found", len(flags) > 40, "> 40", flags)
    t.check("config keys found", len(keys) > 40, "> 40", keys)
    t.check("environment variables found", len(envs) >= 18, ">= 18", sorted(envs))
    t.eq("man page: flags it lacks", [f for f in flags if "--" + f not in page], [])
    t.eq("--help: flags it lacks", [f for f in flags if "--" + f not in help_], [])
    t.eq("man page: config keys it lacks", [k for k in keys if k not in page], [])
    t.eq("man page: environment variables it lacks", sorted(e for e in envs if e not in page),
         [])

    if shutil.which("man"):
        r = subprocess.run(["man", "--warnings", "-l", str(REPO / "man" / "pyspan.8")],
                           capture_output=True, text=True, env={"MANWIDTH": "80",
                                                                "PATH": "/usr/bin:/bin"})
        t.eq("man page renders without warnings", r.stderr.strip(), "")
        t.check("man page has its sections", all(s in r.stdout for s in (
            "SYNOPSIS", "WHAT TO TRACE", "CAPABILITIES", "ENVIRONMENT", "EXIT STATUS")),
            "the sections", r.stdout[:500])
    else:
        t.skip("man (man-db) is not installed: the page was not rendered")

    if not shutil.which("make"):
        t.skip("make is not installed")
        t.finish()
    with tempfile.TemporaryDirectory(prefix="pyspan-install-") as d:
        r = subprocess.run(["make", "-s", "-C", str(REPO), "install", "DESTDIR=" + d,
                            "PREFIX=/usr"], capture_output=True, text=True)
        t.eq("make install: exit code", r.returncode, 0)
        binary = Path(d) / "usr" / "sbin" / "pyspan"
        t.eq("installed files",
             sorted(str(p.relative_to(d)) for p in Path(d).rglob("*") if p.is_file()),
             ["usr/sbin/pyspan", "usr/share/man/man8/pyspan.8"])
        if binary.exists():
            out = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
            t.eq("installed binary runs", out.stdout.split()[:2], ["pyspan", version])
    t.finish()


if __name__ == "__main__":
    main()
