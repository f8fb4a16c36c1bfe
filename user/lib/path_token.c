// SPDX-License-Identifier: BSD-2-Clause
/* Which URL path segments are secrets (reset tokens, API keys, JWTs) rather than names. */
#include <string.h>

#include "lib/path_token.h"

#define RUN_MIN 20     /* shorter runs are words, product codes, short ids */
#define HEX_ID_MAX 40  /* up to a SHA-1: object ids, trace ids, commit hashes */

enum { C_LOWER, C_UPPER, C_DIGIT, C_OTHER };

static int cls(char c)
{
	if (c >= 'a' && c <= 'z')
		return C_LOWER;
	if (c >= 'A' && c <= 'Z')
		return C_UPPER;
	if (c >= '0' && c <= '9')
		return C_DIGIT;
	return C_OTHER;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* One run of letters and digits: random strings switch class at about two of three
 * characters; words switch at a capital (twice) or before a number. */
static int run_is_token(const char *p, size_t n)
{
	int seen[4] = { 0, 0, 0, 0 };
	size_t switches = 0;

	if (n < RUN_MIN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		seen[cls(p[i])] = 1;
		switches += i > 0 && cls(p[i]) != cls(p[i - 1]);
	}
	/* digits among letters (hex hashes, base64 with digits) */
	if (seen[C_DIGIT] && (seen[C_LOWER] || seen[C_UPPER]) && switches * 5 >= n)
		return 1;
	/* both cases, switching more often than CamelCase does */
	return seen[C_LOWER] && seen[C_UPPER] && switches * 2 >= n;
}

int path_segment_is_token(const char *p, size_t n)
{
	size_t hex = 0, i = 0;

	for (size_t k = 0; k < n; k++)
		hex += is_hex(p[k]) != 0;
	if (hex == n)
		return n > HEX_ID_MAX;
	/* JSON Web Tokens: base64url JSON header.payload.signature */
	if (n > 20 && memcmp(p, "eyJ", 3) == 0 && memchr(p, '.', n))
		return 1;
	while (i < n) {
		size_t start;

		while (i < n && cls(p[i]) == C_OTHER)
			i++;
		start = i;
		while (i < n && cls(p[i]) != C_OTHER)
			i++;
		if (run_is_token(p + start, i - start))
			return 1;
	}
	return 0;
}

int path_redact_tokens(char *s, size_t cap, const char *repl)
{
	size_t len, rl = strlen(repl), i = 0, end;
	int n = 0;

	if (!s || cap == 0)
		return 0;
	len = strlen(s);
	end = strcspn(s, "?#");
	while (i < end) {
		size_t start = i, seg;

		while (i < end && s[i] != '/')
			i++;
		seg = i - start;
		if (seg && path_segment_is_token(s + start, seg)) {
			size_t tail = len - i, room = cap - 1;

			/* s[start..i) becomes repl, the tail moves, cut at cap-1. */
			if (start + rl > room)
				rl = room - start;
			if (start + rl + tail > room)
				tail = room - start - rl;
			memmove(s + start + rl, s + i, tail);
			memcpy(s + start, repl, rl);
			len = start + rl + tail;
			s[len] = '\0';
			end = end - seg + rl;
			if (end > len)
				end = len;
			i = start + rl;
			n++;
		}
		if (i < end)
			i++; /* the '/' */
	}
	return n;
}
