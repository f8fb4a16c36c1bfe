// SPDX-License-Identifier: BSD-2-Clause
/* Fuzz the Redis RESP follower: requests and replies, fed whole and in small pieces, which must
 * give the same calls and the same verdict. */
// fuzz-corpus: tests/fuzz/seeds/resp
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/resp.h"
#include "wire_fuzz.h"

#define MAX_CALLS 256

struct calls {
	struct redis_call v[MAX_CALLS];
	size_t n, total;
};

static struct calls runs[2];

static void terminated(const char *s, size_t cap)
{
	if (!memchr(s, 0, cap))
		abort();
}

static void collect(void *arg, const struct redis_call *c)
{
	struct calls *cs = arg;

	terminated(c->command, sizeof(c->command));
	terminated(c->key, sizeof(c->key));
	terminated(c->error_type, sizeof(c->error_type));
	terminated(c->error_message, sizeof(c->error_message));
	if (c->end_ns < c->start_ns || c->nargs < 1)
		abort();
	if (cs->n < MAX_CALLS)
		cs->v[cs->n++] = *c;
	cs->total++;
}

static int same(const struct redis_call *a, const struct redis_call *b)
{
	return !strcmp(a->command, b->command) && !strcmp(a->key, b->key) && a->nargs == b->nargs &&
	       a->is_error == b->is_error && !strcmp(a->error_type, b->error_type) &&
	       !strcmp(a->error_message, b->error_message) &&
	       a->request_bytes == b->request_bytes && a->response_bytes == b->response_bytes &&
	       a->start_ns == b->start_ns && a->end_ns == b->end_ns;
}

static long run(const uint8_t *data, size_t size, size_t piece, struct calls *out)
{
	struct redis_conn *c = redis_conn_new(collect, out);
	struct wire_rec r;
	size_t pos = 1;
	long idx = 0, refused = -1;

	out->n = out->total = 0;
	while (refused < 0 && wire_next(data, size, &pos, &r)) {
		uint64_t ts = 1000 * (uint64_t)(idx + 1);

		for (size_t off = 0; off < r.n;) {
			size_t n = piece && r.n - off > piece ? piece : r.n - off;
			int rc = r.to_client ? redis_feed_reply(c, r.p + off, n, ts)
					     : redis_feed_request(c, r.p + off, n, ts);

			if (rc < 0) {
				refused = idx;
				break;
			}
			off += n;
		}
		idx++;
	}
	redis_conn_free(c);
	return refused;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_rec first;
	size_t pos = 1;

	if (size < 1)
		return 0;
	if (wire_next(data, size, &pos, &first))
		redis_sniff(first.p, first.n);
	long a = run(data, size, 0, &runs[0]);
	long b = run(data, size, data[0] % 16 + 1, &runs[1]);

	if (a != b || runs[0].total != runs[1].total)
		abort();
	for (size_t i = 0; i < runs[0].n; i++)
		if (!same(&runs[0].v[i], &runs[1].v[i]))
			abort();
	return 0;
}
