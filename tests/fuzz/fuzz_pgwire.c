// SPDX-License-Identifier: BSD-2-Clause
/* Fuzz the PostgreSQL wire follower: both directions, fed whole and in small pieces, which must
 * give the same calls and the same verdict. */
// fuzz-corpus: tests/fuzz/seeds/pgwire
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pgwire.h"
#include "wire_fuzz.h"

#define MAX_CALLS 256

struct calls {
	struct pg_call v[MAX_CALLS];
	size_t n, total;
};

static struct calls runs[2];

static void terminated(const char *s, size_t cap)
{
	if (!memchr(s, 0, cap))
		abort();
}

static void collect(void *arg, const struct pg_call *c)
{
	struct calls *cs = arg;

	terminated(c->operation, sizeof(c->operation));
	terminated(c->query, sizeof(c->query));
	terminated(c->command_tag, sizeof(c->command_tag));
	terminated(c->sqlstate, sizeof(c->sqlstate));
	terminated(c->message, sizeof(c->message));
	if (c->end_ns < c->start_ns)
		abort(); /* a response before its request */
	if (cs->n < MAX_CALLS)
		cs->v[cs->n++] = *c;
	cs->total++;
}

static int same(const struct pg_call *a, const struct pg_call *b)
{
	return !strcmp(a->operation, b->operation) && !strcmp(a->query, b->query) &&
	       !strcmp(a->command_tag, b->command_tag) && a->is_error == b->is_error &&
	       !strcmp(a->sqlstate, b->sqlstate) && !strcmp(a->message, b->message) &&
	       a->request_bytes == b->request_bytes && a->response_bytes == b->response_bytes &&
	       a->start_ns == b->start_ns && a->end_ns == b->end_ns;
}

/* Returns the index of the record that was refused, or -1. */
static long run(const uint8_t *data, size_t size, size_t piece, struct calls *out)
{
	struct pg_conn *c = pg_conn_new(collect, out);
	struct wire_rec r;
	size_t pos = 1;
	long idx = 0, refused = -1;

	out->n = out->total = 0;
	while (refused < 0 && wire_next(data, size, &pos, &r)) {
		uint64_t ts = 1000 * (uint64_t)(idx + 1);

		for (size_t off = 0; off < r.n || (off == 0 && r.n == 0);) {
			size_t n = piece && r.n - off > piece ? piece : r.n - off;
			int rc = r.to_client ? pg_feed_backend(c, r.p + off, n, ts)
					     : pg_feed_frontend(c, r.p + off, n, ts);

			if (rc < 0) {
				refused = idx;
				break;
			}
			off += n;
			if (n == 0)
				break;
		}
		idx++;
	}
	pg_conn_database(c);
	pg_conn_user(c);
	pg_conn_is_pg(c);
	pg_conn_free(c);
	return refused;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_rec first;
	size_t pos = 1;

	if (size < 1)
		return 0;
	if (wire_next(data, size, &pos, &first))
		pg_sniff(first.p, first.n);
	long a = run(data, size, 0, &runs[0]);
	long b = run(data, size, data[0] % 16 + 1, &runs[1]);

	if (a != b || runs[0].total != runs[1].total)
		abort();
	for (size_t i = 0; i < runs[0].n; i++)
		if (!same(&runs[0].v[i], &runs[1].v[i]))
			abort();
	return 0;
}
