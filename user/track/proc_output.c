// SPDX-License-Identifier: BSD-2-Clause
/* What traced processes write to stdout and stderr: tracebacks in it join the request in flight. */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "lib/u64map.h"
#include "proto/pytraceback.h"
#include "span/exception.h"
#include "track/http_server.h"
#include "track/proc_output.h"

/* The last bytes each thread wrote: enough for a long traceback with its chain. Older text is
 * dropped a line at a time. */
#define WINDOW_MAX (32 * 1024)

struct window {
	uint32_t pid;
	size_t len;
	char text[WINDOW_MAX];
};

static struct u64map windows;
static struct proc_output_stats stats;

const struct proc_output_stats *proc_output_stats(void)
{
	return &stats;
}

static struct window *window_for(uint32_t pid, uint32_t tid)
{
	uint64_t key = (uint64_t)pid << 32 | tid;
	struct window *w;

	if (!windows.buckets && u64map_init(&windows, 64))
		return NULL;
	w = u64map_get(&windows, key);
	if (w)
		return w;
	w = malloc(sizeof(*w));
	if (!w)
		return NULL;
	w->pid = pid;
	w->len = 0;
	if (u64map_put(&windows, key, w)) {
		free(w);
		return NULL;
	}
	return w;
}

/* Keep the newest text: drop whole lines from the front until n more bytes fit. */
static void make_room(struct window *w, size_t n)
{
	size_t drop;
	char *nl;

	if (n >= WINDOW_MAX) {
		w->len = 0;
		return;
	}
	if (w->len + n <= WINDOW_MAX)
		return;
	drop = w->len + n - WINDOW_MAX;
	nl = memchr(w->text + drop, '\n', w->len - drop);
	drop = nl ? (size_t)(nl - w->text) + 1 : w->len;
	memmove(w->text, w->text + drop, w->len - drop);
	w->len -= drop;
}

/* Keep only the text from byte `from` on. */
static void trim_front(struct window *w, size_t from)
{
	memmove(w->text, w->text + from, w->len - from);
	w->len -= from;
}

/* Without a traceback in sight, only the last two lines can matter: a chain may open with a
 * bare "OSError: ..." line that is recognised only once the separator after it arrives. */
static void keep_last_lines(struct window *w)
{
	size_t i = w->len, newlines = 0;

	while (i > 0) {
		if (w->text[i - 1] == '\n' && ++newlines == 3)
			break;
		i--;
	}
	if (i > 0)
		trim_front(w, i);
}

static int may_continue(const char *rest, size_t len)
{
	size_t i = 0;

	while (i < len && (rest[i] == '\n' || rest[i] == '\r'))
		i++;
	return i == len || pytb_incomplete(rest + i, len - i);
}

void proc_output_on_write(const struct ev_data *e)
{
	size_t n = e->cap_len, fresh_from;
	struct pytb_report *r;
	struct window *w;
	size_t end;

	stats.writes++;
	stats.bytes += (uint64_t)e->total_len;
	if (n == 0)
		return;
	w = window_for(e->h.pid, e->h.tid);
	if (!w)
		return;
	if (n > WINDOW_MAX)
		n = WINDOW_MAX;
	make_room(w, n);
	fresh_from = w->len;
	memcpy(w->text + w->len, e->data, n);
	w->len += n;

	/* Cheap test first: most writes are access-log lines with no traceback in sight. Every
	 * report, chained or grouped, has a "Traceback" header line. */
	if (!memmem(w->text, w->len, "Traceback", 9)) {
		keep_last_lines(w);
		return;
	}
	r = malloc(sizeof(*r));
	if (!r)
		return;
	end = pytb_parse_last(w->text, w->len, r);
	/* Only a report that ends in these new bytes is news: older ones were handled when
	 * their last line was written, and a chain that grew is parsed whole again. */
	if (end > fresh_from) {
		stats.tracebacks++;
		if (http_server_attach_exception(e->h.pid, e->h.tid, r, EXCEPTION_FROM_TEXT) == 0) {
			stats.attached++;
			r = NULL;
		}
	}
	free(r);
	/* A report followed by other text is final: its text goes, and later writes do not
	 * parse it again. One followed by nothing, by blank lines, or by the start of a chain
	 * separator or another traceback may still grow into a chain: it stays. */
	if (end > 0 && !may_continue(w->text + end, w->len - end))
		trim_front(w, end);
}

static void drop_if_pid(uint64_t key, void *value, void *arg)
{
	struct window *w = value;

	if (w->pid == *(uint32_t *)arg) {
		u64map_del(&windows, key);
		free(w);
	}
}

void proc_output_on_exit(uint32_t pid)
{
	if (windows.buckets)
		u64map_each(&windows, drop_if_pid, &pid);
}

static void drop_all(uint64_t key, void *value, void *arg)
{
	free(value);
}

void proc_output_fini(void)
{
	if (!windows.buckets)
		return;
	u64map_each(&windows, drop_all, NULL);
	u64map_free(&windows);
}
