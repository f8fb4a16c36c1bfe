/* SPDX-License-Identifier: BSD-2-Clause */
/* Where a span's exception came from, and how the two sources complete each other. */
#ifndef PYSPAN_EXCEPTION_H
#define PYSPAN_EXCEPTION_H

struct pytb_report;

enum exception_source {
	EXCEPTION_NONE = 0,
	EXCEPTION_FROM_TEXT = 1,        /* a traceback the process wrote, parsed */
	EXCEPTION_FROM_INTERPRETER = 2, /* read from CPython's memory by BPF */
};

/* The interpreter gives exact frames and messages but a bare class name for classes defined
 * in Python (their module lives in the class's dict); the printed traceback qualifies it.
 * Fill what `from_interp` lacks (module-qualified type, a message that was not a str) from
 * the matching exceptions of `from_text`. */
void exception_merge_text(struct pytb_report *from_interp, const struct pytb_report *from_text);

#endif
