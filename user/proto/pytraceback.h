/* SPDX-License-Identifier: BSD-2-Clause */
/* Python traceback parser: stderr text to structured exceptions; pure, over (buf, len). */
#ifndef PYSPAN_PROTO_PYTRACEBACK_H
#define PYSPAN_PROTO_PYTRACEBACK_H

#include <stddef.h>

#define PYTB_MAX_FRAMES 32 /* frames kept per exception: the innermost ones */
#define PYTB_MAX_CHAIN 4   /* exceptions kept per chain: the last (outermost) ones */
#define PYTB_TYPE_MAX 128
#define PYTB_MESSAGE_MAX 512
#define PYTB_FILE_MAX 256
#define PYTB_FUNC_MAX 128

/* Strings below are NUL-terminated copies of the printed text, cut at the bound (never inside a
 * UTF-8 sequence). */
struct pytb_frame {
	char file[PYTB_FILE_MAX];
	int line;                     /* 0 when Python printed "line None" */
	char function[PYTB_FUNC_MAX]; /* empty for a SyntaxError's File/caret block */
};

enum pytb_link {
	PYTB_LINK_NONE,
	PYTB_LINK_CAUSE,   /* raise ... from ... */
	PYTB_LINK_CONTEXT, /* during handling */
};

struct pytb_exception {
	char type[PYTB_TYPE_MAX];       /* as printed: "ValueError", "demo.errors.StoreError" */
	char message[PYTB_MESSAGE_MAX]; /* text after ": " (may be empty); lines joined with \n */
	int message_truncated;
	struct pytb_frame frames[PYTB_MAX_FRAMES]; /* innermost last, as Python prints them */
	int nframes;
	/* frames beyond the bound plus "[Previous line repeated N more times]" */
	int frames_omitted;
	/* how this one relates to the exception printed above it; chain[0] keeps its link when
	 * that one was dropped (chain_omitted > 0) */
	enum pytb_link link;
	int is_group; /* an ExceptionGroup (3.11+): sub-exceptions counted, not kept */
	int group_size;
};

struct pytb_report {
	struct pytb_exception chain[PYTB_MAX_CHAIN]; /* oldest first; chain[nchain-1] escaped */
	int nchain;
	int chain_omitted; /* earlier exceptions of the chain beyond the bound */
};

/* Find the LAST complete traceback report in buf[0..len): a "Traceback (most recent call
 * last):" block (or an exception group block, or a SyntaxError's File/caret block) with its
 * chained predecessors, ending at the exception line and its continuation lines. Returns the
 * offset just past the end of that report's last line (>0) and fills *out, or 0 when buf holds
 * no complete report (*out is then zeroed; out may be NULL to learn only the offset). Only
 * lines ending in \n count; \r\n is tolerated. A report that ends exactly at len may still grow
 * when more text arrives: the next line can continue its message or chain another exception
 * onto it. */
size_t pytb_parse_last(const char *buf, size_t len, struct pytb_report *out);

/* Does buf contain the start of a traceback ("Traceback (most recent call last):", "Exception
 * Group Traceback", a SyntaxError's "  File" line, or a chain separator) whose end is not yet
 * in buf? Also true when the unterminated last line could still become such a start. Lets the
 * caller keep buffering. */
int pytb_incomplete(const char *buf, size_t len);

#endif
