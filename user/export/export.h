/* The exporter interface: each backend turns spans into its own wire format. */
#ifndef PYSPAN_EXPORT_H
#define PYSPAN_EXPORT_H

#include <stdint.h>

#include "span.h"

struct exporter {
	const char *name;
	/* Take one finished span; the exporter copies what it keeps. */
	void (*span)(struct exporter *ex, const struct span *s);
	/* Push out what is buffered (called after every batch of events). */
	void (*flush)(struct exporter *ex);
	/* Flush and release; the exporter is not used again. */
	void (*close)(struct exporter *ex);
	uint64_t sent;
	uint64_t dropped;
};

struct exporter *export_stdout_new(void);

/* The exporters in use, fed by span_finish. */
void export_register(struct exporter *ex);
void export_span(const struct span *s);
void export_flush_all(void);
void export_close_all(void);

#endif
