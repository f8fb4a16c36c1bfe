// SPDX-License-Identifier: BSD-2-Clause
/* Fuzz the traceback text parser with stderr-like text, whole and as a growing buffer. */
// fuzz-corpus: tests/unit/fixtures/tracebacks
// fuzz-flags: -max_len=8192
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pytraceback.h"

static struct pytb_report rep;

static void check(const struct pytb_report *r)
{
	if (r->nchain < 0 || r->nchain > PYTB_MAX_CHAIN)
		abort();
	for (int i = 0; i < r->nchain; i++) {
		const struct pytb_exception *e = &r->chain[i];

		if (e->nframes < 0 || e->nframes > PYTB_MAX_FRAMES ||
		    memchr(e->type, 0, sizeof(e->type)) == NULL ||
		    memchr(e->message, 0, sizeof(e->message)) == NULL)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t end = pytb_parse_last(buf, size, &rep);

	if (end > size)
		abort();
	if (end)
		check(&rep);
	pytb_incomplete(buf, size);
	/* The prefixes a reader sees as writes arrive. */
	for (size_t cut = size / 3; cut < size; cut += size / 3 + 1) {
		if (pytb_parse_last(buf, cut, NULL) > cut)
			abort();
		pytb_incomplete(buf, cut);
	}
	return 0;
}
