// SPDX-License-Identifier: BSD-2-Clause
/* pyspan's entry: parse flags, attach to the target processes, turn events into spans. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/capture.h"
#include "capture/follow.h"
#include "track/proc.h"
#include "config/cli.h"
#include "config/options.h"
#include "export/backend.h"
#include "export/export.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "metrics.h"
#include "net/delivery.h"
#include "net/http.h"
#include "python/pyexc.h"
#include "span/redact.h"
#include "span/sampling.h"
#include "track/client_calls.h"
#include "track/conn.h"
#include "track/http_server.h"
#include "track/log_files.h"
#include "track/log_lines.h"
#include "track/proc_output.h"

#define POLL_MS 100
#define TICK_NS (500ull * 1000000ull)
/* How often /proc is searched again for processes to follow: the exec events catch new
 * processes at once; this catches those moved into a cgroup or renamed without an exec. */
#define RESCAN_NS (2000ull * 1000000ull)
/* At most this long reading what the kernel queued before the stop. */
#define DRAIN_NS (200ull * 1000000ull)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void print_summary(struct capture *cap)
{
	const struct http_server_stats *hs = http_server_stats();
	const struct conn_stats *cs = conn_stats();
	struct capture_stats st;
	char drops[256] = "";
	size_t off = 0;

	capture_stats(cap, &st);
	for (int i = 0; i < DROP__COUNT; i++) {
		if (!st.drops[i])
			continue;
		off += (size_t)snprintf(drops + off, sizeof(drops) - off, "%s%s %llu",
					off ? ", " : " (", capture_drop_name(i),
					(unsigned long long)st.drops[i]);
		if (off >= sizeof(drops))
			break;
	}
	if (off && off < sizeof(drops) - 1)
		strcat(drops, ")");
	log_msg("%llu events, %llu spans, %llu ring-buffer drops%s, %llu connections, "
		"%llu parse errors, %llu unmatched responses, %llu exceptions read from the "
		"interpreter, %llu tracebacks parsed",
		(unsigned long long)st.events, (unsigned long long)hs->spans,
		(unsigned long long)st.drops_total, drops, (unsigned long long)cs->opened,
		(unsigned long long)hs->parse_errors, (unsigned long long)hs->unmatched_responses,
		(unsigned long long)pyexc_stats()->events,
		(unsigned long long)proc_output_stats()->tracebacks);
	log_msg("outbound: %llu calls traced; TLS: %d OpenSSL librar%s probed, %llu probe hits "
		"(%llu calls), %llu files refused, %llu released",
		(unsigned long long)client_calls_stats()->spans, st.tls_libs,
		st.tls_libs == 1 ? "y" : "ies",
		(unsigned long long)(st.ssl_hits[SSL_HIT_ENTRY] + st.ssl_hits[SSL_HIT_RETURN]),
		(unsigned long long)st.ssl_hits[SSL_HIT_ENTRY], (unsigned long long)st.tls_refused,
		(unsigned long long)st.tls_released);
}

/* The capture's counters and every stage's, for --stats and the metrics endpoint. */
static void fill_metrics(struct metrics_snapshot *m, void *arg)
{
	struct capture_stats st;

	capture_stats(arg, &st);
	m->events = st.events;
	memcpy(m->drops, st.drops, sizeof(m->drops));
	m->processes = proc_count();
	metrics_collect(m);
}

/* Every exporter --export names, before attaching: a bad environment is a usage error. */
static int open_exporters(const struct config *cfg)
{
	const struct backend_shared shared = {
		.service_version = cfg->service_version,
		.resource_attributes = cfg->resource_attributes,
		.flush_deadline_s = cfg->flush_deadline_s,
	};

	for (int i = 0; i < cfg->nexports; i++) {
		const struct backend *b = backend_find(cfg->exports[i]);
		struct exporter *ex = b ? b->open(config_backend_get(cfg, b), &shared) : NULL;

		if (!ex)
			return -1;
		export_register(ex);
	}
	return 0;
}

static int announce_found; /* after the first scan, which say_attached sums up */

static void follow_found(uint32_t pid, void *arg)
{
	if (capture_follow(arg, pid) != 0)
		return;
	if (announce_found)
		log_msg("following pid %u, found in /proc (%s)", pid, follow_describe());
	else
		log_debug("following pid %u (%s)", pid, follow_describe());
}

/* What pyspan traces, said once when it is attached. */
static void say_attached(const struct config *cfg, struct capture *cap, int followed)
{
	struct capture_stats st;
	int others;

	capture_stats(cap, &st);
	if (cfg->npids) {
		others = st.traced_processes - cfg->npids;
		log_msg("attached to pid %u%s and %d other process%s%s%s; tracing (Ctrl-C to stop)",
			cfg->pids[0], cfg->npids > 1 ? " (and the other --pid targets)" : "",
			others, others == 1 ? "" : "es", follow_active() ? "; following " : "",
			follow_active() ? follow_describe() : "");
	} else if (followed) {
		log_msg("attached to %d process%s matching %s, and to those that start later; "
			"tracing (Ctrl-C to stop)",
			st.traced_processes, st.traced_processes == 1 ? "" : "es",
			follow_describe());
	} else {
		log_msg("no process matches %s yet: waiting for one to start (Ctrl-C to stop)",
			follow_describe());
	}
}

/* What attaching, the event loop and shutdown share. */
struct run {
	struct config cfg;
	struct capture *cap;
	struct metrics_server *msrv;
	uint64_t last_tick, last_stats, last_scan;
	int waiting; /* no traced process was left at the last look */
};

/* Flags, redaction, sampling and the exporters: everything decided before touching a process.
 * Returns -1 to go on, else the exit status. */
static int configure(int argc, char **argv, struct config *cfg)
{
	/* Before anything is said: pyspan's own messages pass through the same redaction as
	 * spans (redact_text compiles its built-in patterns on first use). */
	log_set_filter(redact_text);
	switch (cli_parse(argc, argv, cfg)) {
	case CLI_EXIT_OK:
		return 0;
	case CLI_USAGE_ERROR:
		return 2;
	case CLI_OK:
		break;
	}
	log_verbose = cfg->verbose;
	if (redact_init(&cfg->redact)) {
		log_msg("out of memory");
		return 1;
	}
	client_calls_configure(&(struct client_calls_opts){ .redis_redact_keys =
								      cfg->redis_redact_keys });
	sampling_init(&cfg->sampling, clock_mono_now_ns() ^ (uint64_t)getpid() << 32);
	for (int i = 0; i < cfg->npids; i++) {
		if (!proc_exists(cfg->pids[i])) {
			log_msg("no process with pid %u", cfg->pids[i]);
			return 1;
		}
	}
	export_set_flush_deadline(cfg->flush_deadline_s);
	delivery_set_queue_bytes((size_t)cfg->export_queue_mb << 20);
	if (open_exporters(cfg))
		return 2; /* the exporter said why; nothing was attached yet */
	/* The service's output is split into records only for an exporter that takes them. */
	log_lines_enabled = export_wants_logs();
	if (log_lines_enabled)
		log_files_init(cfg->log_files, cfg->nlog_files);
	else if (cfg->nlog_files)
		log_msg("--log-files: no exporter in use takes logs; the files are not read");
	if (geteuid() != 0)
		log_debug("not running as root: loading BPF needs CAP_BPF and CAP_PERFMON");
	return -1;
}

/* Load and attach the probes, find the processes to follow, and say what is traced. */
static int attach(struct run *r)
{
	const struct config *cfg = &r->cfg;
	struct capture_opts copts = {
		.pids = cfg->pids,
		.npids = cfg->npids,
		.capture_bytes = cfg->capture_bytes,
		.ringbuf_mb = cfg->ringbuf_mb,
		.record_path = cfg->record_path,
		.log_files = log_lines_enabled && cfg->nlog_files > 0,
	};
	/* A BTF file for a kernel that does not expose its own (or a test of that message). */
	const char *btf = getenv("PYSPAN_BTF");

	copts.btf_path = btf && btf[0] ? btf : NULL;
	if (proc_init(cfg->service_name) || conn_init()) {
		log_msg("out of memory");
		return -1;
	}
	copts.follow = follow_init(&(const struct follow_filters){
		.comms = cfg->comms, .ncomms = cfg->ncomms,
		.exes = cfg->exes, .nexes = cfg->nexes,
		.cgroups = cfg->cgroups, .ncgroups = cfg->ncgroups,
		.containers = cfg->containers, .ncontainers = cfg->ncontainers,
	});
	r->cap = capture_open(&copts);
	if (!r->cap)
		return -1;
	/* The exec probe is live: a process starting from here on is reported, one that
	 * started before is found in /proc. */
	say_attached(cfg, r->cap, follow_scan(proc_known, follow_found, r->cap));
	announce_found = 1;
	r->waiting = proc_count() == 0;
	if (cfg->metrics_port) {
		const char *a = cfg->metrics_address;
		int v6 = strchr(a, ':') != NULL;

		r->msrv = metrics_server_open(a, (int)cfg->metrics_port);
		if (!r->msrv)
			return -1;
		log_msg("metrics on http://%s%s%s:%d/metrics", v6 ? "[" : "", a, v6 ? "]" : "",
			metrics_server_port(r->msrv));
	}
	return 0;
}

/* Wait for records (and for exporters' answers while requests are in flight) and handle them.
 * -1 when the ring buffer cannot be read. */
static int take_events(struct run *r)
{
	struct http_loop *hl = http_loop_started();
	int n;

	if (hl && http_loop_active(hl)) {
		/* Exporters have requests in flight: wake for their answers too, so each queue sends
		 * its next batch as soon as one is answered. Waiting only on the ring buffer capped
		 * a queue at max_inflight batches per poll timeout. */
		http_loop_wait_fd(hl, capture_fd(r->cap), POLL_MS);
		n = capture_poll(r->cap, 0);
	} else {
		n = capture_poll(r->cap, POLL_MS);
	}
	if (n < 0 && n != -EINTR) {
		log_msg("reading the ring buffer failed: %s", strerror(-n));
		return -1;
	}
	return 0;
}

/* What runs by time rather than by record: timeouts, /proc rescans, counters. */
static void on_time(struct run *r, uint64_t now)
{
	log_lines_tick(now);
	export_flush_all();
	if (now - r->last_tick >= TICK_NS) {
		conn_tick(now);
		capture_tick(r->cap, now);
		pyexc_tick();
		r->last_tick = now;
	}
	if (follow_active() && now - r->last_scan >= RESCAN_NS) {
		follow_scan(proc_known, follow_found, r->cap);
		r->last_scan = now;
	}
	metrics_server_poll(r->msrv, fill_metrics, r->cap);
	if (r->cfg.stats_interval_s &&
	    now - r->last_stats >= (uint64_t)r->cfg.stats_interval_s * 1000000000ull) {
		struct metrics_snapshot m;
		char line[1024];

		memset(&m, 0, sizeof(m));
		fill_metrics(&m, r->cap);
		metrics_status_line(&m, line, sizeof(line));
		log_msg("%s", line);
		r->last_stats = now;
	}
}

/* Every traced process has exited: 1 when pyspan should stop rather than wait for more. */
static int all_gone(struct run *r)
{
	int gone = proc_count() == 0, stop_now = 0;

	if (gone && !r->waiting) {
		stop_now = r->cfg.exit_when_gone;
		if (stop_now)
			log_msg("every traced process has exited; stopping");
		else
			log_msg("every traced process has exited; waiting for new ones%s%s",
				follow_active() ? " matching " : "",
				follow_active() ? follow_describe() : "");
	}
	r->waiting = gone;
	return stop_now;
}

/* Until a signal, or until every traced process is gone: the exit status. */
static int event_loop(struct run *r)
{
	r->last_tick = r->last_stats = r->last_scan = clock_mono_now_ns();
	while (!stop) {
		if (take_events(r))
			return 1;
		on_time(r, clock_mono_now_ns());
		if (all_gone(r))
			break;
	}
	return 0;
}

/* Detach, drain what is queued within the flush deadline, print the summaries, free. */
static void shut_down(struct run *r)
{
	export_shutdown_begins();
	metrics_server_close(r->msrv);
	if (r->cap) {
		/* Drain what the kernel already queued, then stop paying for probes. A service
		 * writing as fast as pyspan reads would keep this going: it gets a bound. */
		uint64_t drain_until = clock_mono_now_ns() + DRAIN_NS;

		while (capture_poll(r->cap, 0) > 0 && clock_mono_now_ns() < drain_until)
			;
		print_summary(r->cap);
		capture_close(r->cap);
	}
	/* Partial lines and held tracebacks are records too: out before the exporters close. */
	if (log_lines_enabled) {
		const struct log_lines_stats *ls;

		log_lines_fini();
		ls = log_lines_stats();
		log_msg("logs: %llu records (%llu tracebacks, %llu during a request), %llu cut at "
			"a bound",
			(unsigned long long)ls->records, (unsigned long long)ls->tracebacks,
			(unsigned long long)ls->traced, (unsigned long long)ls->cut);
	}
	/* Probes are detached; now the export queues drain, all together, until the flush
	 * deadline counted from the stop, and the export summary counts what they delivered or
	 * gave up on. */
	export_close_all();
	log_files_fini();
	conn_fini();
	http_server_fini();
	proc_output_fini();
	pyexc_fini();
	proc_fini();
	follow_fini();
	redact_fini();
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	static struct run r; /* large (the configuration): not on the stack */
	int rc = configure(argc, argv, &r.cfg);

	if (rc >= 0)
		return rc;
	catch_signals();
	clock_calibrate();
	rc = attach(&r) ? 1 : event_loop(&r);
	shut_down(&r);
	return rc;
}
