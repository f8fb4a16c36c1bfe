// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for pyspan's own counters: the Prometheus text, the --stats line, the listener. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "capture/capture.h"
#include "metrics.h"

static struct metrics_snapshot snap(void)
{
	struct metrics_snapshot m;

	memset(&m, 0, sizeof(m));
	m.events = 1200;
	m.drops[DROP_RINGBUF_DATA] = 7;
	m.drops[DROP_CONNS_FULL] = 2;
	m.spans = 300;
	m.sampled_kept = 290;
	m.sampled_out_caller = 4;
	m.sampled_out_here = 6;
	m.processes = 3;
	m.nexporters = 2;
	m.exporters[0].name = "stdout";
	m.exporters[0].sent = 290;
	m.exporters[1].name = "x\"ray";
	m.exporters[1].sent = 280;
	m.exporters[1].retried = 5;
	m.exporters[1].dropped = 10;
	return m;
}

static void test_text(void)
{
	struct metrics_snapshot m = snap();
	char buf[16384], small[64];
	size_t n = metrics_prometheus(&m, buf, sizeof(buf));

	CHECK_INT(n, strlen(buf));
	CHECK(strstr(buf, "# HELP pyspan_events_total Capture records read from the kernel.\n"
			  "# TYPE pyspan_events_total counter\npyspan_events_total 1200\n") == buf);
	CHECK(strstr(buf, "# TYPE pyspan_drops_total counter\n"
			  "pyspan_drops_total{cause=\"ringbuf_data\"} 7\n"
			  "pyspan_drops_total{cause=\"ringbuf_conn\"} 0\n") != NULL);
	CHECK(strstr(buf, "pyspan_drops_total{cause=\"conns_full\"} 2\n") != NULL);
	CHECK(strstr(buf, "pyspan_drops_total{cause=\"ringbuf_pyexc\"} 0\n") != NULL);
	CHECK(strstr(buf, "pyspan_spans_total 300\n") != NULL);
	CHECK(strstr(buf, "pyspan_sampling_total{decision=\"kept\"} 290\n"
			  "pyspan_sampling_total{decision=\"dropped_by_caller\"} 4\n"
			  "pyspan_sampling_total{decision=\"dropped_by_sampler\"} 6\n") != NULL);
	CHECK(strstr(buf, "# TYPE pyspan_traced_processes gauge\npyspan_traced_processes 3\n"));
	CHECK(strstr(buf, "pyspan_export_sent_total{exporter=\"stdout\"} 290\n"
			  "pyspan_export_sent_total{exporter=\"x\\\"ray\"} 280\n") != NULL);
	CHECK(strstr(buf, "pyspan_export_dropped_total{exporter=\"x\\\"ray\"} 10\n") != NULL);
	CHECK(strstr(buf, "queue") == NULL); /* no delivery queues, no queue metrics */
	/* every sample line is NAME[{LABELS}] VALUE; every family has HELP and TYPE */
	{
		int helps = 0, types = 0;

		for (char *l = buf; *l; l = strchr(l, '\n') + 1) {
			helps += strncmp(l, "# HELP ", 7) == 0;
			types += strncmp(l, "# TYPE ", 7) == 0;
			CHECK(strchr(l, '\n') != NULL);
		}
		CHECK_INT(helps, types);
		CHECK_INT(helps, 14);
	}
	/* Too small: cut and terminated, and the length says so. */
	CHECK_INT(metrics_prometheus(&m, small, sizeof(small)), sizeof(small) - 1);
	CHECK_INT(strlen(small), sizeof(small) - 1);

	m.nqueues = 1;
	m.queues[0].name = "honeycomb";
	m.queues[0].items = 12;
	m.queues[0].bytes = 4096;
	metrics_prometheus(&m, buf, sizeof(buf));
	CHECK(strstr(buf, "# TYPE pyspan_export_queue_items gauge\n"
			  "pyspan_export_queue_items{queue=\"honeycomb\"} 12\n") != NULL);
	CHECK(strstr(buf, "pyspan_export_queue_bytes{queue=\"honeycomb\"} 4096\n") != NULL);
}

static void test_status_line(void)
{
	struct metrics_snapshot m = snap();
	char line[512];

	metrics_status_line(&m, line, sizeof(line));
	CHECK_STR(line, "stats: 1200 events, 300 spans, 290 kept, 9 drops (ringbuf_data 7, "
			"conns_full 2); stdout 290 sent 0 retried 0 dropped; x\"ray 280 sent 5 "
			"retried 10 dropped");
	CHECK_STR(capture_drop_name(DROP_RINGBUF_PYEXC), "ringbuf_pyexc");
	CHECK_STR(capture_drop_name(DROP__COUNT), "unknown");
	CHECK_STR(capture_drop_name(-1), "unknown");
}

static int fills;

static void fill(struct metrics_snapshot *m, void *arg)
{
	*m = snap();
	fills++;
}

/* Send req, let the server poll a few turns, return what came back. */
static const char *scrape(struct metrics_server *s, const char *req, size_t len)
{
	static char got[16384];
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t n = 0;
	ssize_t r;

	a.sin_port = htons((uint16_t)metrics_server_port(s));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	got[0] = '\0';
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return got;
	}
	send(fd, req, len, MSG_NOSIGNAL);
	for (int i = 0; i < 5; i++) {
		usleep(10000);
		metrics_server_poll(s, fill, NULL);
	}
	while (n < sizeof(got) - 1 && (r = recv(fd, got + n, sizeof(got) - 1 - n, 0)) > 0)
		n += (size_t)r;
	got[n] = '\0';
	close(fd);
	return got;
}

static void test_server(void)
{
	struct metrics_server *s = metrics_server_open("127.0.0.1", 0);
	const char *r;
	char *big;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(metrics_server_port(s) > 0);
	r = scrape(s, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 34);
	CHECK(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != NULL);
	CHECK(strstr(r, "\r\n\r\n# HELP pyspan_events_total") != NULL);
	CHECK(strstr(r, "pyspan_export_sent_total{exporter=\"stdout\"} 290\n") != NULL);
	CHECK_INT(fills, 1);
	r = scrape(s, "GET /metricsx HTTP/1.1\r\n\r\n", 26);
	CHECK(strncmp(r, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
	r = scrape(s, "GET / HTTP/1.0\r\n\r\n", 18);
	CHECK(strncmp(r, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
	r = scrape(s, "POST /metrics HTTP/1.1\r\n\r\n", 26);
	CHECK(strncmp(r, "HTTP/1.1 405 ", 13) == 0);
	big = malloc(4096);
	memset(big, 'a', 4096);
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	r = scrape(s, big, 4096);
	CHECK(strncmp(r, "HTTP/1.1 431 ", 13) == 0);
	free(big);
	CHECK_INT(fills, 1); /* only the one real scrape collected counters */

	/* Three times as many idle clients as it holds: a scrape still gets its answer. */
	{
		struct sockaddr_in a = { .sin_family = AF_INET };
		int idle[400], nidle = 0;

		a.sin_port = htons((uint16_t)metrics_server_port(s));
		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		for (int i = 0; i < 400; i++) {
			idle[i] = socket(AF_INET, SOCK_STREAM, 0);
			if (idle[i] < 0 || connect(idle[i], (struct sockaddr *)&a, sizeof(a)))
				break;
			nidle++;
			if (i % 50 == 49)
				metrics_server_poll(s, fill, NULL);
		}
		CHECK_INT(nidle, 400);
		metrics_server_poll(s, fill, NULL);
		r = scrape(s, "GET /metrics HTTP/1.1\r\n\r\n", 25);
		CHECK(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
		CHECK_INT(fills, 2);
		for (int i = 0; i < nidle; i++)
			close(idle[i]);
	}
	metrics_server_close(s);
}

int main(void)
{
	test_text();
	test_status_line();
	test_server();
	return check_summary("metrics");
}
