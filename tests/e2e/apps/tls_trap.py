# SPDX-License-Identifier: BSD-2-Clause
"""A hostile traced process for test_hardening: maps libssl copies, then swaps what their names
hold for things that would block or mislead whoever opens them by name.

Run as an unprivileged user inside `unshare -Urm` (a user and mount namespace of its own):
    tls_trap.py MODE DIR [HOSTDIR] [COUNT]
MODE fifo:    map DIR/libssl.so.3, then on SIGUSR1 mount a tmpfs over DIR and put a FIFO of
              the same name there.
MODE symlink: the same, but the name becomes an absolute symlink to HOSTDIR/fifo, a FIFO the
              host has and this namespace hides (a tmpfs over HOSTDIR).
MODE many:    map COUNT copies DIR/libssl-N.so.3 and keep them.
Prints "mapped" once the copies are mapped and "armed" once the trap is set.
"""
import mmap
import os
import shutil
import signal
import subprocess
import sys
import time

LIBSSL = "/usr/lib/x86_64-linux-gnu/libssl.so.3"


def mount_tmpfs(path):
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m", "none", path], check=True)


def map_copy(path):
    shutil.copyfile(LIBSSL, path)
    with open(path, "rb") as f:
        return mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)


def main():
    mode, d = sys.argv[1], sys.argv[2]
    hostdir = sys.argv[3] if len(sys.argv) > 3 else None
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 48
    armed = []
    signal.signal(signal.SIGUSR1, lambda s, f: armed.append(1))
    mount_tmpfs(d)
    if mode == "many":
        maps = [map_copy(os.path.join(d, "libssl-%02d.so.3" % i)) for i in range(count)]
    else:
        maps = [map_copy(os.path.join(d, "libssl.so.3"))]
    print("mapped %d" % len(maps), flush=True)
    if mode != "many":
        while not armed:
            time.sleep(0.05)
        mount_tmpfs(d)
        name = os.path.join(d, "libssl.so.3")
        if mode == "fifo":
            os.mkfifo(name)
        else:
            mount_tmpfs(hostdir)
            os.symlink(os.path.join(hostdir, "fifo"), name)
        print("armed", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
