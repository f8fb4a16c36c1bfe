// SPDX-License-Identifier: BSD-2-Clause
/* The service's stdout/stderr as log records: lines, partial writes, tracebacks, levels, traces. */
#include "track/proc.h"
#include "check.h"
#include "events.h"
#include "lib/clock.h"
#include "track/http_server.h"
#include "track/log_lines.h"
#include "track/proc_output.h"

#define MAX_RECS 32
static char rec_text[MAX_RECS][4096];
static struct log_record recs[MAX_RECS];
static int nrecs;

static void sink(const struct log_record *r)
{
	if (nrecs >= MAX_RECS)
		return;
	recs[nrecs] = *r;
	snprintf(rec_text[nrecs], sizeof(rec_text[0]), "%.*s", (int)r->len, r->text);
	recs[nrecs].text = rec_text[nrecs];
	nrecs++;
}

static void reset_recs(void)
{
	nrecs = 0;
}

/* Quiet long enough for held records to go out. */
static void quiet(void)
{
	now_ns += LOG_LINGER_NS + 1;
	log_lines_tick(now_ns);
}

static void write_fd(uint32_t pid, uint32_t tid, uint32_t fd, const char *s)
{
	struct ev_data *e = calloc(1, sizeof(*e) + strlen(s) + 1);

	now_ns += 1000000;
	e->h.type = EV_DATA;
	e->h.pid = pid;
	e->h.tid = tid;
	e->h.fd = fd;
	e->h.ts_ns = now_ns;
	e->total_len = (int64_t)strlen(s);
	e->dir = DIR_EGRESS;
	e->cap_len = (uint32_t)strlen(s);
	memcpy(e->data, s, strlen(s));
	dispatch_event(e, sizeof(*e) + strlen(s));
	free(e);
}

static void test_severity(void)
{
	const char *w;

	CHECK_INT(log_severity("[2026-01-01 10:00:00 +0000] [42] [ERROR] Error handling request", 63,
			       &w), 17);
	CHECK_STR(w, "ERROR");
	CHECK_INT(log_severity("WARNING:root:disk almost full", 29, &w), 13);
	CHECK_STR(w, "WARNING");
	CHECK_INT(log_severity("[2026-11-25 10:00:00,123] INFO in app: hi", 41, &w), 9);
	CHECK_STR(w, "INFO");
	CHECK_INT(log_severity("2026-11-25 10:00:00 DEBUG cache miss", 36, &w), 5);
	CHECK_INT(log_severity("CRITICAL:db:gone", 16, &w), 21);
	CHECK_INT(log_severity("app WARN slow", 13, &w), 13);
	CHECK_STR(w, "WARN");
	/* prose and words inside words are no level */
	CHECK_INT(log_severity("no error here, INFORMATION only, ERRORS=0", 41, &w), 0);
	CHECK(w == NULL);
	CHECK_INT(log_severity("hello world", 11, &w), 0);
}

static void test_lines_and_partial_writes(void)
{
	reset_recs();
	/* print() without a buffer: the text, then the newline, in two writes */
	write_fd(10, 10, 1, "hello");
	write_fd(10, 10, 1, " world");
	CHECK_INT(nrecs, 0);
	write_fd(10, 10, 1, "\n");
	write_fd(10, 10, 1, "two\nthree\r\nfour");
	quiet();
	CHECK_INT(nrecs, 3);
	CHECK_STR(rec_text[0], "hello world");
	CHECK_INT(recs[0].stream, LOGREC_STDOUT);
	CHECK_STR(recs[0].source, "stdout");
	CHECK_STR(rec_text[1], "two");
	CHECK_STR(rec_text[2], "three");
	/* the partial "four" waits for its newline or the process's end */
	log_lines_on_exit(10);
	CHECK_INT(nrecs, 4);
	CHECK_STR(rec_text[3], "four");
	/* blank lines are no records */
	reset_recs();
	write_fd(11, 11, 2, "\n\n  \nx\n");
	quiet();
	CHECK_INT(nrecs, 1);
	CHECK_STR(rec_text[0], "x");
	CHECK_INT(recs[0].stream, LOGREC_STDERR);
}

static void test_separate_fds_and_pids(void)
{
	reset_recs();
	write_fd(20, 20, 1, "out-");
	write_fd(20, 20, 2, "err line\n");
	write_fd(21, 21, 1, "other pid\n");
	write_fd(20, 20, 1, "line\n");
	quiet();
	CHECK_INT(nrecs, 3);
	CHECK_STR(rec_text[0], "err line");
	/* the held lines of two streams go out together, in no set order */
	CHECK_INT(!strcmp(rec_text[1], "out-line") + !strcmp(rec_text[2], "out-line"), 1);
	CHECK_INT(!strcmp(rec_text[1], "other pid") + !strcmp(rec_text[2], "other pid"), 1);
}

static const char logged_exc[] =
	"ERROR:app:checkout failed\n"
	"Traceback (most recent call last):\n"
	"  File \"/srv/app.py\", line 12, in checkout\n"
	"    pay()\n"
	"  File \"/srv/app.py\", line 5, in pay\n"
	"    raise ValueError(\"card declined\")\n"
	"ValueError: card declined\n";

static void test_logged_traceback_one_record(void)
{
	reset_recs();
	write_fd(30, 30, 2, logged_exc);
	write_fd(30, 30, 2, "INFO:app:next request\n");
	quiet();
	CHECK_INT(nrecs, 2);
	CHECK_INT(strlen(rec_text[0]), strlen(logged_exc) - 1);
	CHECK(memcmp(rec_text[0], logged_exc, strlen(logged_exc) - 1) == 0);
	CHECK_INT(recs[0].severity, 17);
	CHECK_STR(recs[0].severity_text, "ERROR");
	CHECK_STR(rec_text[1], "INFO:app:next request");
	CHECK_INT(recs[1].severity, 9);
}

/* gunicorn's error log line, then the traceback a line at a time, then a chained one. */
static void test_line_by_line_chain(void)
{
	static const char *const lines[] = {
		"[2026-01-01 10:00:00 +0000] [7] [ERROR] Error handling request /x\n",
		"Traceback (most recent call last):\n",
		"  File \"/srv/app.py\", line 3, in parse\n",
		"    return int(text)\n",
		"ValueError: invalid literal for int() with base 10: 'abc'\n",
		"\n",
		"The above exception was the direct cause of the following exception:\n",
		"\n",
		"Traceback (most recent call last):\n",
		"  File \"/srv/app.py\", line 5, in parse\n",
		"    raise RuntimeError(\"bad port\") from e\n",
		"RuntimeError: bad port\n",
	};
	char want[2048] = "";

	reset_recs();
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		write_fd(40, 40, 2, lines[i]);
		strcat(want, lines[i]);
	}
	CHECK_INT(nrecs, 0); /* a further chained exception could still follow */
	write_fd(40, 40, 2, "[2026-01-01 10:00:01 +0000] [7] [INFO] Booting worker\n");
	CHECK_INT(nrecs, 1);
	want[strlen(want) - 1] = '\0';
	CHECK_STR(rec_text[0], want);
	CHECK_INT(recs[0].severity, 17);
	CHECK_INT(log_lines_stats()->tracebacks >= 1, 1);
	quiet();
	CHECK_INT(nrecs, 2);
	CHECK_INT(recs[1].severity, 9);
}

/* A bare traceback (the default excepthook) is an error; a multi-line message stays in it. */
static void test_bare_traceback_and_multiline_message(void)
{
	reset_recs();
	write_fd(50, 50, 2, "Traceback (most recent call last):\n"
			    "  File \"x.py\", line 1, in <module>\n"
			    "Exception: first line\nsecond line\n");
	write_fd(50, 50, 2, "after\n");
	quiet();
	CHECK_INT(nrecs, 2);
	CHECK_STR(rec_text[0], "Traceback (most recent call last):\n"
			       "  File \"x.py\", line 1, in <module>\n"
			       "Exception: first line\nsecond line");
	CHECK_INT(recs[0].severity, 17);
	CHECK_STR(rec_text[1], "after");
	CHECK_INT(recs[1].severity, 0);
}

static void test_trace_of_request_in_flight(void)
{
	reset();
	reset_recs();
	open_conn(7, 60, 5, ROLE_SERVER);
	data_t(7, 60, 61, DIR_INGRESS,
	       "GET /x HTTP/1.1\r\ntraceparent: "
	       "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n");
	write_fd(60, 61, 1, "in request\n");
	write_fd(60, 62, 1, "other thread\n");
	data_t(7, 60, 61, DIR_EGRESS, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	write_fd(60, 61, 1, "after response\n");
	quiet();
	CHECK_INT(nrecs, 3);
	CHECK_STR(rec_text[0], "in request");
	CHECK_INT(recs[0].has_trace, 1);
	CHECK_INT(recs[0].trace_id[0], 0x0a);
	CHECK_INT(recs[0].trace_id[15], 0x9c);
	CHECK(memcmp(recs[0].span_id, got[0].span_id, 8) == 0);
	CHECK_INT(recs[0].tid, 61);
	CHECK_INT(recs[1].has_trace, 0);
	CHECK_INT(recs[2].has_trace, 0);
	close_conn(7, 60);
}

static void test_bounds(void)
{
	static char big[LOG_LINE_MAX + 100];

	reset_recs();
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_fd(70, 70, 1, big);
	CHECK_INT(nrecs, 0);
	quiet();
	CHECK_INT(nrecs, 1);
	CHECK_INT(recs[0].len, LOG_LINE_MAX);
	log_lines_fini(); /* shutdown: the remaining 99 bytes go out */
	CHECK_INT(nrecs, 2);
	CHECK_INT(recs[1].len, 99);
}

int main(void)
{
	clock_calibrate();
	proc_init("test");
	conn_init();
	export_register(&recorder);
	log_lines_enabled = 1;
	log_lines_set_sink(sink);

	test_severity();
	test_lines_and_partial_writes();
	test_separate_fds_and_pids();
	test_logged_traceback_one_record();
	test_line_by_line_chain();
	test_bare_traceback_and_multiline_message();
	test_trace_of_request_in_flight();
	test_bounds();

	log_lines_fini();
	conn_fini();
	http_server_fini();
	proc_output_fini();
	proc_fini();
	return check_summary("log_lines");
}
