// SPDX-License-Identifier: BSD-2-Clause
/* Counting and cutting UTF-8 text by characters, never splitting a character. */
#include <string.h>

#include "lib/utf8.h"

void utf8_cut_chars(const char *in, size_t max_chars, char *out, size_t outlen)
{
	size_t i = 0, chars = 0;

	if (!outlen)
		return;
	for (; in[i]; i++) {
		/* Every byte that is not a continuation byte starts a character. */
		if (((unsigned char)in[i] & 0xc0) != 0x80 && chars++ == max_chars)
			break;
		if (i + 1 >= outlen)
			break;
	}
	/* Back off a sequence the buffer cut in two. */
	while (i > 0 && in[i] && ((unsigned char)in[i] & 0xc0) == 0x80)
		i--;
	memcpy(out, in, i);
	out[i] = '\0';
}

size_t utf8_count_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}
