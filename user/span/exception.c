// SPDX-License-Identifier: BSD-2-Clause
/* Where a span's exception came from, and how the two sources complete each other. */
#include <stdio.h>
#include <string.h>

#include "proto/pytraceback.h"
#include "span/exception.h"

/* "pkg.mod.Name" -> "Name" */
static const char *bare(const char *type)
{
	const char *dot = strrchr(type, '.');

	return dot ? dot + 1 : type;
}

void exception_merge_text(struct pytb_report *in, const struct pytb_report *tx)
{
	/* Both lists run oldest first and end with the same escaping exception: match from the
	 * end, by class name. */
	int i = in->nchain - 1, j = tx->nchain - 1;

	for (; i >= 0 && j >= 0; i--, j--) {
		struct pytb_exception *a = &in->chain[i];
		const struct pytb_exception *b = &tx->chain[j];

		if (strcmp(bare(a->type), bare(b->type)) != 0)
			return;
		if (!strchr(a->type, '.') && strchr(b->type, '.'))
			snprintf(a->type, sizeof(a->type), "%s", b->type);
		if (!a->message[0] && b->message[0]) {
			snprintf(a->message, sizeof(a->message), "%s", b->message);
			a->message_truncated = b->message_truncated;
		}
	}
}
