/* SPDX-License-Identifier: BSD-2-Clause */
/* Recorded connections (fixtures/record_wire.py) and the ways the tests cut them up. */
#ifndef PYSPAN_TESTS_WIRE_H
#define PYSPAN_TESTS_WIRE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One chunk as the relay read it: '>' client to server, '<' server to client. */
struct wire_chunk {
	char dir;
	uint8_t *p;
	size_t n;
};

struct wire {
	struct wire_chunk *c;
	size_t n;
	size_t total; /* bytes in both directions */
};

static int wire_hex(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Lines "> HEX" / "< HEX"; "#" comments. Exits on a file that is not one: a broken fixture is
 * a broken test, not a skipped one. */
static struct wire wire_load(const char *path)
{
	struct wire w = {0};
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (!f) {
		fprintf(stderr, "cannot open fixture %s\n", path);
		exit(2);
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if ((line[0] != '>' && line[0] != '<') || line[1] != ' ') {
			fprintf(stderr, "%s: bad line\n", path);
			exit(2);
		}
		struct wire_chunk ch = {line[0], malloc(len / 2 + 1), 0};

		for (ssize_t i = 2; i + 1 < len && line[i] != '\n'; i += 2) {
			int hi = wire_hex(line[i]), lo = wire_hex(line[i + 1]);

			if (hi < 0 || lo < 0) {
				fprintf(stderr, "%s: bad hex\n", path);
				exit(2);
			}
			ch.p[ch.n++] = (uint8_t)(hi << 4 | lo);
		}
		w.c = realloc(w.c, (w.n + 1) * sizeof(*w.c));
		w.c[w.n++] = ch;
		w.total += ch.n;
	}
	free(line);
	fclose(f);
	return w;
}

static void wire_free(struct wire *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->c[i].p);
	free(w->c);
}

/* How a recorded connection is handed to a parser. */
enum wire_mode {
	WIRE_WHOLE,  /* chunk by chunk as recorded */
	WIRE_BYTES,  /* one byte per feed */
	WIRE_SPLIT,  /* as recorded, but the chunk holding byte `at` is cut in two there */
	WIRE_PREFIX, /* as recorded, stopping after `at` bytes in all */
};

/* Feeds w to feed(dir, p, n, ts) with the chunk's index as its clock (so a cut-up chunk keeps
 * its time). Each piece is a heap copy of exactly its bytes, so ASan sees any over-read.
 * Returns the first non-zero feed result, or 0. */
typedef int (*wire_feed_fn)(void *arg, char dir, const uint8_t *p, size_t n, uint64_t ts);

static int wire_piece(wire_feed_fn feed, void *arg, char dir, const uint8_t *p, size_t n,
		      uint64_t ts)
{
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	memcpy(copy, p, n);
	rc = feed(arg, dir, copy, n, ts);
	free(copy);
	return rc;
}

static int wire_run(const struct wire *w, enum wire_mode mode, size_t at, wire_feed_fn feed,
		    void *arg)
{
	size_t off = 0;
	int rc = 0;

	for (size_t i = 0; i < w->n && rc == 0; i++) {
		const struct wire_chunk *ch = &w->c[i];
		uint64_t ts = 1000 * (uint64_t)(i + 1);

		if (mode == WIRE_PREFIX && off >= at)
			break;
		if (mode == WIRE_BYTES) {
			for (size_t k = 0; k < ch->n && rc == 0; k++)
				rc = wire_piece(feed, arg, ch->dir, ch->p + k, 1, ts);
		} else if (mode == WIRE_SPLIT && at > off && at < off + ch->n) {
			rc = wire_piece(feed, arg, ch->dir, ch->p, at - off, ts);
			if (rc == 0)
				rc = wire_piece(feed, arg, ch->dir, ch->p + (at - off),
						ch->n - (at - off), ts);
		} else if (mode == WIRE_PREFIX && off + ch->n > at) {
			rc = wire_piece(feed, arg, ch->dir, ch->p, at - off, ts);
		} else {
			rc = wire_piece(feed, arg, ch->dir, ch->p, ch->n, ts);
		}
		off += ch->n;
	}
	return rc;
}

#endif
