#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Turn the line-table fixtures into fuzz seeds: firstlineno and lasti as int32 LE, the table."""
import struct
import sys

out = sys.argv[1]
for path in sys.argv[2:]:
    first, table, offsets = 0, b"", []
    for line in open(path):
        words = line.split()
        if words[:1] == ["firstlineno"]:
            first = int(words[1])
        elif words[:1] == ["linetable"]:
            table = bytes.fromhex(words[1])
        elif words[:1] == ["at"]:
            offsets.append(int(words[1]))
    name = path.rsplit("/", 1)[-1].removesuffix(".txt")
    for lasti in offsets[:: max(1, len(offsets) // 4)]:
        with open(f"{out}/{name}-{lasti}", "wb") as f:
            f.write(struct.pack("<ii", first, lasti) + table)
