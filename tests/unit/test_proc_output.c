// SPDX-License-Identifier: BSD-2-Clause
/* Tracebacks in what a traced thread writes to stderr join the request in flight on it. */
#include "track/proc.h"
#include "check.h"
#include "events.h"
#include "lib/clock.h"
#include "span/exception.h"
#include "track/http_server.h"
#include "track/proc_output.h"

static const char flask_log[] =
	"[2026-11-25 10:00:00,123] ERROR in app: Exception on /api/fail [GET]\n"
	"Traceback (most recent call last):\n"
	"  File \"/srv/app.py\", line 43, in dispatch_request\n"
	"    return fail()\n"
	"  File \"/srv/app.py\", line 39, in fail\n"
	"    raise shop.errors.StoreError(\"activity 42 not found\")\n"
	"shop.errors.StoreError: activity 42 not found\n";

static const char chained[] =
	"Traceback (most recent call last):\n"
	"  File \"/srv/app.py\", line 3, in parse_port\n"
	"    return int(text)\n"
	"ValueError: invalid literal for int() with base 10: 'abc'\n"
	"\n"
	"The above exception was the direct cause of the following exception:\n"
	"\n"
	"Traceback (most recent call last):\n"
	"  File \"/srv/app.py\", line 5, in parse_port\n"
	"    raise RuntimeError(\"bad port setting\") from e\n"
	"RuntimeError: bad port setting\n";

static const char resp500[] = "HTTP/1.1 500 INTERNAL SERVER ERROR\r\nContent-Length: 0\r\n\r\n";

/* The details of the last span's exception, kept while exporters run. */
static int last_nchain, last_link, last_nframes, last_line;
static char last_message[PYTB_MESSAGE_MAX];

static void detail_span(struct exporter *ex, const struct span *s, const struct span_view *v)
{
	record_span(ex, s, v);
	last_nchain = s->exception ? s->exception->nchain : 0;
	if (last_nchain) {
		const struct pytb_exception *x = &s->exception->chain[last_nchain - 1];

		last_link = x->link;
		last_nframes = x->nframes;
		last_line = x->nframes ? x->frames[x->nframes - 1].line : -1;
		snprintf(last_message, sizeof(last_message), "%s", x->message);
	}
}

static struct exporter detail = { .name = "detail", .span = detail_span, .close = record_close };

static void request(uint64_t conn, uint32_t pid, uint32_t tid, const char *path)
{
	char req[128];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	data_t(conn, pid, tid, DIR_INGRESS, req);
}

static void test_one_write(void)
{
	reset();
	open_conn(1, 100, 5, ROLE_SERVER);
	request(1, 100, 101, "/api/fail");
	write_stderr(100, 101, flask_log);
	data_t(1, 100, 101, DIR_EGRESS, resp500);
	CHECK_INT(ngot, 1);
	CHECK_STR(got_exc[0], "shop.errors.StoreError");
	CHECK_INT(got[0].exception_source, EXCEPTION_FROM_TEXT);
	CHECK_STR(last_message, "activity 42 not found");
	CHECK_INT(last_nframes, 2);
	CHECK_INT(last_line, 39);
	close_conn(1, 100);
}

/* The interpreter's default excepthook writes a line at a time (stderr is line-buffered). */
static void test_line_by_line_and_chain(void)
{
	const char *p = chained;

	reset();
	open_conn(2, 100, 5, ROLE_SERVER);
	request(2, 100, 101, "/chained");
	while (*p) {
		const char *nl = strchr(p, '\n');
		char line[256];
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);

		memcpy(line, p, n);
		line[n] = '\0';
		write_stderr(100, 101, line);
		p += n;
	}
	data_t(2, 100, 101, DIR_EGRESS, resp500);
	CHECK_INT(ngot, 1);
	CHECK_STR(got_exc[0], "RuntimeError");
	CHECK_INT(last_nchain, 2);
	CHECK_INT(last_link, PYTB_LINK_CAUSE);
	close_conn(2, 100);
}

static void test_threads_do_not_swap(void)
{
	reset();
	open_conn(3, 200, 5, ROLE_SERVER);
	open_conn(4, 200, 6, ROLE_SERVER);
	request(3, 200, 201, "/fails");
	request(4, 200, 202, "/fine");
	/* thread 202 writes an access-log line while 201 writes its traceback in pieces */
	write_stderr(200, 201, "Traceback (most recent call last):\n");
	write_stderr(200, 202, "127.0.0.1 - - [25/Nov/2026] \"GET /fine HTTP/1.1\" 200 -\n");
	write_stderr(200, 201, "  File \"/srv/app.py\", line 9, in fails\n"
			       "KeyError: 'missing-key'\n");
	data_t(4, 200, 202, DIR_EGRESS, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	data_t(3, 200, 201, DIR_EGRESS, resp500);
	CHECK_INT(ngot, 2);
	CHECK_STR(got[0].path, "/fine");
	CHECK_STR(got_exc[0], "");
	CHECK_STR(got[1].path, "/fails");
	CHECK_STR(got_exc[1], "KeyError");
	close_conn(3, 200);
	close_conn(4, 200);
}

static void test_old_reports_not_reattached(void)
{
	const struct proc_output_stats *st = proc_output_stats();
	uint64_t before;

	reset();
	open_conn(5, 300, 5, ROLE_SERVER);
	request(5, 300, 301, "/a");
	write_stderr(300, 301, flask_log);
	data_t(5, 300, 301, DIR_EGRESS, resp500);
	before = st->tracebacks;
	/* the next request on the thread logs only an access line: no exception for it */
	request(5, 300, 301, "/b");
	write_stderr(300, 301, "127.0.0.1 - - \"GET /b HTTP/1.1\" 200 -\n");
	data_t(5, 300, 301, DIR_EGRESS, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	CHECK_INT(ngot, 2);
	CHECK_STR(got_exc[1], "");
	CHECK_INT(st->tracebacks, before);
	/* a traceback written outside any request is counted, attached to nothing */
	write_stderr(300, 301, flask_log);
	CHECK_INT(st->tracebacks, before + 1);
	CHECK_INT(ngot, 2);
	close_conn(5, 300);
	/* a huge write and garbage do not break anything */
	{
		char *big = malloc(100000);

		memset(big, 'x', 99999);
		big[99999] = '\0';
		write_stderr(300, 301, big);
		write_stderr(300, 301, "Traceback (most recent call last):\n\x01\x02\xff\n");
		free(big);
	}
	proc_output_on_exit(300);
}

int main(void)
{
	clock_calibrate();
	proc_init("test");
	conn_init();
	export_register(&detail);

	test_one_write();
	test_line_by_line_and_chain();
	test_threads_do_not_swap();
	test_old_reports_not_reattached();

	conn_fini();
	http_server_fini();
	proc_output_fini();
	proc_fini();
	return check_summary("proc_output");
}
