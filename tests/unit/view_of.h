/* SPDX-License-Identifier: BSD-2-Clause */
/* The span view an encoder test hands in beside its span, as the registry would build it. */
#ifndef PYSPAN_TESTS_VIEW_OF_H
#define PYSPAN_TESTS_VIEW_OF_H

#include "span/view.h"

/* A view of s in one of a few static slots, so that a call may take several at once; valid
 * until the slot comes round again. */
static inline const struct span_view *view_of(const struct span *s)
{
	static struct span_view views[8];
	static char stacks[8][SPAN_VIEW_STACK_MAX];
	static unsigned next;
	unsigned i = next++ % 8;

	span_view_build(&views[i], s, stacks[i], sizeof(stacks[i]));
	return &views[i];
}

#endif
