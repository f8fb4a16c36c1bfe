// SPDX-License-Identifier: BSD-2-Clause
/* Connection tracking and HTTP exchanges driven by synthetic capture events, no kernel. */
#include "track/proc.h"
#include "check.h"
#include "events.h"
#include "lib/clock.h"
#include "span/exception.h"
#include "track/http_server.h"

static void data(uint64_t id, int dir, const char *s)
{
	data_n(id, 100, 101, dir, s, strlen(s));
}

#define IN DIR_INGRESS
#define OUT DIR_EGRESS

static const char resp_ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			      "Content-Length: 11\r\n\r\n{\"ok\":true}";

static void test_simple_exchange(void)
{
	reset();
	open_conn(1, 100, 5, ROLE_SERVER);
	data(1, IN, "GET /api/activities/42?limit=2&token=abc HTTP/1.1\r\nHost: x\r\n"
		    "User-Agent: curl/8\r\nAuthorization: Bearer secret\r\n"
		    "X-Forwarded-For: 1.2.3.4\r\n\r\n");
	data(1, OUT, resp_ok);
	CHECK_INT(ngot, 1);
	CHECK_STR(got[0].method, "GET");
	CHECK_STR(got[0].path, "/api/activities/42");
	CHECK_STR(got[0].route, "/api/activities/{id}");
	CHECK_STR(got[0].query, "limit=REDACTED&token=REDACTED");
	CHECK_INT(got[0].status, 200);
	CHECK_INT(got[0].response_body_size, 11);
	CHECK_INT(got[0].request_body_size, 0);
	CHECK_STR(got[0].user_agent, "curl/8");
	CHECK_STR(got[0].x_forwarded_for, "1.2.3.4");
	CHECK_STR(got[0].client_addr, "10.1.2.3");
	CHECK_INT(got[0].client_port, 51000);
	CHECK_STR(got[0].server_addr, "127.0.0.1");
	CHECK_INT(got[0].server_port, 8000);
	CHECK_INT(got[0].pid, 100);
	CHECK_INT(got[0].tid, 101);
	CHECK_INT(got[0].kind, SPAN_SERVER);
	CHECK_INT(got[0].has_parent, 0);
	/* read at t, write at t + 1 ms: the span covers first byte in to last byte out */
	CHECK_INT(got[0].end_unix_ns - got[0].start_unix_ns, 1000000);
	close_conn(1, 100);
	CHECK_INT(ngot, 1);
}

static void test_split_headers_and_body(void)
{
	reset();
	open_conn(2, 100, 5, ROLE_SERVER);
	data(2, IN, "POST /api/activities HT");
	data(2, IN, "TP/1.1\r\nContent-Le");
	data(2, IN, "ngth: 10\r\n\r\n01234");
	CHECK_INT(ngot, 0);
	data(2, IN, "56789");
	data(2, OUT, "HTTP/1.1 201 CREATED\r\nContent-Length: 2\r\n\r\n");
	CHECK_INT(ngot, 0);
	data(2, OUT, "{}");
	CHECK_INT(ngot, 1);
	CHECK_STR(got[0].method, "POST");
	CHECK_INT(got[0].status, 201);
	CHECK_INT(got[0].request_body_size, 10);
	CHECK_INT(got[0].response_body_size, 2);
	/* start is the first read, end the last write: six calls, 5 ms apart */
	CHECK_INT(got[0].end_unix_ns - got[0].start_unix_ns, 5000000);
	close_conn(2, 100);
}

static void test_keepalive_and_pipelining(void)
{
	reset();
	open_conn(3, 100, 5, ROLE_SERVER);
	for (int i = 0; i < 3; i++) {
		data(3, IN, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
		data(3, OUT, resp_ok);
	}
	CHECK_INT(ngot, 3);
	/* two requests in one read, both answers in one write */
	data(3, IN, "GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\n\r\n");
	CHECK_INT(ngot, 3);
	data(3, OUT, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 NOT FOUND\r\n"
		     "Content-Length: 2\r\n\r\nbb");
	CHECK_INT(ngot, 5);
	CHECK_STR(got[3].path, "/p1");
	CHECK_INT(got[3].status, 200);
	CHECK_INT(got[3].response_body_size, 1);
	CHECK_STR(got[4].path, "/p2");
	CHECK_INT(got[4].status, 404);
	CHECK_INT(got[4].response_body_size, 2);
	/* every span has its own span id */
	CHECK(memcmp(got[3].span_id, got[4].span_id, 8) != 0);
	close_conn(3, 100);
}

static void test_chunked_response(void)
{
	reset();
	open_conn(4, 100, 5, ROLE_SERVER);
	data(4, IN, "GET /stream HTTP/1.1\r\n\r\n");
	data(4, OUT, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	data(4, OUT, "5\r\nhello\r\n");
	data(4, OUT, "6\r\n world\r\n");
	CHECK_INT(ngot, 0);
	data(4, OUT, "0\r\n\r\n");
	CHECK_INT(ngot, 1);
	CHECK_INT(got[0].response_body_size, 11);
	CHECK_INT(got[0].body_unsynced, 0);
	close_conn(4, 100);
}

static void test_large_body_beyond_capture(void)
{
	static char big[8192];
	const char *hdr = "HTTP/1.1 200 OK\r\nContent-Length: 2097152\r\n\r\n";
	size_t hl = strlen(hdr);

	reset();
	capture_size = 4096;
	memset(big, 'x', sizeof(big));
	memcpy(big, hdr, hl);
	open_conn(5, 100, 5, ROLE_SERVER);
	data(5, IN, "GET /big HTTP/1.1\r\n\r\n");
	/* headers and the first body bytes in one write of 1 MiB; the rest in a second */
	data_n(5, 100, 101, OUT, big, 1048576 + hl);
	CHECK_INT(ngot, 0);
	data_n(5, 100, 101, OUT, big + hl, 1048576);
	CHECK_INT(ngot, 1);
	CHECK_INT(got[0].response_body_size, 2097152);
	CHECK_INT(got[0].body_unsynced, 0);
	/* the next request on the connection is still parsed */
	data(5, IN, "GET /after HTTP/1.1\r\n\r\n");
	data(5, OUT, resp_ok);
	CHECK_INT(ngot, 2);
	CHECK_STR(got[1].path, "/after");
	close_conn(5, 100);
}

static void test_chunked_beyond_capture(void)
{
	static char buf[6000];
	const char *hdr = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

	reset();
	capture_size = 64;
	memset(buf, 'y', sizeof(buf));
	memcpy(buf, hdr, strlen(hdr));
	open_conn(6, 100, 5, ROLE_SERVER);
	data(6, IN, "GET /s HTTP/1.1\r\n\r\n");
	/* 64 bytes captured of 6000: the chunk framing is lost */
	data_n(6, 100, 101, OUT, buf, sizeof(buf));
	CHECK_INT(ngot, 0);
	capture_size = 4096;
	/* the next request tells the response has ended */
	data(6, IN, "GET /next HTTP/1.1\r\n\r\n");
	CHECK_INT(ngot, 1);
	CHECK_INT(got[0].status, 200);
	CHECK_INT(got[0].body_unsynced, 1);
	data(6, OUT, resp_ok);
	CHECK_INT(ngot, 2);
	CHECK_STR(got[1].path, "/next");
	CHECK_INT(got[1].body_unsynced, 0);
	close_conn(6, 100);
}

static void test_headers_beyond_capture(void)
{
	static char req[3000];
	int n;

	reset();
	capture_size = 256;
	n = snprintf(req, sizeof(req), "GET /huge?q=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: ua\r\n"
				       "X-Pad: %2800d\r\n\r\n", 7);
	open_conn(7, 100, 5, ROLE_SERVER);
	data_n(7, 100, 101, IN, req, (size_t)n);
	capture_size = 4096;
	data(7, OUT, resp_ok);
	CHECK_INT(ngot, 1);
	CHECK_STR(got[0].path, "/huge");
	CHECK_STR(got[0].user_agent, "ua");
	CHECK_INT(got[0].headers_truncated, 1);
	CHECK_INT(got[0].status, 200);
	/* after the response, the connection is read again from the next request */
	data(7, IN, "GET /ok HTTP/1.1\r\n\r\n");
	data(7, OUT, resp_ok);
	CHECK_INT(ngot, 2);
	CHECK_STR(got[1].path, "/ok");
	CHECK_INT(got[1].headers_truncated, 0);
	close_conn(7, 100);
}

static void test_no_body_responses(void)
{
	reset();
	open_conn(8, 100, 5, ROLE_SERVER);
	data(8, IN, "HEAD /h HTTP/1.1\r\n\r\n");
	data(8, OUT, "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n");
	CHECK_INT(ngot, 1);
	CHECK_INT(got[0].response_body_size, 0);
	data(8, IN, "DELETE /d/7 HTTP/1.1\r\n\r\n");
	data(8, OUT, "HTTP/1.1 204 NO CONTENT\r\n\r\n");
	data(8, IN, "GET /c HTTP/1.1\r\nIf-None-Match: \"x\"\r\n\r\n");
	data(8, OUT, "HTTP/1.1 304 NOT MODIFIED\r\nContent-Length: 20\r\n\r\n");
	CHECK_INT(ngot, 3);
	CHECK_INT(got[1].status, 204);
	CHECK_STR(got[1].route, "/d/{id}");
	CHECK_INT(got[2].status, 304);
	CHECK_INT(got[2].response_body_size, 0);
	close_conn(8, 100);
}

static void test_expect_continue(void)
{
	reset();
	open_conn(9, 100, 5, ROLE_SERVER);
	data(9, IN, "PUT /up HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
	data(9, OUT, "HTTP/1.1 100 Continue\r\n\r\n");
	CHECK_INT(ngot, 0);
	data(9, IN, "abcd");
	data(9, OUT, resp_ok);
	CHECK_INT(ngot, 1);
	CHECK_INT(got[0].status, 200);
	CHECK_INT(got[0].request_body_size, 4);
	close_conn(9, 100);
}

static void test_trace_headers(void)
{
	static const uint8_t tp_trace[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
					      0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };
	static const uint8_t tp_parent[8] = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7 };
	static const uint8_t xr_trace[16] = { 0x57, 0x59, 0xe9, 0x88, 0xbd, 0x86, 0x2e, 0x3f,
					      0xe1, 0xbe, 0x46, 0xa9, 0x94, 0x27, 0x27, 0x93 };

	reset();
	open_conn(10, 100, 5, ROLE_SERVER);
	data(10, IN, "GET /t HTTP/1.1\r\ntraceparent: "
		     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n");
	data(10, OUT, resp_ok);
	data(10, IN, "GET /x HTTP/1.1\r\nX-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;"
		     "Parent=53995c3f42cd8ad8;Sampled=1\r\n\r\n");
	data(10, OUT, resp_ok);
	data(10, IN, "GET /bad HTTP/1.1\r\ntraceparent: 00-4BF92F3577B34DA6A3CE929D0E0E4736-"
		     "00f067aa0ba902b7-01\r\n\r\n");
	data(10, OUT, resp_ok);
	CHECK_INT(ngot, 3);
	CHECK(memcmp(got[0].trace_id, tp_trace, 16) == 0);
	CHECK(memcmp(got[0].parent_id, tp_parent, 8) == 0);
	CHECK_INT(got[0].has_parent, 1);
	CHECK(memcmp(got[1].trace_id, xr_trace, 16) == 0);
	CHECK_INT(got[1].has_parent, 1);
	CHECK_INT(got[1].sampled, 1);
	/* an invalid traceparent starts a new trace stamped with the start second */
	CHECK_INT(got[2].has_parent, 0);
	{
		uint32_t sec = (uint32_t)got[2].trace_id[0] << 24 | got[2].trace_id[1] << 16 |
			       got[2].trace_id[2] << 8 | got[2].trace_id[3];

		CHECK_INT(sec, got[2].start_unix_ns / 1000000000ull);
	}
	close_conn(10, 100);
}

static void test_resync_and_unmatched(void)
{
	const struct http_server_stats *st = http_server_stats();
	uint64_t errors = st->parse_errors, unmatched = st->unmatched_responses;

	reset();
	/* a connection from before attach: its role is unknown, the first bytes mid-body */
	open_conn(11, 100, 5, ROLE_UNKNOWN);
	data(11, IN, "GET /first HTTP/1.1\r\n\r\n");
	data(11, OUT, resp_ok);
	CHECK_INT(ngot, 1);
	data(11, IN, "\x16\x03\x01 garbage that is not http");
	CHECK_INT(st->parse_errors, errors + 1);
	data(11, IN, "GET /again HTTP/1.1\r\n\r\n");
	data(11, OUT, resp_ok);
	CHECK_INT(ngot, 2);
	CHECK_STR(got[1].path, "/again");
	/* a response to a request pyspan never saw makes no span */
	data(11, OUT, resp_ok);
	CHECK_INT(ngot, 2);
	CHECK_INT(st->unmatched_responses, unmatched + 1);
	close_conn(11, 100);

	/* an accepted connection speaking TLS is left alone */
	open_conn(12, 100, 6, ROLE_SERVER);
	data(12, IN, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");
	data(12, IN, "GET /not-read HTTP/1.1\r\n\r\n");
	data(12, OUT, resp_ok);
	CHECK_INT(ngot, 2);
	close_conn(12, 100);

	/* connect()ed sockets are client calls, not served requests */
	open_conn(13, 100, 7, ROLE_CLIENT);
	data(13, OUT, "GET /upstream HTTP/1.1\r\n\r\n");
	data(13, IN, resp_ok);
	CHECK_INT(ngot, 3);
	CHECK_INT(got[2].kind, SPAN_CLIENT);
	CHECK_STR(got[2].path, "/upstream");
	close_conn(13, 100);
}

static void test_lost_open_and_close_framing(void)
{
	reset();
	/* no open event (lost to a full ring buffer): still parsed, addresses unknown */
	data(20, IN, "GET /noopen HTTP/1.1\r\n\r\n");
	data(20, OUT, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close");
	CHECK_INT(ngot, 0);
	close_conn(20, 100);
	CHECK_INT(ngot, 1);
	CHECK_STR(got[0].path, "/noopen");
	CHECK_INT(got[0].response_body_size, 11);
	CHECK_INT(got[0].client_port, -1);
	CHECK_STR(got[0].client_addr, "");
	CHECK_INT(got[0].incomplete, 0);

	/* a Content-Length body cut short by the close is marked incomplete */
	open_conn(21, 100, 5, ROLE_SERVER);
	data(21, IN, "GET /cut HTTP/1.1\r\n\r\n");
	data(21, OUT, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
	close_conn(21, 100);
	CHECK_INT(ngot, 2);
	CHECK_INT(got[1].incomplete, 1);
	CHECK_INT(got[1].response_body_size, 5);

	/* a request never answered makes no span */
	open_conn(22, 100, 5, ROLE_SERVER);
	data(22, IN, "GET /never HTTP/1.1\r\n\r\n");
	close_conn(22, 100);
	CHECK_INT(ngot, 2);
}

static void test_process_exit_and_threads(void)
{
	reset();
	/* two threads of one process serving two connections concurrently */
	open_conn(30, 200, 5, ROLE_SERVER);
	open_conn(31, 200, 6, ROLE_SERVER);
	data_t(30, 200, 201, IN, "GET /one HTTP/1.1\r\n\r\n");
	data_t(31, 200, 202, IN, "GET /two HTTP/1.1\r\n\r\n");
	data_t(31, 200, 202, OUT, resp_ok);
	data_t(30, 200, 201, OUT, resp_ok);
	CHECK_INT(ngot, 2);
	CHECK_STR(got[0].path, "/two");
	CHECK_INT(got[0].tid, 202);
	CHECK_STR(got[1].path, "/one");
	CHECK_INT(got[1].tid, 201);
	/* the process exits with a request in flight: no span, and the connection is gone */
	data_t(30, 200, 201, IN, "GET /inflight HTTP/1.1\r\n\r\n");
	conn_on_process_exit(200, NULL, NULL);
	data_t(30, 200, 201, OUT, resp_ok);
	CHECK_INT(ngot, 2);
}

static struct pytb_report *report(const char *type)
{
	struct pytb_report *r = calloc(1, sizeof(*r));

	r->nchain = 1;
	snprintf(r->chain[0].type, PYTB_TYPE_MAX, "%s", type);
	return r;
}

static void test_exceptions_follow_threads(void)
{
	struct pytb_report *r;

	reset();
	open_conn(40, 300, 5, ROLE_SERVER);
	open_conn(41, 300, 6, ROLE_SERVER);
	data_t(40, 300, 301, IN, "GET /fails HTTP/1.1\r\n\r\n");
	data_t(41, 300, 302, IN, "GET /fine HTTP/1.1\r\n\r\n");
	/* thread 301 reports an exception: it belongs to /fails, not to /fine */
	CHECK_INT(http_server_attach_exception(300, 301, report("KeyError"),
					       EXCEPTION_FROM_INTERPRETER), 0);
	/* the text of the same traceback qualifies it but does not replace it */
	CHECK_INT(http_server_attach_exception(300, 301, report("shop.KeyError"),
					       EXCEPTION_FROM_TEXT), 0);
	/* no request in flight on that thread: the caller keeps the report */
	r = report("ValueError");
	CHECK_INT(http_server_attach_exception(300, 999, r, EXCEPTION_FROM_TEXT), -1);
	free(r);
	data_t(41, 300, 302, OUT, resp_ok);
	{
		const char *r500 = "HTTP/1.1 500 INTERNAL SERVER ERROR\r\nContent-Length: 0\r\n\r\n";

		data_t(40, 300, 301, OUT, r500);
	}
	CHECK_INT(ngot, 2);
	CHECK_STR(got[0].path, "/fine");
	CHECK_STR(got_exc[0], "");
	CHECK_STR(got[1].path, "/fails");
	CHECK_INT(got[1].status, 500);
	CHECK_STR(got_exc[1], "shop.KeyError");
	CHECK_INT(got[1].exception_source, EXCEPTION_FROM_INTERPRETER);

	/* an exception the view caught, logged and answered with 200 stays off the span */
	data_t(40, 300, 301, IN, "GET /caught HTTP/1.1\r\n\r\n");
	CHECK_INT(http_server_attach_exception(300, 301, report("ValueError"),
					       EXCEPTION_FROM_INTERPRETER), 0);
	data_t(40, 300, 301, OUT, resp_ok);
	CHECK_INT(ngot, 3);
	CHECK_STR(got_exc[2], "");
	/* once answered, the thread has no request in flight */
	r = report("ValueError");
	CHECK_INT(http_server_attach_exception(300, 301, r, EXCEPTION_FROM_TEXT), -1);
	free(r);
	close_conn(40, 300);
	close_conn(41, 300);
}

int main(void)
{
	clock_calibrate();
	proc_init("test-service");
	conn_init();
	export_register(&recorder);

	test_simple_exchange();
	test_split_headers_and_body();
	test_keepalive_and_pipelining();
	test_chunked_response();
	test_large_body_beyond_capture();
	test_chunked_beyond_capture();
	test_headers_beyond_capture();
	test_no_body_responses();
	test_expect_continue();
	test_trace_headers();
	test_resync_and_unmatched();
	test_lost_open_and_close_framing();
	test_process_exit_and_threads();
	test_exceptions_follow_threads();
	CHECK_STR(proc_service_name(100), "test-service");

	conn_fini();
	http_server_fini();
	proc_fini();
	return check_summary("conn");
}
