// SPDX-License-Identifier: BSD-2-Clause
/* The delivery queue against a real loopback HTTP server: batching, order, bounds, retries,
 * Retry-After, refusals, per-item answers, timeouts, the shutdown deadline, and exact counts. */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "export/export.h"
#include "lib/clock.h"
#include "net/delivery.h"
#include "net/http.h"

/* ---- a scripted loopback server ---- */

struct reply {
	int status;          /* 0: accept and never answer */
	const char *headers; /* extra header lines, each ending "\r\n" */
	const char *body;
};

#define MAX_REQS 64
#define MAX_HELD 16

struct tsrv {
	int fd, port, stop;
	pthread_t thread;
	pthread_mutex_t mu;
	struct reply script[16];
	int nscript;
	struct reply dflt;
	int nreq;
	char bodies[MAX_REQS][512];
	uint64_t at_ms[MAX_REQS];
	int held[MAX_HELD];
	int nheld;
};

static uint64_t now_ms(void)
{
	return clock_mono_now_ns() / 1000000ull;
}

static void srv_handle(struct tsrv *s, int c)
{
	char req[8192];
	size_t len = 0;
	ssize_t r;
	char *hend = NULL, *body = "";
	struct reply rp;
	int n;

	while (len < sizeof(req) - 1 && (r = read(c, req + len, sizeof(req) - 1 - len)) > 0) {
		len += (size_t)r;
		req[len] = '\0';
		hend = strstr(req, "\r\n\r\n");
		if (hend) {
			char *cl = strcasestr(req, "\r\nContent-Length:");
			size_t want = cl ? (size_t)atoi(cl + 17) : 0;

			if (len >= (size_t)(hend + 4 - req) + want)
				break;
		}
	}
	req[len] = '\0';
	if (hend)
		body = hend + 4;
	pthread_mutex_lock(&s->mu);
	n = s->nreq;
	rp = n < s->nscript ? s->script[n] : s->dflt;
	if (n < MAX_REQS) {
		snprintf(s->bodies[n], sizeof(s->bodies[n]), "%s", body);
		s->at_ms[n] = now_ms();
	}
	s->nreq++;
	pthread_mutex_unlock(&s->mu);
	if (rp.status == 0) {
		if (s->nheld < MAX_HELD) {
			s->held[s->nheld++] = c;
			return;
		}
	} else {
		char head[512];
		const char *b = rp.body ? rp.body : "";

		snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n",
			 rp.status, rp.headers ? rp.headers : "", strlen(b));
		if (write(c, head, strlen(head)) >= 0 && write(c, b, strlen(b)) < 0)
			perror("test server write");
	}
	close(c);
}

static void *srv_run(void *arg)
{
	struct tsrv *s = arg;

	while (!s->stop) {
		struct pollfd p = { s->fd, POLLIN, 0 };
		int c;

		if (poll(&p, 1, 20) <= 0)
			continue;
		c = accept(s->fd, NULL, NULL);
		if (c >= 0)
			srv_handle(s, c);
	}
	return NULL;
}

static int srv_start(struct tsrv *s, struct reply dflt)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->dflt = dflt;
	pthread_mutex_init(&s->mu, NULL);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) || listen(s->fd, 32) ||
	    getsockname(s->fd, (struct sockaddr *)&a, &al))
		return -1;
	s->port = ntohs(a.sin_port);
	return pthread_create(&s->thread, NULL, srv_run, s);
}

static void srv_stop(struct tsrv *s)
{
	s->stop = 1;
	pthread_join(s->thread, NULL);
	for (int i = 0; i < s->nheld; i++)
		close(s->held[i]);
	close(s->fd);
	pthread_mutex_destroy(&s->mu);
}

static int srv_count(struct tsrv *s)
{
	int n;

	pthread_mutex_lock(&s->mu);
	n = s->nreq;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* A port nothing listens on: connections are refused. */
static int closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &al);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* ---- a test exporter: items are short strings, a request body is "[a,b,c]" ---- */

struct tctx {
	int port;
	int not_yet;      /* build answers "not yet" this many times */
	int unbuildable;  /* build answers -1 */
	int builds;
	int per_item;     /* the answer body is one letter per item: S(ent) R(etry) D(rop) */
	char header[64];  /* X-Rate-Limit-Remaining-Seconds of the latest answer */
};

static int t_build(void *ctx, struct delivery_item **items, int n, struct delivery_request *rq)
{
	struct tctx *t = ctx;
	size_t len = 2;
	char *p;

	t->builds++;
	if (t->unbuildable)
		return -1;
	if (t->not_yet > 0) {
		t->not_yet--;
		return 1;
	}
	for (int i = 0; i < n; i++)
		len += items[i]->len + 1;
	rq->body = p = malloc(len + 1);
	if (!p)
		return 1;
	*p++ = '[';
	for (int i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		memcpy(p, items[i]->data, items[i]->len);
		p += items[i]->len;
	}
	*p++ = ']';
	*p = '\0';
	rq->len = (size_t)(p - rq->body);
	snprintf(rq->url, sizeof(rq->url), "http://127.0.0.1:%d/batch", t->port);
	if (delivery_header(rq, "Content-Type", "text/plain"))
		return -1;
	return 0;
}

static void t_result(void *ctx, struct delivery_item **items, int n, const struct http_response *r,
		     enum delivery_outcome *out, double *retry_after_s)
{
	struct tctx *t = ctx;

	if (!http_response_header(r, "x-rate-limit-remaining-seconds", t->header,
				  sizeof(t->header)))
		t->header[0] = '\0';
	if (!t->per_item || r->error || r->status != 200)
		return;
	for (int i = 0; i < n && r->body[i]; i++)
		out[i] = r->body[i] == 'S' ? DELIVERY_SENT :
			 r->body[i] == 'R' ? DELIVERY_RETRY : DELIVERY_DROP;
}

static const struct delivery_ops ops = { .build = t_build, .result = t_result };

static void limits(struct delivery_limits *l)
{
	delivery_limits_default(l);
	l->batch_wait_ms = 60000; /* only full batches go, unless a test says otherwise */
	l->backoff_base_ms = 10;
	l->backoff_cap_ms = 50;
	l->timeout_ms = 2000;
}

static char *dup_str(const char *s)
{
	return strdup(s);
}

static void add(struct delivery *d, const char *s, uint64_t key)
{
	delivery_add(d, dup_str(s), strlen(s), key, s);
}

/* Poll (as the main loop does) until cond holds or ms pass. */
#define POLL_UNTIL(d, cond, ms)                                                           \
	do {                                                                              \
		uint64_t until_ = now_ms() + (ms);                                        \
		while (!(cond) && now_ms() < until_) {                                    \
			delivery_poll(d);                                                 \
			http_loop_wait(http_loop(), 5);                                   \
		}                                                                         \
	} while (0)

static void drain(uint64_t ms)
{
	delivery_drain_all(now_ms() + ms);
}

/* stderr into a file, to count log lines. */
static int err_saved = -1;
static FILE *err_file;

static void capture_stderr(void)
{
	fflush(stderr);
	err_file = tmpfile();
	err_saved = dup(2);
	dup2(fileno(err_file), 2);
}

static int stderr_lines_with(const char *needle)
{
	char line[1024];
	int n = 0;

	fflush(stderr);
	dup2(err_saved, 2);
	close(err_saved);
	rewind(err_file);
	while (fgets(line, sizeof(line), err_file))
		n += strstr(line, needle) != NULL;
	fclose(err_file);
	return n;
}

static struct reply OK = { 200, NULL, "" };

/* ---- the cases ---- */

static void test_batch_by_count(void)
{
	struct exporter ex = { .name = "t" };
	struct tctx t = { 0 };
	struct delivery_limits l;
	struct delivery *d;
	struct tsrv s;
	char name[16];

	srv_start(&s, OK);
	t.port = s.port;
	limits(&l);
	l.batch_max_items = 3;
	d = delivery_new("count", &l, &ops, &t, &ex.counts);
	CHECK(d != NULL);
	for (int i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "i%d", i);
		add(d, name, 0);
	}
	POLL_UNTIL(d, ex.sent == 6, 3000);
	CHECK_INT(srv_count(&s), 2);
	CHECK_STR(s.bodies[0], "[i0,i1,i2]");
	CHECK_STR(s.bodies[1], "[i3,i4,i5]");
	CHECK_INT(ex.sent, 6);
	{
		struct delivery_stats st;

		delivery_get_stats(d, &st);
		CHECK_INT(st.queued_items, 1);
		CHECK_INT(st.queued_bytes, 2);
		CHECK_INT(st.requests, 2);
		CHECK_INT(st.last_status, 200);
	}
	/* The partial batch goes at shutdown. */
	drain(3000);
	CHECK_INT(srv_count(&s), 3);
	CHECK_STR(s.bodies[2], "[i6]");
	CHECK_INT(ex.sent, 7);
	CHECK_INT(ex.sent + ex.dropped, 7);
	CHECK_INT(ex.retried, 0);
	delivery_free(d);
	srv_stop(&s);
}

static void test_batch_by_bytes(void)
{
	struct exporter ex = { .name = "t" };
	struct tctx t = { 0 };
	struct delivery_limits l;
	struct delivery *d;
	struct tsrv s;

	srv_start(&s, OK);
	t.port = s.port;
	limits(&l);
	l.batch_max_bytes = 12; /* base 2 + 2 x (4 + 1): two items fit, three do not */
	l.batch_base_bytes = 2;
	l.item_overhead = 1;
	d = delivery_new("bytes", &l, &ops, &t, &ex.counts);
	capture_stderr();
	CHECK_INT(delivery_add(d, dup_str("0123456789"), 10, 0, "big"), -1); /* over on its own */
	add(d, "aaaa", 0);
	add(d, "bbbb", 0);
	add(d, "cccc", 0);
	add(d, "dddd", 0);
	add(d, "eeee", 0);
	POLL_UNTIL(d, srv_count(&s) == 2 && ex.sent == 4, 3000);
	CHECK_STR(s.bodies[0], "[aaaa,bbbb]");
	CHECK_STR(s.bodies[1], "[cccc,dddd]");
	drain(3000);
	CHECK_INT(stderr_lines_with("over the 12-byte request limit"), 1);
	CHECK_INT(srv_count(&s), 3);
	CHECK_STR(s.bodies[2], "[eeee]");
	CHECK_INT(ex.sent, 5);
	CHECK_INT(ex.dropped, 1);
	CHECK_INT(ex.sent + ex.dropped, 6);
	delivery_free(d);
	srv_stop(&s);
}

static void test_batch_by_key_span(void)
{
	struct exporter ex = { .name = "t" };
	struct tctx t = { 0 };
	struct delivery_limits l;
	struct delivery *d;
	struct tsrv s;

	srv_start(&s, OK);
	t.port = s.port;
	limits(&l);
	l.batch_max_key_span = 10;
	d = delivery_new("span", &l, &ops, &t, &ex.counts);
	add(d, "0", 0);
	add(d, "5", 5);
	add(d, "10", 10);
	add(d, "11", 11);
	add(d, "30", 30);
	POLL_UNTIL(d, srv_count(&s) == 2 && ex.sent == 4, 3000);
	CHECK_STR(s.bodies[0], "[0,5,10]");
	CHECK_STR(s.bodies[1], "[11]");
	drain(3000);
	CHECK_INT(srv_count(&s), 3);
	CHECK_STR(s.bodies[2], "[30]");
	CHECK_INT(ex.sent + ex.dropped, 5);
	CHECK_INT(ex.sent, 5);
	delivery_free(d);
	srv_stop(&s);
}

static void test_key_order(void)
{
	struct exporter ex = { .name = "t" };
	struct tctx t = { 0 };
	struct delivery_limits l;
	struct delivery *d;
	struct tsrv s;

	srv_start(&s, OK);
	t.port = s.port;
	limits(&l);
	l.sort_by_key = 1;
	l.batch_max_items = 4;
	d = delivery_new("order", &l, &ops, &t, &ex.counts);
	/* Late arrivals older than what is queued still go out in order. */
	add(d, "50", 50);
	add(d, "30", 30);
	add(d, "90", 90);
	add(d, "10", 10);
	add(d, "30b", 30);
	add(d, "70", 70);
	POLL_UNTIL(d, srv_count(&s) == 1 && ex.sent == 4, 3000);
	CHECK_STR(s.bodies[0], "[10,30,30b,50]");
	add(d, "60", 60);
	drain(3000);
	CHECK_INT(srv_count(&s), 2);
	CHECK_STR(s.bodies[1], "[60,70,90]");
	CHECK_INT(ex.sent, 7);
	CHECK_INT(ex.sent + ex.dropped, 7);
	delivery_free(d);
	srv_stop(&s);
}

static void test_batch_by_time(void)
{
	struct exporter ex = { .name = "t" };
	struct tctx t = { 0 };
	struct delivery_limits l;
	struct delivery *d;
	struct tsrv s;
	uint64_t t0;

	srv_start(&s, OK);
	t.port = s.port;
	limits(&l);
	l.batch_wait_ms = 300;
	d = delivery_new("time", &l, &ops, &t, &ex.counts);
	t0 = now_ms();
	add(d, "a", 0);
	add(d, "b", 0);
	POLL_UNTIL(d, 0, 150);
	CHECK_INT(srv_count(&s), 0); /* a partial batch waits */
	POLL_UNTIL(d, ex.sent == 2, 2000);
	CHECK_INT(srv_count(&s), 1);
	CHECK_STR(s.bodies[0], "[a,b]");
	CHECK(s.at_ms[0] - t0 >= 290 && s.at_ms[0] - t0 < 1000);
	CHECK_INT(ex.sent, 2);
	delivery_free(d);
	srv_stop(&s);
}

static void test_queue_full(void)
{
	struct exporter ex = { .name = "t" };
	struct tctx t = { 0 };
	struct delivery_limits l;
	struct delivery *d;
	struct tsrv s;

	srv_start(&s, OK);
	t.port = s.port;
	limits(&l);
	l.queue_max_bytes = 10;
	d = delivery_new("full", &l, &ops, &t, &ex.counts);
	capture_stderr();
	CHECK_INT(delivery_add(d, dup_str("aaaa"), 4, 0, NULL), 0);
	CHECK_INT(delivery_add(d, dup_str("bbbb"), 4, 0, NULL), 0);
	for (int i = 0; i < 6; i++)
		CHECK_INT(delivery_add(d, dup_str("cccc"), 4, 0, NULL), -1);
	CHECK_INT(ex.dropped, 6);
	drain(3000);
	CHECK_INT(stderr_lines_with("full: export queue full"), 1);
	CHECK_INT(ex.sent, 2);
	CHECK_INT(ex.sent + ex.dropped, 8);
	CHECK_STR(s.bodies[0], "[aaaa,bbbb]");
	delivery_free(d);
	srv_stop(&s);
}

static void test_queue_bytes_setting(void)
{
	struct exporter ex = { .name = "t" };
	struct tctx t = { 0 };
	struct delivery_limits l;
	struct delivery *d;

	limits(&l);
	l.queue_max_bytes = 1000;
	delivery_set_queue_bytes(5); /* the user's setting wins over the exporter's */
	d = delivery_new("setting", &l, &ops, &t, &ex.counts);
	delivery_set_queue_bytes(0);
	capture_stderr();
	CHECK_INT(delivery_add(d, dup_str("aaaa"), 4, 0, NULL), 0);
	CHECK_INT(delivery_add(d, dup_str("bb"), 2, 0, NULL), -1);
	stderr_lines_with("");
	delivery_free(d); /* nothing listens: what is queued is dropped at free */
	CHECK_INT(ex.sent, 0);
	CHECK_INT(ex.dropped, 2);
}

static void test_retry_then_success(void)
{
	struct exporter ex = { .name = "t" };
	struct tctx t = { 0 };
	struct delivery_limits l;
	struct delivery *d;
	struct tsrv s;

	srv_start(&s, OK);
	s.script[0] = (struct reply){ 500, NULL, "oops" };
	s.script[1] = (struct reply){ 503, NULL, "later" };
	s.nscript = 2;
	t.port = s.port;
	limits(&l);
	l.batch_max_items = 3;
	d = delivery_new("retry", &l, &ops, &t, &ex.counts);
	capture_stderr();
	add(d, "a", 0);
	add(d, "b", 0);
	add(d, "c", 0);
	POLL_UNTIL(d, ex.sent == 3, 3000);
	CHECK_INT(stderr_lines_with("retry: a request failed (HTTP 500 oops); retrying"), 1);
	CHECK_INT(srv_count(&s), 3);
	CHECK_STR(s.bodies[2], "[a,b,c]");
	CHECK_INT(ex.sent, 3);
	CHECK_INT(ex.retried, 6); /* three items, twice each */
	CHECK_INT(ex.dropped, 0);
	delivery_free(d);
	srv_stop(&s);
}

static void test_retry_after(void)
{
	struct exporter ex = { .name = "t" };
	struct tctx t = { 0 };
	struct delivery_limits l;
	struct delivery *d;
	struct tsrv s;
	uint64_t gap;

	srv_start(&s, OK);
	s.script[0] = (struct reply){ 429, "Retry-After: 1\r\n", "" };
	/* Beyond the cap (1 s here): cut to it. */
	s.script[1] = (struct reply){ 503, "Retry-After: 3600\r\n", "" };
	s.nscript = 2;
	t.port = s.port;
	limits(&l);
	l.batch_max_items = 1;
	l.retry_after_cap_s = 1;
	d = delivery_new("ra", &l, &ops, &t, &ex.counts);
	add(d, "a", 0);
	POLL_UNTIL(d, ex.sent == 1, 5000);
	CHECK_INT(srv_count(&s), 3);
	gap = s.at_ms[1] - s.at_ms[0];
	CHECK(gap >= 950 && gap < 1600);
	gap = s.at_ms[2] - s.at_ms[1];
	CHECK(gap >= 950 && gap < 1600);
	CHECK_INT(ex.sent, 1);
	CHECK_INT(ex.retried, 2);
	delivery_free(d);
	srv_stop(&s);
}

/* A backend's own reading of its error bodies: {"code": ..., "why": ...}. */
static void t_error_of(const char *body, char *code, size_t cn, char *msg, size_t mn)
{
	const char *c = strstr(body, "\"code\":\""), *w = strstr(body, "\"why\":\"");

	snprintf(code, cn, "%.*s", c ? (int)strcspn(c + 8, "\"") : 0, c ? c + 8 : "");
	snprintf(msg, mn, "%.*s", w ? (int)strcspn(w + 7, "\"") : 0, w ? w + 7 : "");
}

static const struct delivery_ops ops_own_errors = { .build = t_build,
						    .result = t_result,
						    .error_of = t_error_of };

/* Three requests refused with body: one log line, which says want. */
static void refused(const struct delivery_ops *o, const char *body, const char *want)
{
	struct exporter ex = { .name = "t" };
	struct tctx t = { 0 };
	struct delivery_limits l;
	struct delivery *d;
	struct tsrv s;

	srv_start(&s, (struct reply){ 400, "X-Rate-Limit-Remaining-Seconds:   42 \r\n", body });
	t.port = s.port;
	limits(&l);
	l.batch_max_items = 2;
	d = delivery_new("refused", &l, o, &t, &ex.counts);
	capture_stderr();
	for (int i = 0; i < 6; i++)
		add(d, "x", 0);
	POLL_UNTIL(d, ex.dropped == 6, 3000);
	drain(1000);
	/* One line for three refused requests. */
	CHECK_INT(stderr_lines_with(want), 1);
	CHECK_INT(srv_count(&s), 3);
	CHECK_INT(ex.dropped, 6);
	CHECK_INT(ex.retried, 0);
	CHECK_INT(ex.sent, 0);
	CHECK_STR(t.header, "42");
	delivery_free(d);
	srv_stop(&s);
}

static void test_refused(void)
{
	/* By default the body's "message", else its "error", as most JSON APIs answer. */
	refused(&ops, "{\"message\":\"nope\"}",
		"refused: the backend refused 2 items: HTTP 400 nope; not retried");
	refused(&ops, "{\"error\":\"unknown API key\"}",
		"refused: the backend refused 2 items: HTTP 400 unknown API key; not retried");
	refused(&ops, "<html>bad\ngateway</html>",
		"refused: the backend refused 2 items: HTTP 400 <html>bad gateway</html>; not");
	/* The backend's own reading of its errors, code and message. */
	refused(&ops_own_errors, "{\"code\":\"BadThing\",\"why\":\"nope\"}",
		"refused: the backend refused 2 items: HTTP 400 BadThing: nope; not retried");
}

static void test_mixed_outcomes(void)
{
	struct exporter ex = { .name = "t" };
	struct tctx t = { .per_item = 1 };
	struct delivery_limits l;
	struct delivery *d;
	struct tsrv s;

	srv_start(&s, (struct reply){ 200, NULL, "SSSS" });
	s.script[0] = (struct reply){ 200, NULL, "SRDR" };
	s.script[1] = (struct reply){ 200, NULL, "SSSS" };
	s.script[2] = (struct reply){ 200, NULL, "R" }; /* all retried: backs off as a batch */
	s.nscript = 3;
	t.port = s.port;
	limits(&l);
	l.batch_max_items = 4;
	l.batch_wait_ms = 200;
	d = delivery_new("mixed", &l, &ops, &t, &ex.counts);
	add(d, "a", 0);
	add(d, "b", 0);
	add(d, "c", 0);
	add(d, "d", 0);
	POLL_UNTIL(d, srv_count(&s) == 1 && ex.sent == 1, 3000);
	CHECK_INT(ex.dropped, 1);
	CHECK_INT(ex.retried, 2);
	/* The retried items go first, in their order, ahead of what came later. */
	add(d, "e", 0);
	add(d, "f", 0);
	add(d, "g", 0);
	POLL_UNTIL(d, ex.sent == 5 && srv_count(&s) >= 2, 3000);
	CHECK_STR(s.bodies[0], "[a,b,c,d]");
	CHECK_STR(s.bodies[1], "[b,d,e,f]");
	POLL_UNTIL(d, srv_count(&s) == 3, 3000);
	CHECK_STR(s.bodies[2], "[g]");
	CHECK_INT(srv_count(&s), 3);
	POLL_UNTIL(d, srv_count(&s) == 4 && ex.sent == 6, 3000);
	CHECK_STR(s.bodies[3], "[g]"); /* the whole-batch retry, as it was */
	CHECK_INT(ex.sent, 6);
	CHECK_INT(ex.dropped, 1);
	CHECK_INT(ex.retried, 3);
	CHECK_INT(ex.sent + ex.dropped, 7);
	delivery_free(d);
	srv_stop(&s);
}

static void test_never_answers(void)
{
	struct exporter ex = { .name = "t" };
	struct tctx t = { 0 };
	struct delivery_limits l;
	struct delivery *d;
	struct tsrv s;
	uint64_t t0 = now_ms();

	srv_start(&s, (struct reply){ 0, NULL, NULL });
	t.port = s.port;
	limits(&l);
	l.batch_max_items = 2;
	l.timeout_ms = 300;
	l.max_attempts = 2;
	d = delivery_new("hang", &l, &ops, &t, &ex.counts);
	capture_stderr();
	add(d, "a", 0);
	add(d, "b", 0);
	POLL_UNTIL(d, ex.dropped == 2, 5000);
	CHECK_INT(stderr_lines_with("hang: giving up on 2 items after 2 attempts"), 1);
	CHECK_INT(srv_count(&s), 2);
	CHECK(now_ms() - t0 >= 600);
	CHECK_INT(ex.retried, 2);
	CHECK_INT(ex.dropped, 2);
	CHECK_INT(ex.sent, 0);
	delivery_free(d);
	srv_stop(&s);
}

static void test_port_closed(void)
{
	struct exporter ex = { .name = "t" };
	struct tctx t = { .port = closed_port() };
	struct delivery_limits l;
	struct delivery *d;

	limits(&l);
	l.batch_max_items = 3;
	l.max_attempts = 3;
	d = delivery_new("closed", &l, &ops, &t, &ex.counts);
	capture_stderr();
	for (int i = 0; i < 3; i++)
		add(d, "z", 0);
	POLL_UNTIL(d, ex.dropped == 3, 5000);
	CHECK_INT(stderr_lines_with("closed: giving up on 3 items after 3 attempts"), 1);
	CHECK_INT(ex.retried, 6);
	CHECK_INT(ex.dropped, 3);
	CHECK_INT(ex.sent, 0);
	{
		struct delivery_stats st;

		delivery_get_stats(d, &st);
		CHECK_INT(st.requests, 3);
		CHECK_INT(st.failures, 3);
		CHECK_INT(st.last_status, 0);
		CHECK_INT(st.queued_items, 0);
	}
	delivery_free(d);
}

static void test_build_not_yet_and_never(void)
{
	struct exporter ex = { .name = "t" }, ex2 = { .name = "t2" };
	struct tctx t = { .not_yet = 1 }, t2 = { .unbuildable = 1 };
	struct delivery_limits l;
	struct delivery *d, *d2;
	struct tsrv s;
	uint64_t t0;

	srv_start(&s, OK);
	t.port = t2.port = s.port;
	limits(&l);
	l.batch_max_items = 2;
	d = delivery_new("creds", &l, &ops, &t, &ex.counts);
	d2 = delivery_new("never", &l, &ops, &t2, &ex2.counts);
	capture_stderr();
	t0 = now_ms();
	add(d, "a", 0);
	add(d, "b", 0);
	add(d2, "a", 0);
	add(d2, "b", 0);
	delivery_poll(d2);
	POLL_UNTIL(d, ex.sent == 2, 3000);
	CHECK_INT(stderr_lines_with("never: 2 items could not be made into a request"), 1);
	CHECK(s.at_ms[0] - t0 >= 950); /* asked again after a second */
	CHECK_INT(t.builds, 2);
	CHECK_INT(ex.sent, 2);
	CHECK_INT(ex2.dropped, 2);
	CHECK_INT(ex2.sent, 0);
	CHECK_INT(srv_count(&s), 1);
	delivery_free(d);
	delivery_free(d2);
	srv_stop(&s);
}

static void test_drain_deadline(void)
{
	struct exporter ex = { .name = "t" }, ex2 = { .name = "t2" };
	struct tctx t = { 0 }, t2 = { 0 };
	struct delivery_limits l;
	struct delivery *hang, *ok;
	struct tsrv s, s2;
	uint64_t t0, took;

	srv_start(&s, (struct reply){ 0, NULL, NULL });
	srv_start(&s2, OK);
	t.port = s.port;
	t2.port = s2.port;
	limits(&l);
	l.timeout_ms = 30000;
	hang = delivery_new("hanging", &l, &ops, &t, &ex.counts);
	ok = delivery_new("healthy", &l, &ops, &t2, &ex2.counts);
	CHECK_INT(delivery_count(), 2);
	CHECK_STR(delivery_name(delivery_at(0)), "hanging");
	CHECK_STR(delivery_name(delivery_at(1)), "healthy");
	CHECK(delivery_at(2) == NULL);
	for (int i = 0; i < 5; i++) {
		add(hang, "h", 0);
		add(ok, "o", 0);
	}
	t0 = now_ms();
	drain(600);
	took = now_ms() - t0;
	CHECK(took >= 550 && took < 900);
	CHECK_INT(ex2.sent, 5); /* the healthy queue drained alongside the hanging one */
	CHECK_INT(ex.sent, 0);
	/* An exporter draining again in its close stays within the first deadline. */
	t0 = now_ms();
	drain(5000);
	CHECK(now_ms() - t0 < 100);
	capture_stderr();
	delivery_free(hang);
	CHECK_INT(stderr_lines_with("hanging: 5 items not delivered by the deadline"), 1);
	CHECK_INT(ex.dropped, 5);
	CHECK_INT(ex.sent + ex.dropped, 5);
	delivery_free(ok);
	CHECK_INT(delivery_count(), 0);
	/* The abandoned transfer's callback never runs; the loop goes on working. */
	http_loop_wait(http_loop(), 50);
	srv_stop(&s);
	srv_stop(&s2);
}

static void test_response_headers(void)
{
	struct http_response r = { 0 };
	char buf[16];

	r.headers = "Content-Type: text/plain\r\nRetry-After:\t7 \r\nX-Long: 0123456789abcdefXYZ\r\n"
		    "\r\n";
	r.headers_len = strlen(r.headers);
	CHECK_STR(http_response_header(&r, "retry-after", buf, sizeof(buf)), "7");
	CHECK_STR(http_response_header(&r, "CONTENT-TYPE", buf, sizeof(buf)), "text/plain");
	CHECK_STR(http_response_header(&r, "x-long", buf, sizeof(buf)), "0123456789abcde");
	CHECK(http_response_header(&r, "Content", buf, sizeof(buf)) == NULL);
	CHECK(http_response_header(&r, "X-Missing", buf, sizeof(buf)) == NULL);
	r.headers = NULL;
	CHECK(http_response_header(&r, "Retry-After", buf, sizeof(buf)) == NULL);
}

static void test_default_outcome(void)
{
	struct http_response r = { 0 };

	r.error = "timed out";
	CHECK_INT(delivery_default_outcome(&r), DELIVERY_RETRY);
	r.error = NULL;
	r.status = 202;
	CHECK_INT(delivery_default_outcome(&r), DELIVERY_SENT);
	r.status = 408;
	CHECK_INT(delivery_default_outcome(&r), DELIVERY_RETRY);
	r.status = 429;
	CHECK_INT(delivery_default_outcome(&r), DELIVERY_RETRY);
	r.status = 502;
	CHECK_INT(delivery_default_outcome(&r), DELIVERY_RETRY);
	r.status = 403;
	CHECK_INT(delivery_default_outcome(&r), DELIVERY_DROP);
	r.status = 301;
	CHECK_INT(delivery_default_outcome(&r), DELIVERY_DROP);
}

int main(void)
{
	test_response_headers();
	test_default_outcome();
	test_batch_by_count();
	test_batch_by_bytes();
	test_batch_by_key_span();
	test_key_order();
	test_batch_by_time();
	test_queue_full();
	test_queue_bytes_setting();
	test_retry_then_success();
	test_retry_after();
	test_refused();
	test_mixed_outcomes();
	test_never_answers();
	test_port_closed();
	test_build_not_yet_and_never();
	test_drain_deadline();
	printf("delivery: %d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}
