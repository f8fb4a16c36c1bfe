# SPDX-License-Identifier: BSD-2-Clause
"""Writes the recorded connections in tests/unit/fixtures/{pgwire,resp}/ as seed inputs for
fuzz_pgwire and fuzz_resp (format in tests/fuzz/wire_fuzz.h) into tests/fuzz/seeds/.

Usage: python3 tests/fuzz/wire_seeds.py
"""
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def convert(kind):
    src = os.path.join(ROOT, "tests/unit/fixtures", kind)
    dst = os.path.join(ROOT, "tests/fuzz/seeds", kind)
    os.makedirs(dst, exist_ok=True)
    for name in sorted(os.listdir(src)):
        out = bytearray([3])  # pieces of 4 bytes in the second run
        for line in open(os.path.join(src, name)):
            if line.startswith("#") or not line.strip():
                continue
            mark, hexdata = line.split()
            data = bytes.fromhex(hexdata)
            # Records hold at most 64 KiB: longer chunks become several.
            for i in range(0, max(len(data), 1), 0xFFFF):
                part = data[i:i + 0xFFFF]
                out += struct.pack("<BH", 1 if mark == "<" else 0, len(part)) + part
        with open(os.path.join(dst, name.replace(".txt", ".bin")), "wb") as f:
            f.write(out)


for kind in ("pgwire", "resp"):
    convert(kind)
