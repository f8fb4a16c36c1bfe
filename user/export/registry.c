/* The list of exporters in use; every finished span goes to each of them. */
#include "export/export.h"

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
	for (int i = 0; i < nexporters; i++)
		exporters[i]->span(exporters[i], s);
}

void export_flush_all(void)
{
	for (int i = 0; i < nexporters; i++)
		if (exporters[i]->flush)
			exporters[i]->flush(exporters[i]);
}

void export_close_all(void)
{
	for (int i = 0; i < nexporters; i++)
		exporters[i]->close(exporters[i]);
	nexporters = 0;
}
