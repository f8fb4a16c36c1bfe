// SPDX-License-Identifier: BSD-2-Clause
/* AWS Signature Version 4 over libcrypto (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html); no I/O. */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/aws/sigv4.h"

/* A growable string for the canonical request; ok drops to 0 on allocation failure. */
struct buf {
	char *p;
	size_t len, cap;
	int ok;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (!b->ok)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 256) + n;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->ok = 0;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void sigv4_sha256_hex(const void *p, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(p, len, md, &n, EVP_sha256(), NULL);
	hex(md, n, out);
}

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &n);
}

void sigv4_amz_date(long long unix_sec, char out[17])
{
	time_t t = (time_t)unix_sec;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* RFC 3986 percent-encoding of everything but unreserved characters (and '/' in paths). */
static void uri_encode(struct buf *b, const char *s, size_t n, int keep_slash)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[4];

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
		    (keep_slash && c == '/')) {
			put(b, (const char *)&c, 1);
		} else {
			snprintf(esc, sizeof(esc), "%%%02X", c);
			put(b, esc, 3);
		}
	}
}

struct pair {
	const char *k, *v;
	size_t kl, vl;
};

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	size_t n = x->kl < y->kl ? x->kl : y->kl;
	int c = memcmp(x->k, y->k, n);

	if (c || x->kl != y->kl)
		return c ? c : (x->kl < y->kl ? -1 : 1);
	n = x->vl < y->vl ? x->vl : y->vl;
	c = memcmp(x->v, y->v, n);
	return c ? c : (x->vl < y->vl ? -1 : x->vl > y->vl);
}

/* Query pairs sorted by name then value; values taken as sent (already encoded). */
static void canonical_query(struct buf *b, const char *q)
{
	struct pair *pairs;
	size_t n = 1, i = 0;

	if (!q || !q[0])
		return;
	for (const char *c = q; *c; c++)
		n += *c == '&';
	pairs = calloc(n, sizeof(*pairs));
	if (!pairs) {
		b->ok = 0;
		return;
	}
	for (const char *c = q; i < n;) {
		size_t len = strcspn(c, "&");
		const char *eq = memchr(c, '=', len);

		pairs[i].k = c;
		pairs[i].kl = eq ? (size_t)(eq - c) : len;
		pairs[i].v = eq ? eq + 1 : c + len;
		pairs[i].vl = eq ? len - pairs[i].kl - 1 : 0;
		i++;
		c += len + (c[len] == '&');
	}
	qsort(pairs, n, sizeof(*pairs), pair_cmp);
	for (i = 0; i < n; i++) {
		if (i)
			put(b, "&", 1);
		put(b, pairs[i].k, pairs[i].kl);
		put(b, "=", 1);
		put(b, pairs[i].v, pairs[i].vl);
	}
	free(pairs);
}

struct hdr {
	char name[64];
	const char *value;
	int order;
};

static int hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->order - y->order;
}

/* Trimmed value with runs of whitespace collapsed to one space. */
static void put_value(struct buf *b, const char *v)
{
	int space = 0, started = 0;

	for (; *v; v++) {
		if (*v == ' ' || *v == '\t') {
			space = started;
			continue;
		}
		if (space)
			put(b, " ", 1);
		space = 0;
		started = 1;
		put(b, v, 1);
	}
}

static struct hdr *sorted_headers(const struct sigv4_request *r)
{
	struct hdr *h = calloc((size_t)r->nheaders + 1, sizeof(*h));

	if (!h)
		return NULL;
	for (int i = 0; i < r->nheaders; i++) {
		size_t j = 0;

		for (; r->headers[i].name[j] && j + 1 < sizeof(h[i].name); j++)
			h[i].name[j] = (char)tolower((unsigned char)r->headers[i].name[j]);
		h[i].value = r->headers[i].value;
		h[i].order = i;
	}
	qsort(h, (size_t)r->nheaders, sizeof(*h), hdr_cmp);
	return h;
}

static void signed_headers(struct buf *b, const struct hdr *h, int n)
{
	for (int i = 0; i < n; i++) {
		if (i && strcmp(h[i].name, h[i - 1].name) == 0)
			continue;
		if (i)
			put(b, ";", 1);
		puts_(b, h[i].name);
	}
}

char *sigv4_canonical_request(const struct sigv4_request *r)
{
	struct buf b = { .ok = 1 };
	struct hdr *h = sorted_headers(r);
	const char *path = r->path && r->path[0] ? r->path : "/";
	char payload[65];

	if (!h)
		return NULL;
	puts_(&b, r->method);
	put(&b, "\n", 1);
	uri_encode(&b, path, strlen(path), 1);
	put(&b, "\n", 1);
	canonical_query(&b, r->query);
	put(&b, "\n", 1);
	/* Repeated headers join with ',' in the order they were given. */
	for (int i = 0; i < r->nheaders; i++) {
		int cont = i && strcmp(h[i].name, h[i - 1].name) == 0;

		if (cont) {
			put(&b, ",", 1);
		} else {
			if (i)
				put(&b, "\n", 1);
			puts_(&b, h[i].name);
			put(&b, ":", 1);
		}
		put_value(&b, h[i].value);
	}
	put(&b, "\n\n", r->nheaders ? 2 : 1);
	signed_headers(&b, h, r->nheaders);
	put(&b, "\n", 1);
	sigv4_sha256_hex(r->body ? r->body : "", r->body ? r->body_len : 0, payload);
	puts_(&b, payload);
	free(h);
	if (!b.ok) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static void signing_key(const char *secret, const struct sigv4_scope *sc, unsigned char k[32])
{
	char date[9], seed[256];

	snprintf(date, sizeof(date), "%.8s", sc->amz_date);
	snprintf(seed, sizeof(seed), "AWS4%s", secret);
	hmac(seed, strlen(seed), date, k);
	OPENSSL_cleanse(seed, sizeof(seed));
	hmac(k, 32, sc->region, k);
	hmac(k, 32, sc->service, k);
	hmac(k, 32, "aws4_request", k);
}

void sigv4_signing_key_hex(const char *secret, const struct sigv4_scope *sc, char out[65])
{
	unsigned char k[32];

	signing_key(secret, sc, k);
	hex(k, 32, out);
	OPENSSL_cleanse(k, sizeof(k));
}

int sigv4_authorization(const struct sigv4_request *r, const struct sigv4_scope *sc,
			const char *access_key_id, const char *secret, char *out, size_t outlen)
{
	char *creq = sigv4_canonical_request(r);
	char creq_hash[65], sts[512], sig[65];
	unsigned char k[32], mac[32];
	struct buf sh = { .ok = 1 };
	struct hdr *h;
	int n;

	if (!creq)
		return -1;
	sigv4_sha256_hex(creq, strlen(creq), creq_hash);
	free(creq);
	snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s",
		 sc->amz_date, sc->amz_date, sc->region, sc->service, creq_hash);
	signing_key(secret, sc, k);
	hmac(k, 32, sts, mac);
	OPENSSL_cleanse(k, sizeof(k));
	hex(mac, 32, sig);
	h = sorted_headers(r);
	if (!h)
		return -1;
	signed_headers(&sh, h, r->nheaders);
	free(h);
	if (!sh.ok)
		return -1;
	n = snprintf(out, outlen,
		     "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, SignedHeaders=%s, "
		     "Signature=%s",
		     access_key_id, sc->amz_date, sc->region, sc->service, sh.p, sig);
	free(sh.p);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
