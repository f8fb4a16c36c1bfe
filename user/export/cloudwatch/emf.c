// SPDX-License-Identifier: BSD-2-Clause
/* CloudWatch Embedded Metric Format: request count, 4xx, 5xx and latency per service and route. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/cloudwatch/emf.h"

struct emf_key {
	char *service, *route;
	uint64_t requests, errors, faults;
	double samples[EMF_MAX_SAMPLES];
	int nsamples;
	uint64_t seen; /* latencies offered: the sample keeps each with equal chance */
	struct emf_key *next;
};

struct emf {
	char ns[256];
	struct emf_key *keys;
	int nkeys;
	uint64_t pending;
	uint64_t rng;
};

struct emf *emf_new(const char *ns, uint64_t seed)
{
	struct emf *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	snprintf(m->ns, sizeof(m->ns), "%s", ns);
	m->rng = seed | 1;
	return m;
}

static uint64_t next_rand(struct emf *m)
{
	uint64_t z = (m->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static struct emf_key *key_for(struct emf *m, const char *service, const char *route)
{
	struct emf_key *k;

	for (k = m->keys; k; k = k->next)
		if (!strcmp(k->service, service) && !strcmp(k->route, route))
			return k;
	if (m->nkeys >= EMF_MAX_KEYS && strcmp(route, "(other)"))
		return key_for(m, service, "(other)");
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->service = strdup(service);
	k->route = strdup(route);
	if (!k->service || !k->route) {
		free(k->service);
		free(k->route);
		free(k);
		return NULL;
	}
	k->next = m->keys;
	m->keys = k;
	m->nkeys++;
	return k;
}

void emf_add(struct emf *m, const char *service, const char *route, int error, int fault,
	     double latency_ms)
{
	struct emf_key *k = key_for(m, service && service[0] ? service : "unknown",
				    route && route[0] ? route : "(none)");

	if (!k)
		return;
	k->requests++;
	k->errors += error != 0;
	k->faults += fault != 0;
	m->pending++;
	/* Algorithm R: past the bound each latency replaces a kept one with equal chance. */
	k->seen++;
	if (k->nsamples < EMF_MAX_SAMPLES) {
		k->samples[k->nsamples++] = latency_ms;
	} else {
		uint64_t j = next_rand(m) % k->seen;

		if (j < EMF_MAX_SAMPLES)
			k->samples[j] = latency_ms;
	}
}

uint64_t emf_pending(const struct emf *m)
{
	return m->pending;
}

static void add_metric(cJSON *metrics, const char *name, const char *unit)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "Name", name);
	cJSON_AddStringToObject(d, "Unit", unit);
	cJSON_AddItemToArray(metrics, d);
}

/* One document: the counts when with_counts, and latencies[from, from + n). */
static char *document(const struct emf *m, const struct emf_key *k, uint64_t ts_ms,
		      int with_counts, int from, int n)
{
	cJSON *o = cJSON_CreateObject(), *aws, *dirs, *dir, *dims, *set, *metrics, *lat;
	char *text;

	aws = cJSON_AddObjectToObject(o, "_aws");
	cJSON_AddNumberToObject(aws, "Timestamp", (double)ts_ms);
	dirs = cJSON_AddArrayToObject(aws, "CloudWatchMetrics");
	dir = cJSON_CreateObject();
	cJSON_AddItemToArray(dirs, dir);
	cJSON_AddStringToObject(dir, "Namespace", m->ns);
	dims = cJSON_AddArrayToObject(dir, "Dimensions");
	set = cJSON_CreateArray();
	cJSON_AddItemToArray(set, cJSON_CreateString("Service"));
	cJSON_AddItemToArray(set, cJSON_CreateString("Route"));
	cJSON_AddItemToArray(dims, set);
	set = cJSON_CreateArray();
	cJSON_AddItemToArray(set, cJSON_CreateString("Service"));
	cJSON_AddItemToArray(dims, set);
	metrics = cJSON_AddArrayToObject(dir, "Metrics");
	if (with_counts) {
		add_metric(metrics, "Requests", "Count");
		add_metric(metrics, "Errors", "Count");
		add_metric(metrics, "Faults", "Count");
	}
	if (n > 0)
		add_metric(metrics, "Latency", "Milliseconds");
	cJSON_AddStringToObject(o, "Service", k->service);
	cJSON_AddStringToObject(o, "Route", k->route);
	if (with_counts) {
		cJSON_AddNumberToObject(o, "Requests", (double)k->requests);
		cJSON_AddNumberToObject(o, "Errors", (double)k->errors);
		cJSON_AddNumberToObject(o, "Faults", (double)k->faults);
	}
	if (n > 0) {
		lat = cJSON_AddArrayToObject(o, "Latency");
		for (int i = 0; i < n; i++) {
			/* microsecond precision is plenty and keeps documents short */
			double v = (double)(int64_t)(k->samples[from + i] * 1000.0 + 0.5) / 1000.0;

			cJSON_AddItemToArray(lat, cJSON_CreateNumber(v));
		}
	}
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

int emf_flush(struct emf *m, uint64_t ts_ms, void (*out)(void *arg, char *doc), void *arg)
{
	struct emf_key *k, *next;
	int docs = 0;

	for (k = m->keys; k; k = next) {
		next = k->next;
		for (int from = 0; from == 0 || from < k->nsamples; from += EMF_MAX_VALUES) {
			int n = k->nsamples - from;
			char *doc;

			if (n > EMF_MAX_VALUES)
				n = EMF_MAX_VALUES;
			doc = document(m, k, ts_ms, from == 0, from, n);
			if (doc) {
				out(arg, doc);
				docs++;
			}
		}
		free(k->service);
		free(k->route);
		free(k);
	}
	m->keys = NULL;
	m->nkeys = 0;
	m->pending = 0;
	return docs;
}

void emf_free(struct emf *m)
{
	struct emf_key *k, *next;

	if (!m)
		return;
	for (k = m->keys; k; k = next) {
		next = k->next;
		free(k->service);
		free(k->route);
		free(k);
	}
	free(m);
}
