/* The list of exporters in use; every finished span that sampling keeps goes to each of them. */
#include <stdio.h>
#include <time.h>

#include "export/export.h"
#include "log.h"
#include "sampling.h"

#define MAX_EXPORTERS 8

static struct exporter *exporters[MAX_EXPORTERS];
static int nexporters;

void export_register(struct exporter *ex)
{
	if (nexporters < MAX_EXPORTERS)
		exporters[nexporters++] = ex;
}

void export_span(const struct span *s)
{
	if (!sampling_keep(s, (uint64_t)time(NULL)))
		return;
	for (int i = 0; i < nexporters; i++)
		exporters[i]->span(exporters[i], s);
}

void export_span_group(const struct span *parent, const struct span *children, int n)
{
	if (!sampling_keep(parent, (uint64_t)time(NULL)))
		return;
	for (int i = 0; i < nexporters; i++) {
		for (int c = 0; c < n; c++)
			exporters[i]->span(exporters[i], &children[c]);
		exporters[i]->span(exporters[i], parent);
	}
}

void export_log(const struct log_record *r)
{
	for (int i = 0; i < nexporters; i++)
		if (exporters[i]->log)
			exporters[i]->log(exporters[i], r);
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
	for (int i = 0; i < nexporters; i++)
		exporters[i]->close(exporters[i]);
	/* After close: the counts include what the shutdown flush sent or gave up on. */
	export_summary();
	nexporters = 0;
}
