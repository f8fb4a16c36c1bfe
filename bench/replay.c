// SPDX-License-Identifier: BSD-2-Clause
/* Pipeline benchmark: feed a `pyspan --record` recording through dispatch_event() in a loop.
 *
 *   build/bench/replay [--seconds S] [--flush-every N] RECORDING
 *
 * Every record goes through what pyspan does with it live, minus the ring buffer: connection
 * tracking, the HTTP parser, span building and the stdout exporter's JSON encoder (stdout is
 * redirected to /dev/null). Each pass over the recording gives its connections a fresh id
 * range (pass << 40 added to conn_id), so passes never collide. Runs single-threaded until S
 * seconds (default 3) have passed and prints one JSON line on stdout:
 *
 *   {"records":..,"passes":..,"events":..,"spans":..,"wall_s":..,"cpu_s":..,
 *    "events_per_s":..,"spans_per_s":..,"events_per_cpu_s":..}
 *
 * A recording that is cut, corrupt or not a recording at all is reported on stderr with the
 * record it failed at, and the exit status is 1. Usage errors exit with 2.
 *
 * What replay cannot do: EV_PY_EXC records name code objects in processes that are gone, so
 * their frames stay unresolved (live pyspan reads each code object once and caches it); the
 * exception's type and message still reach the span.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/dispatch.h"
#include "track/proc.h"
#include "capture/record.h"
#include "export/export.h"
#include "lib/clock.h"
#include "pyspan_events.h"
#include "python/pyexc.h"
#include "span/sampling.h"
#include "track/conn.h"
#include "track/http_server.h"
#include "track/proc_output.h"

#define CHECK_CLOCK_EVERY 1024 /* events between two reads of the clock */

struct rec {
	unsigned char *data;
	size_t len;
	uint64_t conn_id; /* as recorded, for records that carry one; 0 otherwise */
	int has_conn;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: replay [--seconds S] [--flush-every N] RECORDING\n"
		"  --seconds S       run for about S seconds (default 3, 0.1-600)\n"
		"  --flush-every N   flush the exporter every N events, as pyspan does after\n"
		"                    each ring-buffer batch (default 256)\n");
}

static double now_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The bytes a record of this type needs, or 0 for a type pyspan does not know. */
static size_t min_len(uint32_t type)
{
	switch (type) {
	case EV_DATA:
		return sizeof(struct ev_data);
	case EV_CONN_OPEN:
	case EV_CONN_CLOSE:
		return sizeof(struct ev_conn);
	case EV_PROC_FORK:
	case EV_PROC_EXEC:
		return sizeof(struct ev_proc);
	case EV_PROC_EXIT:
		return sizeof(struct ev_header);
	case EV_PY_EXC:
		return sizeof(struct ev_pyexc);
	}
	return 0;
}

/* Check one record and keep the part of it pyspan reads (data records are reserved at the
 * full capture size in the ring buffer; the bytes after cap_len are never read). Returns NULL
 * with *why set when the record is malformed. */
static const char *check_record(const unsigned char *data, size_t len, size_t *keep)
{
	static char why[160];
	struct ev_header h;
	size_t need;

	if (len < sizeof(h)) {
		snprintf(why, sizeof(why), "%zu bytes, shorter than a record header (%zu)", len,
			 sizeof(h));
		return why;
	}
	memcpy(&h, data, sizeof(h));
	need = min_len(h.type);
	if (!need) {
		snprintf(why, sizeof(why), "unknown record type %u", h.type);
		return why;
	}
	if (len < need) {
		snprintf(why, sizeof(why), "type %u needs %zu bytes, the record has %zu", h.type,
			 need, len);
		return why;
	}
	*keep = len;
	if (h.type == EV_DATA) {
		struct ev_data d;

		memcpy(&d, data, sizeof(d));
		if (d.cap_len > len - sizeof(d)) {
			snprintf(why, sizeof(why),
				 "a data record claims %u captured bytes but holds %zu", d.cap_len,
				 len - sizeof(d));
			return why;
		}
		*keep = sizeof(d) + d.cap_len;
	}
	return NULL;
}

static struct rec *load(const char *path, size_t *nrecs, size_t *bytes_kept)
{
	const char *err = NULL;
	struct record *r = record_open(path, &err);
	struct rec *recs = NULL;
	size_t n = 0, cap = 0;
	const void *data;
	size_t len;
	int rc;

	*bytes_kept = 0;
	if (!r) {
		fprintf(stderr, "replay: %s: %s\n", path, err);
		return NULL;
	}
	while ((rc = record_next(r, &data, &len, &err)) == 1) {
		const char *why;
		size_t keep = 0;

		why = check_record(data, len, &keep);
		if (why) {
			fprintf(stderr, "replay: %s: record %zu is malformed: %s\n", path, n + 1,
				why);
			goto fail;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			struct rec *nr = realloc(recs, ncap * sizeof(*recs));

			if (!nr) {
				fprintf(stderr, "replay: out of memory after %zu records\n", n);
				goto fail;
			}
			recs = nr;
			cap = ncap;
		}
		recs[n].data = malloc(keep);
		if (!recs[n].data) {
			fprintf(stderr, "replay: out of memory after %zu records\n", n);
			goto fail;
		}
		memcpy(recs[n].data, data, keep);
		recs[n].len = keep;
		recs[n].has_conn = 0;
		recs[n].conn_id = 0;
		switch (((const struct ev_header *)data)->type) {
		case EV_DATA:
			recs[n].conn_id = ((const struct ev_data *)recs[n].data)->conn_id;
			recs[n].has_conn = recs[n].conn_id != 0; /* 0: stdout/stderr, no socket */
			break;
		case EV_CONN_OPEN:
		case EV_CONN_CLOSE:
			recs[n].conn_id = ((const struct ev_conn *)recs[n].data)->conn_id;
			recs[n].has_conn = 1;
			break;
		}
		if (recs[n].has_conn && recs[n].conn_id >> 40) {
			fprintf(
			    stderr,
			    "replay: %s: record %zu has conn_id %#llx, beyond the 40 bits replay "
			    "leaves to recorded ids\n",
			    path, n + 1, (unsigned long long)recs[n].conn_id);
			free(recs[n].data);
			goto fail;
		}
		*bytes_kept += keep;
		n++;
	}
	if (rc < 0) {
		fprintf(stderr, "replay: %s: after %zu good records: %s\n", path, n, err);
		goto fail;
	}
	if (n == 0) {
		fprintf(stderr, "replay: %s: the recording holds no records\n", path);
		goto fail;
	}
	record_close(r);
	*nrecs = n;
	return recs;

fail:
	for (size_t i = 0; i < n; i++)
		free(recs[i].data);
	free(recs);
	record_close(r);
	return NULL;
}

static void set_conn_id(struct rec *rc, uint64_t id)
{
	if (((struct ev_header *)rc->data)->type == EV_DATA)
		((struct ev_data *)rc->data)->conn_id = id;
	else
		((struct ev_conn *)rc->data)->conn_id = id;
}

int main(int argc, char **argv)
{
	double seconds = 3.0, wall0, cpu0, wall, cpu, deadline;
	unsigned long flush_every = 256;
	const char *path = NULL;
	size_t nrecs = 0, kept = 0;
	uint64_t events = 0, spans0, spans, pass = 0;
	struct rec *recs;
	FILE *report;
	int out_fd, devnull, done = 0;

	for (int i = 1; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			seconds = strtod(argv[++i], &end);
			if (*end || !(seconds >= 0.1 && seconds <= 600)) {
				fprintf(stderr, "replay: --seconds takes 0.1 to 600, not '%s'\n",
					argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--flush-every") && i + 1 < argc) {
			flush_every = strtoul(argv[++i], &end, 10);
			if (*end || flush_every == 0) {
				fprintf(stderr, "replay: --flush-every takes a positive number\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage();
			return 0;
		} else if (argv[i][0] == '-' || path) {
			usage();
			return 2;
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		usage();
		return 2;
	}

	recs = load(path, &nrecs, &kept);
	if (!recs)
		return 1;

	/* The report goes to the real stdout; spans go to /dev/null through stdout. */
	out_fd = dup(STDOUT_FILENO);
	devnull = open("/dev/null", O_WRONLY);
	if (out_fd < 0 || devnull < 0 || dup2(devnull, STDOUT_FILENO) < 0) {
		fprintf(stderr, "replay: cannot redirect stdout to /dev/null: %s\n",
			strerror(errno));
		return 1;
	}
	close(devnull);
	report = fdopen(out_fd, "w");
	if (!report) {
		fprintf(stderr, "replay: %s\n", strerror(errno));
		return 1;
	}

	clock_calibrate();
	/* The recording does not say which processes were traced at attach: name the service
	 * as pyspan names gunicorn's. */
	if (proc_init("gunicorn") || conn_init()) {
		fprintf(stderr, "replay: out of memory\n");
		return 1;
	}
	pyexc_init(&(struct pyexc_maps){.procs_fd = -1, .versions_fd = -1});
	/* pyspan's defaults: every span goes to the exporter. */
	sampling_init(&(struct sampling_cfg){.mode = SAMPLING_ALL, .keep_errors = 1}, 1);
	export_register(export_stdout_new());

	spans0 = http_server_stats()->spans;
	wall0 = now_s(CLOCK_MONOTONIC);
	cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	deadline = wall0 + seconds;
	while (!done) {
		uint64_t base = pass << 40;

		for (size_t i = 0; i < nrecs; i++) {
			struct rec *rc = &recs[i];

			if (rc->has_conn)
				set_conn_id(rc, rc->conn_id + base);
			dispatch_event(rc->data, rc->len);
			events++;
			if (events % flush_every == 0)
				export_flush_all();
			if (events % CHECK_CLOCK_EVERY == 0 && now_s(CLOCK_MONOTONIC) >= deadline) {
				done = 1;
				break;
			}
		}
		pass++;
		if (pass >= (1ull << 23)) /* ids would leave 64 bits */
			done = 1;
	}
	export_flush_all();
	wall = now_s(CLOCK_MONOTONIC) - wall0;
	cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	spans = http_server_stats()->spans - spans0;

	fprintf(report,
		"{\"records\":%zu,\"record_bytes\":%zu,\"passes\":%llu,\"events\":%llu,"
		"\"spans\":%llu,\"wall_s\":%.3f,\"cpu_s\":%.3f,\"events_per_s\":%.0f,"
		"\"spans_per_s\":%.0f,\"events_per_cpu_s\":%.0f,\"parse_errors\":%llu,"
		"\"exceptions\":%llu,\"tracebacks_parsed\":%llu}\n",
		nrecs, kept, (unsigned long long)pass, (unsigned long long)events,
		(unsigned long long)spans, wall, cpu, (double)events / wall, (double)spans / wall,
		cpu > 0 ? (double)events / cpu : 0.0,
		(unsigned long long)http_server_stats()->parse_errors,
		(unsigned long long)pyexc_stats()->events,
		(unsigned long long)proc_output_stats()->tracebacks);
	fclose(report);

	export_close_all();
	conn_fini();
	http_server_fini();
	proc_output_fini();
	pyexc_fini();
	proc_fini();
	for (size_t i = 0; i < nrecs; i++)
		free(recs[i].data);
	free(recs);
	return 0;
}
