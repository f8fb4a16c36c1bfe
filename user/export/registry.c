// SPDX-License-Identifier: BSD-2-Clause
/* The list of exporters in use; every finished span that sampling keeps goes to each of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export/export.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "net/delivery.h"
#include "span/redact.h"
#include "span/sampling.h"

#define MAX_EXPORTERS 8

static struct exporter *exporters[MAX_EXPORTERS];
/* One span at a time is handed out: its view and traceback text live here, not on the stack
 * (the text can take 64 kB) nor on the heap. */
static struct span_view view;
static char stacktrace[SPAN_VIEW_STACK_MAX];
static int nexporters;
static uint32_t flush_deadline_s = 5;
static uint64_t shutdown_deadline_ms;

void export_set_flush_deadline(uint32_t seconds)
{
	flush_deadline_s = seconds;
}

void export_shutdown_begins(void)
{
	if (!shutdown_deadline_ms)
		shutdown_deadline_ms =
			clock_mono_now_ns() / 1000000ull + (uint64_t)flush_deadline_s * 1000;
}

void export_register(struct exporter *ex)
{
	if (nexporters < MAX_EXPORTERS)
		exporters[nexporters++] = ex;
}

/* One place before every exporter, so none of them can see a secret, and none derives what
 * the view holds on its own. Every span reaching here is a stage's own, writable object;
 * const tells exporters not to change it. */
static void hand_out(const struct span *s, uint32_t rate)
{
	((struct span *)s)->sample_rate = rate;
	redact_span((struct span *)s);
	span_view_build(&view, s, stacktrace, sizeof(stacktrace));
	for (int i = 0; i < nexporters; i++)
		exporters[i]->span(exporters[i], s, &view);
}

void export_span(const struct span *s)
{
	int rate = sampling_keep(s, (uint64_t)time(NULL));

	if (rate)
		hand_out(s, (uint32_t)rate);
}

void export_span_group(const struct span *parent, const struct span *children, int n)
{
	int rate = sampling_keep(parent, (uint64_t)time(NULL));

	if (!rate)
		return;
	/* The request's one decision holds for its calls. Each exporter still sees the calls
	 * before their request, in order. */
	for (int c = 0; c < n; c++)
		hand_out(&children[c], (uint32_t)rate);
	hand_out(parent, (uint32_t)rate);
}

void export_log(const struct log_record *r)
{
	struct log_record copy = *r;
	char stackbuf[4096], *text = stackbuf;
	/* Room for every match to grow into REDACTED. */
	size_t cap = r->len * 2 + 64;

	if (cap > sizeof(stackbuf) && !(text = malloc(cap)))
		return; /* a record that cannot be checked is not sent */
	memcpy(text, r->text, r->len);
	text[r->len] = '\0';
	redact_text(text, cap);
	copy.text = text;
	copy.len = strlen(text);
	for (int i = 0; i < nexporters; i++)
		if (exporters[i]->log)
			exporters[i]->log(exporters[i], &copy);
	if (text != stackbuf)
		free(text);
}

int export_count(void)
{
	return nexporters;
}

struct exporter *export_at(int i)
{
	return i >= 0 && i < nexporters ? exporters[i] : NULL;
}

int export_wants_logs(void)
{
	for (int i = 0; i < nexporters; i++)
		if (exporters[i]->log)
			return 1;
	return 0;
}

void export_flush_all(void)
{
	for (int i = 0; i < nexporters; i++)
		if (exporters[i]->flush)
			exporters[i]->flush(exporters[i]);
}

static void export_summary(void)
{
	const struct sampling_stats *ss = sampling_stats();

	log_msg("sampling: %llu kept, %llu not sampled by the caller, %llu not sampled here",
		(unsigned long long)ss->kept, (unsigned long long)ss->dropped_by_caller,
		(unsigned long long)ss->dropped_by_sampler);
	for (int i = 0; i < nexporters; i++) {
		struct exporter *ex = exporters[i];
		char extra[256] = "";

		if (ex->describe)
			ex->describe(ex, extra, sizeof(extra));
		log_msg("export %s: %llu sent, %llu retried, %llu dropped%s%s", ex->name,
			(unsigned long long)ex->sent, (unsigned long long)ex->retried,
			(unsigned long long)ex->dropped, extra[0] ? "; " : "", extra);
	}
}

void export_close_all(void)
{
	/* One deadline for every queue: they drain together, not one after another. */
	export_shutdown_begins();
	delivery_drain_all(shutdown_deadline_ms);
	for (int i = 0; i < nexporters; i++)
		exporters[i]->close(exporters[i]);
	/* After close: the counts include what the shutdown flush sent or gave up on. */
	export_summary();
	nexporters = 0;
}
