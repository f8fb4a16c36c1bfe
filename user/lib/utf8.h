/* SPDX-License-Identifier: BSD-2-Clause */
/* Counting and cutting UTF-8 text by characters, never splitting a character. */
#ifndef PYSPAN_UTF8_H
#define PYSPAN_UTF8_H

#include <stddef.h>

/* Copy at most max_chars characters of in into out (outlen bytes, NUL included), never
 * cutting a multi-byte sequence in two. Backends count characters, not bytes. */
void utf8_cut_chars(const char *in, size_t max_chars, char *out, size_t outlen);

/* Characters in s, counted as UTF-8 (a byte that continues a sequence adds none). */
size_t utf8_count_chars(const char *s);

#endif
