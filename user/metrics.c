// SPDX-License-Identifier: BSD-2-Clause
/* pyspan's own counters: a --stats line on stderr and the Prometheus text metrics_server.c
 * serves on --metrics-port. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "export/export.h"
#include "lib/log.h"
#include "lib/sink.h"
#include "metrics.h"
#include "net/delivery.h"
#include "python/pyexc.h"
#include "span/redact.h"
#include "span/sampling.h"
#include "track/conn.h"
#include "track/http_server.h"
#include "track/proc_output.h"

void metrics_collect(struct metrics_snapshot *m)
{
	const struct http_server_stats *hs = http_server_stats();
	const struct sampling_stats *ss = sampling_stats();

	m->spans = hs->spans;
	m->parse_errors = hs->parse_errors;
	m->unmatched_responses = hs->unmatched_responses;
	m->connections = conn_stats()->opened;
	m->exceptions = pyexc_stats()->events;
	m->tracebacks = proc_output_stats()->tracebacks;
	m->sampled_kept = ss->kept;
	m->sampled_out_caller = ss->dropped_by_caller;
	m->sampled_out_here = ss->dropped_by_sampler;
	m->redactions = redact_stats()->replaced;
	m->nexporters = 0;
	for (int i = 0; i < export_count() && m->nexporters < METRICS_MAX_EXPORTERS; i++) {
		const struct exporter *ex = export_at(i);

		m->exporters[m->nexporters].name = ex->name;
		m->exporters[m->nexporters].sent = ex->sent;
		m->exporters[m->nexporters].retried = ex->retried;
		m->exporters[m->nexporters].dropped = ex->dropped;
		m->nexporters++;
	}
	m->nqueues = 0;
	for (int i = 0; i < delivery_count() && m->nqueues < METRICS_MAX_QUEUES; i++) {
		struct delivery *d = delivery_at(i);
		struct delivery_stats ds;

		if (!d)
			continue;
		delivery_get_stats(d, &ds);
		m->queues[m->nqueues].name = delivery_name(d);
		m->queues[m->nqueues].items = ds.queued_items;
		m->queues[m->nqueues].bytes = ds.queued_bytes;
		m->queues[m->nqueues].requests = ds.requests;
		m->queues[m->nqueues].failures = ds.failures;
		m->queues[m->nqueues].inflight = ds.inflight;
		m->nqueues++;
	}
}

/* A label value: backslash, double quote and newline escaped, as the format requires. */
static void put_label(struct sink *s, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			sink_put(s, "\\", 1);
		if (*v == '\n')
			sink_put(s, "\\n", 2);
		else
			sink_put(s, v, 1);
	}
}

static void header(struct sink *s, const char *name, const char *type, const char *help)
{
	char b[512];
	int n = snprintf(b, sizeof(b), "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);

	sink_put(s, b, (size_t)n < sizeof(b) ? (size_t)n : sizeof(b) - 1);
}

static void sample(struct sink *s, const char *name, const char *label, const char *value,
		   uint64_t v)
{
	char b[64];
	int n;

	sink_put(s, name, strlen(name));
	if (label) {
		sink_put(s, "{", 1);
		sink_put(s, label, strlen(label));
		sink_put(s, "=\"", 2);
		put_label(s, value);
		sink_put(s, "\"}", 2);
	}
	n = snprintf(b, sizeof(b), " %llu\n", (unsigned long long)v);
	sink_put(s, b, (size_t)n);
}

static void one(struct sink *s, const char *name, const char *type, const char *help, uint64_t v)
{
	header(s, name, type, help);
	sample(s, name, NULL, NULL, v);
}

size_t metrics_prometheus(const struct metrics_snapshot *m, char *buf, size_t cap)
{
	struct sink s = { buf, cap, 0 };

	if (cap)
		buf[0] = '\0';
	one(&s, "pyspan_events_total", "counter", "Capture records read from the kernel.",
	    m->events);
	header(&s, "pyspan_drops_total", "counter",
	       "Events the kernel side could not deliver, by cause.");
	for (int i = 0; i < DROP__COUNT; i++)
		sample(&s, "pyspan_drops_total", "cause", capture_drop_name(i), m->drops[i]);
	one(&s, "pyspan_spans_total", "counter", "Spans finished (before sampling).", m->spans);
	one(&s, "pyspan_connections_total", "counter", "Socket connections seen.",
	    m->connections);
	one(&s, "pyspan_parse_errors_total", "counter", "Bytes that could not be parsed as HTTP.",
	    m->parse_errors);
	one(&s, "pyspan_unmatched_responses_total", "counter",
	    "Responses to requests pyspan did not see.", m->unmatched_responses);
	one(&s, "pyspan_exceptions_total", "counter", "Python exceptions read from interpreters.",
	    m->exceptions);
	one(&s, "pyspan_tracebacks_total", "counter", "Tracebacks parsed from process output.",
	    m->tracebacks);
	header(&s, "pyspan_sampling_total", "counter", "Sampling decisions, by outcome.");
	sample(&s, "pyspan_sampling_total", "decision", "kept", m->sampled_kept);
	sample(&s, "pyspan_sampling_total", "decision", "dropped_by_caller", m->sampled_out_caller);
	sample(&s, "pyspan_sampling_total", "decision", "dropped_by_sampler", m->sampled_out_here);
	one(&s, "pyspan_redactions_total", "counter", "Secrets replaced by REDACTED.",
	    m->redactions);
	one(&s, "pyspan_traced_processes", "gauge", "Processes traced now.",
	    (uint64_t)(m->processes > 0 ? m->processes : 0));
	if (m->nexporters) {
		static const char *const what[] = { "sent", "retried", "dropped" };
		static const char *const help[] = {
			"Spans an exporter delivered.",
			"Deliveries an exporter tried again.",
			"Spans an exporter gave up on.",
		};

		for (int k = 0; k < 3; k++) {
			char name[64];

			snprintf(name, sizeof(name), "pyspan_export_%s_total", what[k]);
			header(&s, name, "counter", help[k]);
			for (int i = 0; i < m->nexporters; i++)
				sample(&s, name, "exporter", m->exporters[i].name,
				       k == 0 ? m->exporters[i].sent :
				       k == 1 ? m->exporters[i].retried :
						m->exporters[i].dropped);
		}
	}
	if (m->nqueues) {
		static const struct {
			const char *name, *type, *help;
		} q[] = {
			{ "pyspan_export_queue_items", "gauge", "Items waiting or in flight." },
			{ "pyspan_export_queue_bytes", "gauge", "Bytes waiting or in flight." },
			{ "pyspan_export_requests_total", "counter", "HTTP requests started." },
			{ "pyspan_export_request_failures_total", "counter",
			  "HTTP requests answered with an error or not answered." },
			{ "pyspan_export_inflight_requests", "gauge", "HTTP requests in flight." },
		};

		for (size_t k = 0; k < sizeof(q) / sizeof(q[0]); k++) {
			header(&s, q[k].name, q[k].type, q[k].help);
			for (int i = 0; i < m->nqueues; i++)
				sample(&s, q[k].name, "queue", m->queues[i].name,
				       k == 0 ? m->queues[i].items :
				       k == 1 ? m->queues[i].bytes :
				       k == 2 ? m->queues[i].requests :
				       k == 3 ? m->queues[i].failures :
						m->queues[i].inflight);
		}
	}
	return s.len;
}

void metrics_status_line(const struct metrics_snapshot *m, char *buf, size_t cap)
{
	struct sink s = { buf, cap, 0 };
	char b[256];
	int n, any = 0;
	uint64_t total = 0;

	if (!cap)
		return;
	buf[0] = '\0';
	for (int i = 0; i < DROP__COUNT; i++)
		total += m->drops[i];
	n = snprintf(b, sizeof(b), "stats: %llu events, %llu spans, %llu kept, %llu drops",
		     (unsigned long long)m->events, (unsigned long long)m->spans,
		     (unsigned long long)m->sampled_kept, (unsigned long long)total);
	sink_put(&s, b, (size_t)n);
	for (int i = 0; i < DROP__COUNT; i++) {
		if (!m->drops[i])
			continue;
		n = snprintf(b, sizeof(b), "%s%s %llu", any++ ? ", " : " (", capture_drop_name(i),
			     (unsigned long long)m->drops[i]);
		sink_put(&s, b, (size_t)n);
	}
	if (any)
		sink_put(&s, ")", 1);
	for (int i = 0; i < m->nexporters; i++) {
		n = snprintf(b, sizeof(b), "; %.40s %llu sent %llu retried %llu dropped",
			     m->exporters[i].name, (unsigned long long)m->exporters[i].sent,
			     (unsigned long long)m->exporters[i].retried,
			     (unsigned long long)m->exporters[i].dropped);
		sink_put(&s, b, (size_t)n);
	}
	for (int i = 0; i < m->nqueues; i++) {
		n = snprintf(b, sizeof(b), "; queue %.40s %llu items %llu bytes %llu in flight",
			     m->queues[i].name, (unsigned long long)m->queues[i].items,
			     (unsigned long long)m->queues[i].bytes,
			     (unsigned long long)m->queues[i].inflight);
		sink_put(&s, b, (size_t)n);
	}
}
