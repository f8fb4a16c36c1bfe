// SPDX-License-Identifier: BSD-2-Clause
/* The X-Ray exporter: segments to the daemon over UDP, or to PutTraceSegments over HTTPS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export/xray/xray.h"
#include "export/xray/xray_addr.h"
#include "export/xray/xray_api.h"
#include "export/xray/xray_segment.h"
#include "lib/log.h"
#include "net/udp.h"

#define DAEMON_HEADER "{\"format\": \"json\", \"version\": 1}\n"
/* Header plus document stay under 64 kB, the daemon's read buffer and X-Ray's document
 * limit, and under IPv4's largest UDP payload. */
#define DAEMON_DOC_MAX (64000 - (sizeof(DAEMON_HEADER) - 1))
#define RESOLVE_RETRY_S 5
/* Outbound calls arrive just before the request they were made in (export_span_group): they
 * wait here to become its subsegments. One whose request does not come within HOLD_NS (it
 * was never answered) is sent as an independent subsegment; so is one past HOLD_MAX. */
#define HOLD_MAX 1024
#define HOLD_NS (5ull * 1000000000ull)
/* Requests already sent, so a call that ends after its request goes out at once. */
#define SENT_RING 256

struct held_call {
	struct span span;
	struct span_view view;
	uint64_t deadline;
};

struct xray {
	struct exporter ex;
	struct xray_segment_opts seg;
	int api;
	/* daemon mode */
	struct xray_addr addr;
	struct udp_sender *udp;
	time_t next_resolve;
	int send_error_logged;
	/* api mode */
	struct xray_api *client;
	uint64_t truncated;
	uint64_t encode_failed;
	struct held_call *held[HOLD_MAX];
	int nheld;
	uint8_t sent_ids[SENT_RING][8];
	unsigned nsent;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Where pyspan runs, when the environment says so; EC2 is never guessed. */
static const char *origin_from_env(void)
{
	if (getenv("ECS_CONTAINER_METADATA_URI_V4") || getenv("ECS_CONTAINER_METADATA_URI"))
		return "AWS::ECS::Container";
	if (getenv("KUBERNETES_SERVICE_HOST"))
		return "AWS::EKS::Container";
	return NULL;
}

static int daemon_ready(struct xray *x)
{
	const char *err = NULL;
	time_t now;

	if (x->udp)
		return 1;
	now = time(NULL);
	if (now < x->next_resolve)
		return 0;
	x->udp = udp_open(x->addr.udp_host, x->addr.udp_port, &err);
	if (!x->udp) {
		if (!x->next_resolve)
			log_msg("xray: cannot resolve the daemon %s:%d (%s); segments are dropped "
				"and counted until it resolves",
				x->addr.udp_host, x->addr.udp_port, err);
		x->next_resolve = now + RESOLVE_RETRY_S;
		return 0;
	}
	return 1;
}

static void daemon_send(struct xray *x, const char *doc)
{
	size_t hl = sizeof(DAEMON_HEADER) - 1, dl = strlen(doc);
	char *dgram = malloc(hl + dl);
	int rc;

	if (!dgram || !daemon_ready(x)) {
		free(dgram);
		x->ex.dropped++;
		return;
	}
	memcpy(dgram, DAEMON_HEADER, hl);
	memcpy(dgram + hl, doc, dl);
	rc = udp_send(x->udp, dgram, hl + dl);
	free(dgram);
	if (rc == 0) {
		x->ex.sent++;
		return;
	}
	x->ex.dropped++;
	if (!x->send_error_logged) {
		log_msg("xray: sending to the daemon at %s:%d failed (%s); counting drops",
			x->addr.udp_host, x->addr.udp_port, strerror(-rc));
		x->send_error_logged = 1;
	}
}

/* One document out, by the configured route; takes doc (NULL: it could not be encoded). */
static void send_doc(struct xray *x, char *doc, const char *id)
{
	if (!doc) {
		x->encode_failed++;
		x->ex.dropped++;
		return;
	}
	if (x->api) {
		xray_api_add(x->client, doc, id); /* takes doc */
	} else {
		daemon_send(x, doc);
		free(doc);
	}
}

static size_t doc_max(const struct xray *x)
{
	return x->api ? XRAY_DOC_MAX : DAEMON_DOC_MAX;
}

static void send_independent(struct xray *x, const struct span *c, const struct span_view *v)
{
	send_doc(x, xray_subsegment_encode(c, v, doc_max(x)), v->span_id);
}

static int was_sent(const struct xray *x, const uint8_t id[8])
{
	unsigned n = x->nsent < SENT_RING ? x->nsent : SENT_RING;

	for (unsigned i = 0; i < n; i++)
		if (memcmp(x->sent_ids[i], id, 8) == 0)
			return 1;
	return 0;
}

static void hold_call(struct xray *x, const struct span *c, const struct span_view *v)
{
	struct held_call *h;

	if (x->nheld == HOLD_MAX || !(h = malloc(sizeof(*h)))) {
		send_independent(x, c, v);
		return;
	}
	/* The copies point at nothing of the caller's: a call has no exception of its own. */
	h->span = *c;
	h->span.exception = NULL;
	h->view = *v;
	h->view.exception = NULL;
	h->view.exception_source = NULL;
	h->view.stacktrace = NULL;
	h->view.client_socket_addr = "";
	h->deadline = mono_ns() + HOLD_NS;
	x->held[x->nheld++] = h;
}

/* A request's segment, with the calls held for it as its subsegments. */
static void send_request(struct xray *x, const struct span *s, const struct span_view *v)
{
	const struct span *calls[HOLD_MAX];
	const struct span_view *views[HOLD_MAX];
	struct held_call *mine[HOLD_MAX];
	int n = 0, kept = 0, cut = 0, embedded = 0;
	char *doc;

	for (int i = 0; i < x->nheld; i++) {
		if (memcmp(x->held[i]->span.parent_id, s->span_id, 8) == 0) {
			mine[n] = x->held[i];
			views[n] = &x->held[i]->view;
			calls[n++] = &x->held[i]->span;
		} else {
			x->held[kept++] = x->held[i];
		}
	}
	x->nheld = kept;
	doc = xray_segment_encode_calls(s, v, calls, views, n, &x->seg, doc_max(x), &cut,
					&embedded);
	if (cut)
		x->truncated++;
	send_doc(x, doc, v->span_id);
	memcpy(x->sent_ids[x->nsent++ % SENT_RING], s->span_id, 8);
	/* Too many to fit in one document: each goes on its own, under the segment. */
	for (int i = 0; i < n; i++) {
		if (!embedded)
			send_independent(x, calls[i], views[i]);
		free(mine[i]);
	}
}

static void xray_span(struct exporter *ex, const struct span *s, const struct span_view *v)
{
	struct xray *x = (struct xray *)ex;

	if (s->kind == SPAN_SERVER)
		send_request(x, s, v);
	else if (!s->has_parent)
		send_doc(x, xray_call_segment_encode(s, v, &x->seg, doc_max(x)), v->span_id);
	else if (was_sent(x, s->parent_id))
		send_independent(x, s, v);
	else
		hold_call(x, s, v);
}

/* Calls whose request never came: independent subsegments (all of them when closing). */
static void release_held(struct xray *x, int all)
{
	uint64_t now = mono_ns();
	int kept = 0;

	for (int i = 0; i < x->nheld; i++) {
		if (all || x->held[i]->deadline <= now) {
			send_independent(x, &x->held[i]->span, &x->held[i]->view);
			free(x->held[i]);
		} else {
			x->held[kept++] = x->held[i];
		}
	}
	x->nheld = kept;
}

static void xray_flush(struct exporter *ex)
{
	struct xray *x = (struct xray *)ex;

	if (x->nheld)
		release_held(x, 0);
	if (x->api)
		xray_api_poll(x->client);
}

static void xray_describe(struct exporter *ex, char *buf, size_t len)
{
	struct xray *x = (struct xray *)ex;
	size_t off;

	if (x->api)
		off = (size_t)xray_api_describe(x->client, buf, len);
	else
		off = (size_t)snprintf(buf, len, "daemon %s:%d", x->addr.udp_host,
				       x->addr.udp_port);
	if (off < len)
		snprintf(buf + off, len - off, ", %llu truncated to fit 64 kB, %llu not encodable",
			 (unsigned long long)x->truncated, (unsigned long long)x->encode_failed);
}

static void xray_close(struct exporter *ex)
{
	struct xray *x = (struct xray *)ex;

	release_held(x, 1);
	if (x->api)
		xray_api_close(x->client);
	udp_close(x->udp);
	x->udp = NULL;
	/* The registry prints the summary after close: the struct lives until exit. */
}

struct exporter *export_xray_new(const struct xray_opts *o)
{
	struct xray *x = calloc(1, sizeof(*x));

	if (!x) {
		log_msg("out of memory");
		return NULL;
	}
	x->ex.name = "xray";
	x->ex.span = xray_span;
	x->ex.flush = xray_flush;
	x->ex.close = xray_close;
	x->ex.describe = xray_describe;
	x->seg.service_version = o->service_version;
	x->seg.origin = origin_from_env();
	x->api = o->api;
	if (o->api) {
		x->client = xray_api_new(o, &x->ex);
		if (!x->client) {
			free(x);
			return NULL;
		}
		return &x->ex;
	}
	{
		const char *v = o->daemon_address ? o->daemon_address
						  : getenv("AWS_XRAY_DAEMON_ADDRESS");

		if (xray_addr_parse(v && v[0] ? v : XRAY_DAEMON_DEFAULT, &x->addr)) {
			log_msg("AWS_XRAY_DAEMON_ADDRESS '%s' is not host:port nor "
				"'tcp:host:port udp:host:port'", v);
			free(x);
			return NULL;
		}
	}
	daemon_ready(x);
	return &x->ex;
}
