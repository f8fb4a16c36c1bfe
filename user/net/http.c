// SPDX-License-Identifier: BSD-2-Clause
/* One libcurl multi loop for every HTTP exporter, driven without blocking from the main loop. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "net/http.h"

struct http_loop {
	CURLM *multi;
	int active;
	struct transfer *transfers; /* running, for http_cancel */
};

struct transfer {
	CURL *easy;
	struct curl_slist *headers;
	char *body_out; /* the request body, kept until the transfer ends */
	char *resp;
	size_t resp_len;
	double retry_after_s;
	char *hdrs; /* the latest response's header block */
	size_t hdrs_len;
	char errbuf[CURL_ERROR_SIZE];
	http_done_fn done;
	void *arg;
	struct transfer *next, *prev;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct transfer *t = ud;
	size_t len = size * n, keep = len;
	char *grown;

	if (t->resp_len + keep > HTTP_BODY_MAX)
		keep = HTTP_BODY_MAX - t->resp_len;
	if (keep) {
		grown = realloc(t->resp, t->resp_len + keep + 1);
		if (!grown)
			return 0;
		t->resp = grown;
		memcpy(t->resp + t->resp_len, p, keep);
		t->resp_len += keep;
		t->resp[t->resp_len] = '\0';
	}
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct transfer *t = ud;
	size_t len = size * n;

	/* A status line starts a new response (after 100 Continue, say): keep only the last. */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		t->hdrs_len = 0;
		t->retry_after_s = -1;
		if (t->hdrs)
			t->hdrs[0] = '\0';
		return len;
	}
	if (t->hdrs_len + len <= HTTP_HEADERS_MAX) {
		char *grown = realloc(t->hdrs, t->hdrs_len + len + 1);

		if (!grown)
			return 0;
		t->hdrs = grown;
		memcpy(t->hdrs + t->hdrs_len, p, len);
		t->hdrs_len += len;
		t->hdrs[t->hdrs_len] = '\0';
	}
	/* Seconds, or an HTTP-date (then measured against our clock). */
	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		char tmp[64];
		size_t k = len - 12 < sizeof(tmp) - 1 ? len - 12 : sizeof(tmp) - 1;
		char *end;
		double v;

		memcpy(tmp, p + 12, k);
		tmp[k] = '\0';
		v = strtod(tmp, &end);
		while (*end == ' ' || *end == '\r' || *end == '\n')
			end++;
		if (end != tmp && !*end && v >= 0) {
			t->retry_after_s = v;
		} else {
			time_t when = curl_getdate(tmp, NULL), now = time(NULL);

			if (when != -1)
				t->retry_after_s = when > now ? (double)(when - now) : 0;
		}
	}
	return len;
}

static struct transfer *transfer_new(const char *method, const char *url,
				     const struct http_header *h, int nh, const void *body,
				     size_t len, long timeout_ms)
{
	struct transfer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->retry_after_s = -1;
	t->easy = curl_easy_init();
	if (!t->easy) {
		free(t);
		return NULL;
	}
	for (int i = 0; i < nh; i++) {
		size_t n = strlen(h[i].name) + strlen(h[i].value) + 3;
		char *line = malloc(n);
		struct curl_slist *grown;

		if (!line)
			goto fail;
		snprintf(line, n, "%s: %s", h[i].name, h[i].value);
		grown = curl_slist_append(t->headers, line);
		/* The line may hold a token: wipe our copy (curl keeps its own). */
		memset(line, 0, n);
		free(line);
		if (!grown)
			goto fail;
		t->headers = grown;
	}
	/* curl would add "Expect: 100-continue" to large POSTs and wait for it. */
	t->headers = curl_slist_append(t->headers, "Expect:");
	if (len) {
		t->body_out = malloc(len);
		if (!t->body_out)
			goto fail;
		memcpy(t->body_out, body, len);
	}
	curl_easy_setopt(t->easy, CURLOPT_URL, url);
	curl_easy_setopt(t->easy, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "POST") == 0 || len) {
		curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->body_out ? t->body_out : "");
		curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (strcmp(method, "PUT") == 0 && !len) {
		curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 5000 ? timeout_ms : 5000);
	curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(t->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	/* Proxies only when the user's environment names them: curl reads http_proxy itself. */
	return t;
fail:
	curl_slist_free_all(t->headers);
	curl_easy_cleanup(t->easy);
	free(t->body_out);
	free(t);
	return NULL;
}

static void transfer_result(struct transfer *t, CURLcode rc, struct http_response *r)
{
	memset(r, 0, sizeof(*r));
	r->retry_after_s = t->retry_after_s;
	r->body = t->resp ? t->resp : "";
	r->body_len = t->resp_len;
	r->headers = t->hdrs ? t->hdrs : "";
	r->headers_len = t->hdrs_len;
	if (rc != CURLE_OK) {
		r->error = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
		return;
	}
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r->status);
}

static void transfer_free(struct transfer *t)
{
	curl_slist_free_all(t->headers);
	curl_easy_cleanup(t->easy);
	free(t->body_out);
	free(t->resp);
	free(t->hdrs);
	free(t);
}

const char *http_response_header(const struct http_response *r, const char *name, char *buf,
				 size_t len)
{
	const char *p = r->headers, *end = r->headers ? r->headers + r->headers_len : NULL;
	size_t nl = strlen(name);

	if (!p || !len)
		return NULL;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;

		if ((size_t)(le - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1, *ve = le;
			size_t k;

			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			k = (size_t)(ve - v) < len - 1 ? (size_t)(ve - v) : len - 1;
			memcpy(buf, v, k);
			buf[k] = '\0';
			return buf;
		}
		p = le + 1;
	}
	return NULL;
}

static struct http_loop loop;

struct http_loop *http_loop_started(void)
{
	return loop.multi ? &loop : NULL;
}

struct http_loop *http_loop(void)
{
	if (loop.multi)
		return &loop;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return NULL;
	loop.multi = curl_multi_init();
	return loop.multi ? &loop : NULL;
}

int http_start(struct http_loop *l, const char *method, const char *url,
	       const struct http_header *h, int nh, const void *body, size_t len,
	       long timeout_ms, http_done_fn done, void *arg)
{
	struct transfer *t = transfer_new(method, url, h, nh, body, len, timeout_ms);

	if (!t)
		return -1;
	t->done = done;
	t->arg = arg;
	if (curl_multi_add_handle(l->multi, t->easy) != CURLM_OK) {
		transfer_free(t);
		return -1;
	}
	l->active++;
	t->next = l->transfers;
	if (l->transfers)
		l->transfers->prev = t;
	l->transfers = t;
	return 0;
}

static void unlink_transfer(struct http_loop *l, struct transfer *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		l->transfers = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->next = t->prev = NULL;
}

void http_cancel(struct http_loop *l, void *arg)
{
	struct transfer *t, *next;

	if (!l)
		return;
	for (t = l->transfers; t; t = next) {
		next = t->next;
		if (t->arg != arg)
			continue;
		unlink_transfer(l, t);
		curl_multi_remove_handle(l->multi, t->easy);
		l->active--;
		transfer_free(t);
	}
}

void http_loop_poll(struct http_loop *l)
{
	struct CURLMsg *m;
	int running, left;

	if (!l->active)
		return;
	curl_multi_perform(l->multi, &running);
	while ((m = curl_multi_info_read(l->multi, &left))) {
		struct transfer *t = NULL;
		struct http_response r;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		curl_multi_remove_handle(l->multi, m->easy_handle);
		unlink_transfer(l, t);
		l->active--;
		transfer_result(t, m->data.result, &r);
		t->done(t->arg, &r);
		transfer_free(t);
	}
}

void http_loop_wait(struct http_loop *l, int ms)
{
	if (l->active)
		curl_multi_poll(l->multi, NULL, 0, ms, NULL);
	http_loop_poll(l);
}

void http_loop_wait_fd(struct http_loop *l, int fd, int ms)
{
	struct curl_waitfd w = { .fd = fd, .events = CURL_WAIT_POLLIN };

	curl_multi_poll(l->multi, &w, 1, ms, NULL);
	http_loop_poll(l);
}

int http_loop_active(struct http_loop *l)
{
	return l ? l->active : 0;
}

int http_fetch(const char *method, const char *url, const struct http_header *h, int nh,
	       const void *body, size_t len, long timeout_ms, struct http_response *r)
{
	struct transfer *t;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	if (!http_loop()) {
		r->error = "libcurl did not start";
		return -1;
	}
	t = transfer_new(method, url, h, nh, body, len, timeout_ms);
	if (!t) {
		r->error = "out of memory";
		return -1;
	}
	rc = curl_easy_perform(t->easy);
	transfer_result(t, rc, r);
	/* The body outlives the transfer; the error text does not. */
	r->body = t->resp ? t->resp : strdup("");
	t->resp = NULL;
	r->headers = ""; /* freed with the transfer */
	r->headers_len = 0;
	if (r->error)
		r->error = rc == CURLE_OPERATION_TIMEDOUT ? "timed out" :
			   rc == CURLE_COULDNT_CONNECT	  ? "could not connect" :
							    curl_easy_strerror(rc);
	transfer_free(t);
	return r->error ? -1 : 0;
}
