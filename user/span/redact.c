// SPDX-License-Identifier: BSD-2-Clause
/* Redaction of secrets before anything leaves the host: spans, log records, pyspan's own log. */
#include "span/redact.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "lib/path_token.h"
#include "lib/sink.h"
#include "proto/pytraceback.h"
#include "span/span.h"

/* Secrets whose shape is known. Key/value pairs keep the key: the last group is replaced.
 * Each must be precise enough that logger names, module names and ordinary words in the
 * service's log lines survive ("WARNING in secrets_app: upstream call failed"). */
static const struct {
	const char *re;
	int icase;
} builtin[] = {
	/* AWS access key ids: long-term (AKIA) and temporary (ASIA) */
	{ "A[KS]IA[0-9A-Z]{16}", 0 },
	/* an Authorization value that strayed into text; the value has a capital, a digit or a
	 * symbol, as base64 and tokens do, so that "basic authentication" stays (case-sensitive
	 * for that, the scheme spelled in either case) */
	{ "([Bb][Ee][Aa][Rr][Ee][Rr]|[Bb][Aa][Ss][Ii][Cc])[[:space:]]+"
	  "([A-Za-z0-9._~+/-]*[A-Z0-9._~+/-][A-Za-z0-9._~+/-]*=*)",
	  0 },
	/* JSON Web Tokens: header.payload.signature, the first two base64url JSON */
	{ "eyJ[A-Za-z0-9_-]{4,}\\.eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*", 0 },
	/* the userinfo of a URL: scheme://user:password@host */
	{ "[A-Za-z][A-Za-z0-9+.-]*://([^/?#@[:space:]]+)@", 0 },
	/* key=value and key: value where the key is a whole identifier whose last word says
	 * secret (password, db_password, client_secret, aws_secret_access_key, api_key,
	 * X-Amz-Security-Token, session_token): "secrets_app", "token_count" and "password_reset"
	 * are not. After a bare ':' a space or a quote must follow ("password: x", "\"token\":\"x\"")
	 * so that "INFO:token:refreshed" (Python logging's level:name:message) is not a pair. A
	 * value starting with '?' is a sanitised SQL placeholder ("secret = ?"). */
	{ "(^|[^A-Za-z0-9_-])([A-Za-z0-9]+[_-])*(secret|token|passw(or)?d|pwd|credentials?|apikey|"
	  "(api|access|secret|private|signing|encryption|client)[_-]?key)"
	  "([\"']?[[:space:]]*=[[:space:]]*[\"']?|[\"'][[:space:]]*:[[:space:]]*[\"']?|"
	  "[[:space:]]*:[[:space:]]+[\"']?|[[:space:]]*:[\"'])"
	  "([^?\"'&[:space:],;}][^\"'&[:space:],;}]*)",
	  1 },
};
#define NBUILTIN (sizeof(builtin) / sizeof(builtin[0]))

struct pattern {
	regex_t re;
	int group; /* which subexpression is the secret: the last one, 0 for the whole match */
};

static struct pattern patterns[NBUILTIN + REDACT_MAX_PATTERNS];
static int npatterns;
static const struct redact_cfg *conf;
static struct redact_stats stats;

int redact_check_pattern(const char *pattern, char *err, size_t errlen)
{
	regex_t re;
	int rc = regcomp(&re, pattern, REG_EXTENDED);

	if (rc) {
		regerror(rc, &re, err, errlen);
		return -1;
	}
	regfree(&re);
	return 0;
}

void redact_fini(void)
{
	for (int i = 0; i < npatterns; i++)
		regfree(&patterns[i].re);
	npatterns = 0;
	conf = NULL;
}

static int add_pattern(const char *re, int flags)
{
	struct pattern *p = &patterns[npatterns];

	if (regcomp(&p->re, re, REG_EXTENDED | flags))
		return -1;
	p->group = (int)p->re.re_nsub;
	npatterns++;
	return 0;
}

int redact_init(const struct redact_cfg *cfg)
{
	redact_fini();
	for (size_t i = 0; i < NBUILTIN; i++)
		if (add_pattern(builtin[i].re, builtin[i].icase ? REG_ICASE : 0))
			return -1;
	for (int i = 0; cfg && i < cfg->npatterns; i++)
		if (add_pattern(cfg->patterns[i], 0))
			return -1;
	conf = cfg;
	return 0;
}

static int allowed(const char *key, size_t len)
{
	for (int i = 0; conf && i < conf->nquery_allow; i++)
		if (strlen(conf->query_allow[i]) == len && memcmp(conf->query_allow[i], key, len) == 0)
			return 1;
	return 0;
}

size_t redact_query(const char *q, size_t len, char *out, size_t cap)
{
	struct sink s = { out, cap, 0 };
	size_t i = 0;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	while (i < len) {
		size_t start = i, eq;

		/* ';' is the older form-encoding separator some frameworks still split on, so a
		 * value after it is as much a secret as one after '&'. */
		while (i < len && q[i] != '&' && q[i] != ';')
			i++;
		for (eq = start; eq < i && q[eq] != '='; eq++)
			;
		if (eq < i && !allowed(q + start, eq - start)) {
			sink_put(&s, q + start, eq - start + 1);
			/* Empty values are redacted too, so the output does not reveal which ones
			 * were set. */
			sink_put(&s, REDACTED, sizeof(REDACTED) - 1);
		} else {
			sink_put(&s, q + start, i - start);
		}
		if (i < len)
			sink_put(&s, q + i++, 1);
	}
	return s.len;
}

static const struct {
	const char *name;
	size_t len;
} secret_headers[] = {
#define H(s) { s, sizeof(s) - 1 }
	H("authorization"), H("proxy-authorization"), H("cookie"),
	H("set-cookie"),    H("x-api-key"),           H("x-amz-security-token"),
#undef H
};

/* ASCII-only folding: header names are tokens, and tolower() would depend on the locale. */
static int lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int same_name(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen && lower(a[i]) == lower(b[i]); i++)
		;
	return i == alen;
}

int redact_header_is_secret(const char *name, size_t len)
{
	if (!name)
		return 0;
	for (size_t h = 0; h < sizeof(secret_headers) / sizeof(secret_headers[0]); h++)
		if (same_name(name, len, secret_headers[h].name, secret_headers[h].len))
			return 1;
	for (int h = 0; conf && h < conf->nheaders; h++)
		if (same_name(name, len, conf->headers[h], strlen(conf->headers[h])))
			return 1;
	return 0;
}

/* One pattern over s, in place. */
static int apply(const struct pattern *p, char *s, size_t cap)
{
	regmatch_t m[10];
	size_t nm = p->group < 9 ? (size_t)p->group + 1 : 10;
	int last = p->group < 9 ? p->group : 9, n = 0;
	size_t off = 0, len = strlen(s);

	while (off <= len && regexec(&p->re, s + off, nm, m, off ? REG_NOTBOL : 0) == 0) {
		size_t so, eo, rl = sizeof(REDACTED) - 1;
		/* a group that did not take part: the whole match */
		int g = m[last].rm_so < 0 ? 0 : last;

		so = off + (size_t)m[g].rm_so;
		eo = off + (size_t)m[g].rm_eo;
		if (eo == so) { /* an empty match: step over one byte */
			off = off + (size_t)m[0].rm_eo + 1;
			continue;
		}
		if (eo - so == rl && memcmp(s + so, REDACTED, rl) == 0) {
			off = eo; /* already redacted by an earlier pattern */
			continue;
		}
		/* s[so..eo) becomes REDACTED, the tail moves, cut at cap-1. */
		{
			size_t tail = len - eo, newlen = so + rl + tail;

			if (so + rl >= cap) {
				memcpy(s + so, REDACTED, cap - 1 - so);
				s[cap - 1] = '\0';
				return n + 1;
			}
			if (newlen >= cap)
				tail = cap - 1 - so - rl;
			memmove(s + so + rl, s + eo, tail);
			memcpy(s + so, REDACTED, rl);
			len = so + rl + tail;
			s[len] = '\0';
			off = so + rl;
		}
		n++;
	}
	return n;
}

int redact_text(char *s, size_t cap)
{
	int n = 0;

	if (!s || cap == 0 || !s[0])
		return 0;
	if (!npatterns)
		redact_init(conf);
	for (int i = 0; i < npatterns; i++)
		n += apply(&patterns[i], s, cap);
	stats.replaced += (unsigned long long)n;
	return n;
}

void redact_span(struct span *s)
{
	/* Every exporter's url.path, url.full and request URL is built from this field. */
	if (!conf || !conf->keep_path_tokens)
		stats.replaced += (unsigned long long)path_redact_tokens(s->path, sizeof(s->path),
									  REDACTED);
	redact_text(s->path, sizeof(s->path));
	redact_text(s->query, sizeof(s->query));
	redact_text(s->route, sizeof(s->route));
	redact_text(s->user_agent, sizeof(s->user_agent));
	redact_text(s->x_forwarded_for, sizeof(s->x_forwarded_for));
	redact_text(s->host, sizeof(s->host));
	redact_text(s->db_query, sizeof(s->db_query));
	redact_text(s->error_message, sizeof(s->error_message));
	for (int i = 0; s->exception && i < s->exception->nchain; i++)
		redact_text(s->exception->chain[i].message,
			    sizeof(s->exception->chain[i].message));
}

const struct redact_stats *redact_stats(void)
{
	return &stats;
}
