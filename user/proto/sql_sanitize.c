// SPDX-License-Identifier: BSD-2-Clause
/* SQL literal stripping: one pass over the text, no allocation; the output names the statement's
 * shape (tables, columns, placeholders) and never a value. */
#include "proto/sql_sanitize.h"

#include <string.h>

/* Output with a bound: writes stop at cap-1 and remember that something was lost. */
struct out {
	char *p;
	size_t cap, len;
	int cut;
};

static void put(struct out *o, char ch)
{
	if (o->len + 1 < o->cap)
		o->p[o->len++] = ch;
	else
		o->cut = 1;
}

static int is_space(unsigned char ch)
{
	/* Control bytes (a NUL included) count as blanks so the output stays one printable line. */
	return ch <= ' ' || ch == 0x7f;
}

static int is_ident_start(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch >= 0x80;
}

static int is_ident_char(unsigned char ch)
{
	return is_ident_start(ch) || (ch >= '0' && ch <= '9') || ch == '$';
}

static int is_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

static unsigned char upper(unsigned char ch)
{
	return ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch;
}

/* End of a quoted run starting at s[i] == q: doubled quotes stay inside; with backslash escapes
 * (E'...') a backslash takes the next byte. An unterminated run ends with the text. */
static size_t skip_quoted(const char *s, size_t len, size_t i, char q, int backslash)
{
	for (i++; i < len; i++) {
		if (backslash && s[i] == '\\') {
			i++;
			continue;
		}
		if (s[i] == q) {
			if (i + 1 < len && s[i + 1] == q) {
				i++;
				continue;
			}
			return i + 1;
		}
	}
	return len;
}

/* A dollar-quote opening tag at s[i] == '$': "$$" or "$tag$" (tag an identifier not starting
 * with a digit). Returns the tag's length including both '$', or 0 when it is not one ($1 is a
 * placeholder). */
static size_t dollar_tag(const char *s, size_t len, size_t i)
{
	size_t j = i + 1;

	if (j < len && s[j] == '$')
		return 2;
	if (j >= len || !is_ident_start((unsigned char)s[j]))
		return 0;
	while (j < len && is_ident_char((unsigned char)s[j]) && s[j] != '$')
		j++;
	return j < len && s[j] == '$' ? j - i + 1 : 0;
}

/* Past the closing tag, or the end of the text when it never comes. */
static size_t skip_dollar(const char *s, size_t len, size_t i, size_t tag)
{
	for (size_t j = i + tag; j + tag <= len; j++)
		if (s[j] == '$' && memcmp(s + j, s + i, tag) == 0)
			return j + tag;
	return len;
}

/* A numeric constant: digits, a fraction, an exponent with its sign, and the letters and
 * underscores of 0x1F / 1_000 forms, taken whole so no digit leaks out. */
static size_t skip_number(const char *s, size_t len, size_t i)
{
	while (i < len) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch == 'e' || ch == 'E') && i + 1 < len &&
		    (s[i + 1] == '+' || s[i + 1] == '-') && i + 2 < len &&
		    is_digit((unsigned char)s[i + 2]))
			i += 2;
		else if (is_ident_char(ch) || ch == '.')
			i++;
		else
			break;
	}
	return i;
}

void sql_sanitize(const char *sql, size_t len, char *out, size_t outlen, char *op, size_t opcap)
{
	struct out o = {out, outlen, 0, 0};
	int op_done = 0, pending_space = 0;
	size_t i = 0, oplen = 0;

	if (opcap)
		op[0] = '\0';
	while (i < len) {
		unsigned char ch = (unsigned char)sql[i];
		size_t start = i;

		/* Blanks and comments (both removed) become one space between tokens. */
		if (is_space(ch)) {
			i++;
			pending_space = 1;
			continue;
		}
		if (ch == '-' && i + 1 < len && sql[i + 1] == '-') {
			while (i < len && sql[i] != '\n')
				i++;
			pending_space = 1;
			continue;
		}
		if (ch == '/' && i + 1 < len && sql[i + 1] == '*') {
			int depth = 0; /* PostgreSQL nests block comments */

			while (i < len) {
				if (sql[i] == '/' && i + 1 < len && sql[i + 1] == '*') {
					depth++;
					i += 2;
				} else if (sql[i] == '*' && i + 1 < len && sql[i + 1] == '/') {
					i += 2;
					if (--depth == 0)
						break;
				} else {
					i++;
				}
			}
			pending_space = 1;
			continue;
		}
		if (pending_space && o.len > 0)
			put(&o, ' ');
		pending_space = 0;

		/* Only a bare word first names the operation; leading parentheses do not hide it:
		 * "(SELECT 1)" is a SELECT. */
		if (ch != '(' && !is_ident_start(ch))
			op_done = 1;
		if (ch == '\'') {
			i = skip_quoted(sql, len, i, '\'', 0);
			put(&o, '?');
		} else if (ch == '"') {
			i = skip_quoted(sql, len, i, '"', 0);
			for (; start < i; start++)
				put(&o, is_space((unsigned char)sql[start]) ? ' ' : sql[start]);
		} else if (ch == '$' && dollar_tag(sql, len, i)) {
			i = skip_dollar(sql, len, i, dollar_tag(sql, len, i));
			put(&o, '?');
		} else if (is_digit(ch) ||
			   (ch == '.' && i + 1 < len && is_digit((unsigned char)sql[i + 1]))) {
			i = skip_number(sql, len, i);
			put(&o, '?');
		} else if (is_ident_start(ch)) {
			while (i < len && is_ident_char((unsigned char)sql[i]))
				i++;
			size_t n = i - start;
			/* E'..', N'..', B'..', X'..' and U&'..' are string constants, not names. */
			int prefix = i < len && sql[i] == '\'' && n == 1 &&
				     strchr("EeNnBbXx", sql[start]) != NULL;
			int uamp = n == 1 && (sql[start] == 'U' || sql[start] == 'u') &&
				   i + 1 < len && sql[i] == '&' && sql[i + 1] == '\'';

			if (prefix || uamp) {
				int esc = sql[start] == 'E' || sql[start] == 'e';

				i = skip_quoted(sql, len, uamp ? i + 1 : i, '\'', esc);
				put(&o, '?');
				op_done = 1;
				continue;
			}
			if (oplen == 0 && !op_done) {
				for (size_t k = 0; k < n && oplen + 1 < opcap; k++)
					op[oplen++] = (char)upper((unsigned char)sql[start + k]);
				if (opcap)
					op[oplen] = '\0';
			}
			op_done = 1;
			while (start < i)
				put(&o, sql[start++]);
		} else if (ch == '$') {
			/* $1 placeholders stay as they are. */
			i++;
			put(&o, '$');
			while (i < len && is_digit((unsigned char)sql[i]))
				put(&o, sql[i++]);
		} else {
			i++;
			put(&o, (char)ch);
		}
	}
	if (o.cut && outlen >= 4) {
		size_t end = outlen - 4;

		/* Never cut inside a UTF-8 sequence. */
		while (end > 0 && ((unsigned char)out[end] & 0xc0) == 0x80)
			end--;
		memcpy(out + end, "...", 3);
		o.len = end + 3;
	}
	if (outlen)
		out[o.len] = '\0';
}
