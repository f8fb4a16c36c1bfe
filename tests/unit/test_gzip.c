// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for net/gzip: round trips, the gzip framing, and corrupt or oversized input. */
#include <stdlib.h>

#include "check.h"
#include "net/gzip.h"

static void round_trip(const char *what, const char *in, size_t len)
{
	size_t zl = 0, ol = 0;
	char *z = gzip_compress(in, len, &zl);
	char *o = z ? gzip_decompress(z, zl, len + 1, &ol) : NULL;

	CHECK(z != NULL);
	/* RFC 1952: magic 1f 8b, method 8 (deflate). */
	CHECK(z && zl >= 18 && (unsigned char)z[0] == 0x1f && (unsigned char)z[1] == 0x8b &&
	      z[2] == 8);
	CHECK_INT(ol, len);
	if (!(o && ol == len && memcmp(o, in, len) == 0))
		fprintf(stderr, "round trip of %s differs\n", what);
	CHECK(o && ol == len && memcmp(o, in, len) == 0);
	free(z);
	free(o);
}

int main(void)
{
	size_t big = 3 * 1000 * 1000, zl, ol;
	char *text = malloc(big), *z, *o;

	round_trip("empty", "", 0);
	round_trip("json", "[{\"data\":{\"name\":\"GET /\"}}]", 27);
	round_trip("binary", "\0\1\2\3\xff\xfe", 6);
	for (size_t i = 0; i < big; i++)
		text[i] = "{\"trace.trace_id\":\"0af7651916cd43dd8448eb211c80319c\"},"[i % 53];
	round_trip("3 MB of events", text, big);

	/* Repetitive JSON shrinks a lot: that is why Honeycomb bodies are compressed. */
	z = gzip_compress(text, big, &zl);
	CHECK(z && zl < big / 50);

	/* A bound below the inflated size refuses instead of growing without limit. */
	o = gzip_decompress(z, zl, big - 1, &ol);
	CHECK(o == NULL);
	/* Truncated and corrupted streams are errors, never a crash. */
	o = gzip_decompress(z, zl / 2, big, &ol);
	CHECK(o == NULL);
	z[zl / 2] ^= 0x55;
	z[zl / 2 + 1] ^= 0x55;
	o = gzip_decompress(z, zl, big, &ol);
	CHECK(o == NULL || ol != big || memcmp(o, text, big) != 0);
	free(o);
	o = gzip_decompress("not gzip at all", 15, 100, &ol);
	CHECK(o == NULL);
	free(z);
	free(text);
	return check_summary("test_gzip");
}
