/* SPDX-License-Identifier: BSD-2-Clause */
/* gzip in memory (zlib), for request bodies sent with Content-Encoding: gzip. */
#ifndef PYSPAN_NET_GZIP_H
#define PYSPAN_NET_GZIP_H

#include <stddef.h>

/* The gzip stream (RFC 1952) of in[0..len), malloc'd; *outlen its size. NULL when memory ran
 * out. */
char *gzip_compress(const void *in, size_t len, size_t *outlen);

/* Inflate a gzip stream, NUL-terminated for convenience (the terminator is not counted).
 * NULL when the stream is corrupt, truncated, or would inflate past max bytes. */
char *gzip_decompress(const void *in, size_t len, size_t max, size_t *outlen);

#endif
