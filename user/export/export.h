/* SPDX-License-Identifier: BSD-2-Clause */
/* The exporter interface: each backend turns spans into its own wire format. */
#ifndef PYSPAN_EXPORT_H
#define PYSPAN_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "span/logrec.h"
#include "net/delivery.h"
#include "span/span.h"
#include "span/view.h"

struct exporter {
	const char *name;
	/* Take one finished span and its view (span/view.h), built once for every exporter; the
	 * exporter copies what it keeps of either. */
	void (*span)(struct exporter *ex, const struct span *s, const struct span_view *v);
	/* Optional: take one log record (logrec.h); exporters without logs leave it NULL. */
	void (*log)(struct exporter *ex, const struct log_record *r);
	/* Push out what is buffered (called after every batch of events); must not block. */
	void (*flush)(struct exporter *ex);
	/* Flush within the shutdown deadline and release; the exporter is not used again. */
	void (*close)(struct exporter *ex);
	/* Optional: extra words for the exit summary ("daemon 127.0.0.1:2000, 2 truncated"). */
	void (*describe)(struct exporter *ex, char *buf, size_t len);
	/* What reached the backend, was retried, was given up on: the exporter's own counts, or
	 * its delivery queue's (net/delivery.h adds to counts), read through either name. */
	union {
		struct delivery_counts counts;
		struct {
			uint64_t sent;
			uint64_t retried;
			uint64_t dropped;
		};
	};
};

struct exporter *export_stdout_new(void);

/* The exporters in use, fed by span_finish. */
void export_register(struct exporter *ex);
/* Sampling decides once (sampling.h), redaction runs, the view is built, then every exporter
 * gets the kept span with its view. */
void export_span(const struct span *s);
/* A server span and the client spans made while it was in flight: one sampling decision (the
 * parent's) for all, the children handed to each exporter before the parent. */
void export_span_group(const struct span *parent, const struct span *children, int n);
/* Every exporter that takes logs gets the record (no sampling: logs are all kept). */
void export_log(const struct log_record *r);
/* Does any exporter in use take log records? */
int export_wants_logs(void);
void export_flush_all(void);
/* --flush-deadline: how long export_close_all may spend delivering what is queued (5 s). */
void export_set_flush_deadline(uint32_t seconds);
/* pyspan is stopping: the flush deadline counts from now, so detaching probes (which can take
 * seconds with many of them) comes out of the same budget. export_close_all calls it too. */
void export_shutdown_begins(void);
/* The exporters in use, for --stats and the metrics endpoint. */
int export_count(void);
struct exporter *export_at(int i);
/* Send what every HTTP queue holds within the flush deadline (all queues together), close
 * every exporter, then print one stderr line each with sent / retried / dropped. */
void export_close_all(void);

#endif
