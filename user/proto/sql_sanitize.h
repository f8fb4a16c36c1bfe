/* SPDX-License-Identifier: BSD-2-Clause */
/* SQL statement text with its literals replaced by '?', for span names and db.statement. */
#ifndef PYSPAN_PROTO_SQL_SANITIZE_H
#define PYSPAN_PROTO_SQL_SANITIZE_H

#include <stddef.h>

/* Copy sql into out with every literal (strings '...', E'...', $$...$$ dollar-quoted, numbers,
 * hex/bit strings) replaced by '?', comments removed, whitespace runs collapsed; cut at outlen
 * with "..." when longer. Returns the operation keyword into op (upper-case, opcap bytes).
 * Identifiers ("quoted" and bare, including ones with digits like t1) and $1 placeholders are
 * kept. */
void sql_sanitize(const char *sql, size_t len, char *out, size_t outlen, char *op, size_t opcap);

#endif
