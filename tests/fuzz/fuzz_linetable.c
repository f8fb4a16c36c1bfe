// SPDX-License-Identifier: BSD-2-Clause
/* Fuzz the 3.11+ location table decoder (co_linetable) with any bytes and offsets. */
// fuzz-corpus: build/fuzz/seeds/linetable
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "python/pyexc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int32_t first, lasti;

	/* 8 bytes of first line and offset, then the table. */
	if (size < 8)
		return 0;
	memcpy(&first, data, 4);
	memcpy(&lasti, data + 4, 4);
	pyexc_line_from_locations(data + 8, size - 8, first, lasti);
	pyexc_line_from_locations(data + 8, size - 8, first & 0xffff, lasti & 0xfffe);
	return 0;
}
