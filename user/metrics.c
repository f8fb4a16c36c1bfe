// SPDX-License-Identifier: BSD-2-Clause
/* pyspan's own counters: a --stats line on stderr and Prometheus text on --metrics-port. */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* --- the listener ---------------------------------------------------------------------- */

#define CLIENTS_MAX 8
#define REQUEST_MAX 2048 /* a GET line and a few headers; anything longer is refused */
#define CLIENT_TIMEOUT_POLLS 50

struct client {
	int fd;
	size_t len;
	int polls; /* main-loop turns without the request completing */
	char req[REQUEST_MAX];
};

struct metrics_server {
	int fd;
	int port;
	struct client clients[CLIENTS_MAX];
};

struct metrics_server *metrics_server_open(const char *address, int port)
{
	struct metrics_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1;

	if (!s)
		return NULL;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, address, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, address, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		log_msg("metrics: '%s' is not an IP address", address);
		free(s);
		return NULL;
	}
	for (int i = 0; i < CLIENTS_MAX; i++)
		s->clients[i].fd = -1;
	s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s->fd, (struct sockaddr *)&ss, sl) || listen(s->fd, 16)) {
		log_msg("metrics: cannot listen on %s port %d: %s", address, port, strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	if (getsockname(s->fd, (struct sockaddr *)&ss, &sl) == 0)
		s->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
							  ((struct sockaddr_in6 *)&ss)->sin6_port);
	return s;
}

int metrics_server_port(const struct metrics_server *s)
{
	return s ? s->port : 0;
}

static void drop_client(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->polls = 0;
}

/* Best effort: the answer is small and the socket buffer empty, so one send takes it all;
 * a client that does not read it loses it. */
static void respond(struct client *c, const char *status, const char *type, const char *body,
		    size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, type, len);

	if (send(c->fd, head, (size_t)n, MSG_NOSIGNAL) == n && len)
		if (send(c->fd, body, len, MSG_NOSIGNAL) < 0)
			log_debug("metrics: answering a scrape failed: %s", strerror(errno));
	drop_client(c);
}

static void serve(struct client *c, void (*fill)(struct metrics_snapshot *m, void *arg),
		  void *arg)
{
	static const char nf[] = "not found; pyspan serves GET /metrics\n";
	size_t sp;

	if (strncmp(c->req, "GET ", 4) && strncmp(c->req, "HEAD ", 5)) {
		respond(c, "405 Method Not Allowed", "text/plain", "GET only\n", 9);
		return;
	}
	sp = c->req[0] == 'G' ? 4 : 5;
	if (strncmp(c->req + sp, "/metrics", 8) == 0 &&
	    (c->req[sp + 8] == ' ' || c->req[sp + 8] == '?')) {
		struct metrics_snapshot m;
		size_t cap = 16384, len = 0;
		char *body = NULL;

		memset(&m, 0, sizeof(m));
		fill(&m, arg);
		/* Grown until the text fits; a few KiB in practice. */
		for (;;) {
			char *bigger = realloc(body, cap);

			if (!bigger) {
				free(body);
				body = NULL;
				break;
			}
			body = bigger;
			len = metrics_prometheus(&m, body, cap);
			if (len < cap - 1 || cap >= (1u << 22))
				break;
			cap *= 2;
		}
		if (!body) {
			respond(c, "503 Service Unavailable", "text/plain", "", 0);
			return;
		}
		respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body,
			c->req[0] == 'G' ? len : 0);
		free(body);
		return;
	}
	respond(c, "404 Not Found", "text/plain", nf, sizeof(nf) - 1);
}

void metrics_server_poll(struct metrics_server *s,
			 void (*fill)(struct metrics_snapshot *m, void *arg), void *arg)
{
	if (!s)
		return;
	for (;;) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int i;

		if (fd < 0)
			break;
		for (i = 0; i < CLIENTS_MAX && s->clients[i].fd >= 0; i++)
			;
		if (i == CLIENTS_MAX) {
			close(fd); /* busy: a scraper tries again */
			continue;
		}
		s->clients[i].fd = fd;
	}
	for (int i = 0; i < CLIENTS_MAX; i++) {
		struct client *c = &s->clients[i];
		ssize_t n;

		if (c->fd < 0)
			continue;
		n = recv(c->fd, c->req + c->len, sizeof(c->req) - 1 - c->len, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			drop_client(c);
			continue;
		}
		if (n > 0) {
			c->len += (size_t)n;
			c->req[c->len] = '\0';
		}
		if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n")) {
			serve(c, fill, arg);
		} else if (c->len >= sizeof(c->req) - 1) {
			respond(c, "431 Request Header Fields Too Large", "text/plain", "", 0);
		} else if (++c->polls > CLIENT_TIMEOUT_POLLS) {
			drop_client(c); /* a slow or idle client does not hold a slot */
		}
	}
}

void metrics_server_close(struct metrics_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < CLIENTS_MAX; i++)
		if (s->clients[i].fd >= 0)
			close(s->clients[i].fd);
	close(s->fd);
	free(s);
}
