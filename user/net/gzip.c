// SPDX-License-Identifier: BSD-2-Clause
/* gzip in memory (zlib), for request bodies sent with Content-Encoding: gzip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "net/gzip.h"

/* windowBits 15 + 16 asks zlib for a gzip header and trailer instead of zlib's own. */
#define GZIP_WINDOW (15 + 16)

char *gzip_compress(const void *in, size_t len, size_t *outlen)
{
	z_stream z;
	char *out;
	uLong cap;
	int rc;

	memset(&z, 0, sizeof(z));
	/* Level 6 (zlib's default) gives most of the ratio of 9 at a fraction of the CPU. */
	if (deflateInit2(&z, 6, Z_DEFLATED, GZIP_WINDOW, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	/* deflateBound covers zlib's framing; the gzip header and trailer add 18 bytes. */
	cap = deflateBound(&z, (uLong)len) + 18;
	out = malloc(cap);
	if (!out) {
		deflateEnd(&z);
		return NULL;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

char *gzip_decompress(const void *in, size_t len, size_t max, size_t *outlen)
{
	z_stream z;
	size_t cap = len * 4 + 64, used = 0;
	char *out = NULL, *grown;
	int rc = Z_OK;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, GZIP_WINDOW) != Z_OK)
		return NULL;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	while (rc != Z_STREAM_END) {
		if (cap > max + 1)
			cap = max + 1;
		grown = realloc(out, cap + 1);
		if (!grown)
			goto fail;
		out = grown;
		z.next_out = (Bytef *)out + used;
		z.avail_out = (uInt)(cap - used);
		rc = inflate(&z, Z_NO_FLUSH);
		used = cap - z.avail_out;
		if (rc != Z_OK && rc != Z_STREAM_END)
			goto fail;
		if (used > max)
			goto fail;
		if (rc == Z_OK && z.avail_out) /* no progress possible: the input is cut short */
			goto fail;
		if (used == cap)
			cap *= 2;
	}
	inflateEnd(&z);
	out[used] = '\0';
	*outlen = used;
	return out;
fail:
	inflateEnd(&z);
	free(out);
	return NULL;
}
