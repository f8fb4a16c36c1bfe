/* SPDX-License-Identifier: BSD-2-Clause */
/* CloudWatch Embedded Metric Format: request count, 4xx, 5xx and latency per service and route. */
#ifndef PYSPAN_EXPORT_EMF_H
#define PYSPAN_EXPORT_EMF_H

#include <stdint.h>

#define EMF_MAX_VALUES 100    /* values in one metric array (EMF limit) */
#define EMF_MAX_SAMPLES 1000  /* latencies kept per key and interval: a uniform sample */
#define EMF_MAX_KEYS 1000     /* (service, route) pairs per interval; the rest go to "(other)" */

struct emf;

struct emf *emf_new(const char *ns, uint64_t seed);
/* One finished request: error for a 4xx, fault for a 5xx (span_view's http_4xx and fault). */
void emf_add(struct emf *m, const char *service, const char *route, int error, int fault,
	     double latency_ms);
/* The interval's documents, one per (service, route) plus one per further EMF_MAX_VALUES
 * latencies, each malloc'd JSON passed to out (which takes it); then the interval starts
 * over. Returns how many documents. */
int emf_flush(struct emf *m, uint64_t ts_ms, void (*out)(void *arg, char *doc), void *arg);
/* Requests counted since the last flush. */
uint64_t emf_pending(const struct emf *m);
void emf_free(struct emf *m);

#endif
