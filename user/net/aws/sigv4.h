/* SPDX-License-Identifier: BSD-2-Clause */
/* AWS Signature Version 4 over libcrypto (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html); no I/O. */
#ifndef PYSPAN_NET_SIGV4_H
#define PYSPAN_NET_SIGV4_H

#include <stddef.h>

struct sigv4_header {
	const char *name; /* any case; signed lowercased */
	const char *value;
};

struct sigv4_request {
	const char *method;
	const char *path;  /* as sent, e.g. "/TraceSegments"; "" means "/" */
	const char *query; /* "a=1&b=2" as sent, or NULL */
	const struct sigv4_header *headers; /* all of them are signed: host and x-amz-date too */
	int nheaders;
	const void *body;
	size_t body_len;
};

struct sigv4_scope {
	const char *amz_date; /* YYYYMMDDTHHMMSSZ */
	const char *region;
	const char *service;
};

/* The canonical request (malloc'd; the caller frees), or NULL when out of memory. */
char *sigv4_canonical_request(const struct sigv4_request *r);

/* The hex signing key for a secret and scope; out holds 65 bytes. */
void sigv4_signing_key_hex(const char *secret, const struct sigv4_scope *sc, char out[65]);

/* The Authorization header value. Returns 0, or -1 when out is too small / out of memory. */
int sigv4_authorization(const struct sigv4_request *r, const struct sigv4_scope *sc,
			const char *access_key_id, const char *secret, char *out, size_t outlen);

/* Lowercase hex SHA-256 of len bytes; out holds 65 bytes. */
void sigv4_sha256_hex(const void *p, size_t len, char out[65]);

/* "YYYYMMDDTHHMMSSZ" for a Unix time; out holds 17 bytes. */
void sigv4_amz_date(long long unix_sec, char out[17]);

#endif
