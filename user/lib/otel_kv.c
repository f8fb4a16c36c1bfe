// SPDX-License-Identifier: BSD-2-Clause
/* "k1=v1,k2=v2" lists (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES), values
 * percent-decoded. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lib/otel_kv.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 9110 token characters: what a header name may hold. */
static int is_tchar(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void trim(const char **b, const char **e)
{
	while (*b < *e && isspace((unsigned char)**b))
		(*b)++;
	while (*e > *b && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

int otel_kv_parse(const char *s, struct otel_kv *out, int max, int header_names, char *err,
		  size_t errlen)
{
	int n = 0, member = 0;
	const char *p = s;

	while (p && *p) {
		const char *end = strchr(p, ','), *eq, *kb, *ke, *vb, *ve;
		size_t o = 0;

		if (!end)
			end = p + strlen(p);
		member++;
		kb = p;
		ve = end;
		p = *end ? end + 1 : end;
		trim(&kb, &ve);
		if (kb == ve)
			continue;
		eq = memchr(kb, '=', (size_t)(ve - kb));
		if (!eq) {
			snprintf(err, errlen, "member %d has no '=' (want key=value)", member);
			return -1;
		}
		ke = eq;
		vb = eq + 1;
		trim(&kb, &ke);
		trim(&vb, &ve);
		if (kb == ke) {
			snprintf(err, errlen, "member %d has an empty key", member);
			return -1;
		}
		if ((size_t)(ke - kb) >= OTEL_KEY_MAX) {
			snprintf(err, errlen, "member %d: key longer than %d bytes", member,
				 OTEL_KEY_MAX - 1);
			return -1;
		}
		for (const char *c = kb; header_names && c < ke; c++) {
			if (!is_tchar(*c)) {
				snprintf(err, errlen, "member %d: '%.*s' is not a header name",
					 member, (int)(ke - kb), kb);
				return -1;
			}
		}
		if (n == max) {
			snprintf(err, errlen, "more than %d members", max);
			return -1;
		}
		memcpy(out[n].key, kb, (size_t)(ke - kb));
		out[n].key[ke - kb] = '\0';
		for (const char *c = vb; c < ve; c++) {
			char ch = *c;

			if (ch == '%') {
				int hi = c + 2 < ve ? hexval(c[1]) : -1;
				int lo = c + 2 < ve ? hexval(c[2]) : -1;

				if (hi < 0 || lo < 0) {
					snprintf(err, errlen,
						 "member %d (%s): bad %%XX escape in the value",
						 member, out[n].key);
					return -1;
				}
				ch = (char)(hi * 16 + lo);
				c += 2;
			}
			/* A decoded line break would let a value add headers of its own. */
			if (ch == '\0' || (header_names && (ch == '\r' || ch == '\n'))) {
				snprintf(err, errlen,
					 "member %d (%s): the value decodes to a control character",
					 member, out[n].key);
				return -1;
			}
			if (o + 1 >= OTEL_VALUE_MAX) {
				snprintf(err, errlen, "member %d (%s): value longer than %d bytes",
					 member, out[n].key, OTEL_VALUE_MAX - 1);
				return -1;
			}
			out[n].value[o++] = ch;
		}
		out[n].value[o] = '\0';
		n++;
	}
	return n;
}
