// SPDX-License-Identifier: BSD-2-Clause
/* The BPF side's life cycle: load, attach, follow the process tree, read the ring buffer. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "capture.skel.h"
#include "capture/capture.h"
#include "lib/caps.h"
#include "lib/clock.h"
#include "capture/detach.h"
#include "capture/dispatch.h"
#include "capture/follow.h"
#include "lib/log.h"
#include "track/log_files.h"
#include "track/proc.h"
#include "python/pyexc.h"
#include "capture/record.h"
#include "capture/tls_probe.h"

/* How often every traced process's maps are read again for a libssl loaded since (a wheel
 * imported late), and how long after an exec its libraries are given to load. */
#define TLS_RESCAN_NS (2ull * 1000000000ull)
#define TLS_EXEC_DELAY_NS (300ull * 1000000ull)
#define TLS_PENDING_MAX 64

struct capture {
	struct capture_bpf *skel;
	struct ring_buffer *rb;
	struct record *record;
	uint64_t events;
	int traced;
	struct tls_probes *tls;
	uint64_t tls_next_scan;
	struct {
		uint32_t pid;
		uint64_t due;
	} tls_pending[TLS_PENDING_MAX]; /* exec'd processes to scan once their libraries load */
	int ntls_pending;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (log_verbose)
		log_vtext(fmt, ap);
	return 0;
}

/* libbpf finds tracepoint ids in tracefs; a host or container that has not mounted it gets it
 * mounted here, which needs CAP_SYS_ADMIN. */
static int ensure_tracefs(void)
{
	struct stat st;
	int err;

	if (stat("/sys/kernel/tracing/events", &st) == 0)
		return 0;
	err = errno;
	if (stat("/sys/kernel/debug/tracing/events", &st) == 0)
		return 0;
	if (err == EACCES) {
		log_msg("cannot read tracefs (/sys/kernel/tracing): %s", caps_hint(CAPS_TRACEFS_READ));
		return -1;
	}
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0) {
		log_debug("mounted tracefs at /sys/kernel/tracing");
		return 0;
	}
	err = errno;
	log_msg("tracefs is not mounted and mounting it at /sys/kernel/tracing failed (%s): %s",
		strerror(err),
		err == EPERM ? caps_hint(CAPS_TRACEFS_MOUNT) :
			       "mount it with 'mount -t tracefs nodev /sys/kernel/tracing' (in a "
			       "container: bind-mount the host's /sys/kernel/tracing)");
	return -1;
}

/* A process is gone: its sockets' entries in BPF's conns map go with it. */
static void on_proc_gone_fd(uint32_t pid, uint32_t fd, void *arg)
{
	struct capture *cap = arg;
	struct {
		uint32_t tgid, fd;
	} key = { pid, fd };

	bpf_map_delete_elem(bpf_map__fd(cap->skel->maps.conns), &key);
}

/* userspace's verdict on a file descriptor the BPF side asked about (--log-files). */
static void on_log_fd_decided(uint32_t pid, uint32_t fd, int allowed, void *arg)
{
	struct capture *cap = arg;
	struct {
		uint32_t tgid, fd;
	} key = { pid, fd };
	struct {
		uint64_t file;
		uint32_t allowed, pad;
	} val = { 0, allowed ? 1 : 0, 0 };

	bpf_map_update_elem(bpf_map__fd(cap->skel->maps.log_fds), &key, &val, BPF_ANY);
}

static void tls_scan(struct capture *cap, uint32_t pid)
{
	if (cap->tls)
		tls_probes_scan(cap->tls, pid);
}

/* Every process pyspan traces, read from BPF's own list (forks join it there first). */
static void tls_scan_all(struct capture *cap)
{
	int fd = bpf_map__fd(cap->skel->maps.traced_pids);
	uint32_t key, next;
	int first = 1;

	if (!cap->tls)
		return;
	tls_probes_round_begin(cap->tls);
	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		tls_scan(cap, next);
		key = next;
		first = 0;
	}
	/* Probes on a file no traced process maps any more are released. */
	tls_probes_round_end(cap->tls);
}

void capture_tick(struct capture *cap, uint64_t now_mono_ns)
{
	int kept = 0;

	for (int i = 0; i < cap->ntls_pending; i++) {
		if (cap->tls_pending[i].due <= now_mono_ns)
			tls_scan(cap, cap->tls_pending[i].pid);
		else
			cap->tls_pending[kept++] = cap->tls_pending[i];
	}
	cap->ntls_pending = kept;
	if (now_mono_ns >= cap->tls_next_scan) {
		tls_scan_all(cap);
		cap->tls_next_scan = now_mono_ns + TLS_RESCAN_NS;
	}
}

static int handle_event(void *ctx, void *data, size_t len)
{
	struct capture *cap = ctx;
	const struct ev_header *h = data;

	/* A new image maps its libraries after exec: look for libssl once they are in. */
	if (len >= sizeof(*h) && h->type == EV_PROC_EXEC && cap->ntls_pending < TLS_PENDING_MAX) {
		cap->tls_pending[cap->ntls_pending].pid = h->pid;
		cap->tls_pending[cap->ntls_pending++].due = h->ts_ns + TLS_EXEC_DELAY_NS;
	}

	cap->events++;
	if (cap->record && record_write(cap->record, data, len)) {
		log_msg("writing the recording failed: %s; recording stops", strerror(errno));
		record_close(cap->record);
		cap->record = NULL;
	}
	dispatch_event(data, len);
	return 0;
}

static int trace_pid(struct capture *cap, uint32_t pid)
{
	uint32_t one = 1;

	static int full_said;

	if (bpf_map_update_elem(bpf_map__fd(cap->skel->maps.traced_pids), &pid, &one, BPF_ANY)) {
		/* Following a busy cgroup can meet the map's bound on every rescan: said once. */
		if (errno != E2BIG)
			log_msg("cannot trace pid %u: %s", pid, strerror(errno));
		else if (!full_said++)
			log_msg("cannot trace pid %u: %d processes are traced already, the most "
				"pyspan follows; further matches are not traced",
				pid, MAX_TRACED_PIDS);
		return -1;
	}
	cap->traced++;
	return 0;
}

static void trace_child(uint32_t pid, uint32_t ppid, void *arg)
{
	struct capture *cap = arg;

	if (proc_known(pid))
		return;
	if (trace_pid(cap, pid) == 0) {
		proc_add(pid, ppid, NULL);
		pyexc_setup_process(pid);
	}
}

int capture_follow(struct capture *cap, uint32_t pid)
{
	if (proc_known(pid) || trace_pid(cap, pid))
		return -1;
	proc_add(pid, 0, NULL);
	pyexc_setup_process(pid);
	/* Children it forked before its pid reached traced_pids (a gunicorn master starting
	 * its workers) are only in /proc. */
	proc_walk_descendants(pid, trace_child, cap);
	return 0;
}

/* An untraced process exec'd while pyspan follows by name, executable or cgroup. */
static void on_exec_new(uint32_t pid, void *arg)
{
	struct capture *cap = arg;

	if (!follow_matches(pid) || proc_known(pid) || trace_pid(cap, pid))
		return;
	proc_add(pid, 0, NULL);
	pyexc_setup_exec(pid);
	proc_walk_descendants(pid, trace_child, cap);
	log_msg("following pid %u, started after attach (%s)", pid, follow_describe());
}

/* Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK, which libbpf raises: without
 * CAP_SYS_RESOURCE that fails and map creation says EPERM. */
static int memlock_charged(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return major < 5 || (major == 5 && minor < 11);
}

static const char *load_hint(int err, enum caps_op op)
{
	if ((err == -EPERM || err == -EACCES) && op == CAPS_BPF_LOAD && memlock_charged() &&
	    !(caps_effective() & (1ull << CAP_SYS_RESOURCE)))
		return caps_hint(CAPS_MEMLOCK);
	if (err == -EPERM || err == -EACCES)
		return caps_hint(op);
	if (err == -ENOENT || err == -ESRCH)
		return "a tracepoint pyspan needs is missing on this kernel";
	return "the kernel refused pyspan's BPF programs (run with -v for libbpf's log)";
}

struct capture *capture_open(const struct capture_opts *o)
{
	struct capture *cap = calloc(1, sizeof(*cap));
	int err;

	if (!cap) {
		log_msg("out of memory");
		return NULL;
	}
	libbpf_set_print(libbpf_print);
	if (caps_btf_problem(o->btf_path)) {
		log_msg("%s", caps_btf_problem(o->btf_path));
		goto fail;
	}
	if (ensure_tracefs())
		goto fail;

	{
		LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);

		cap->skel = capture_bpf__open_opts(&oo);
	}
	if (!cap->skel) {
		log_msg("cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	cap->skel->rodata->capture_bytes = o->capture_bytes;
	/* Wake up for a backlog of an eighth of the buffer, at most 1 MiB: early enough that a
	 * burst cannot fill the buffer while pyspan sleeps out its poll timeout. */
	cap->skel->rodata->wakeup_bytes = ((uint64_t)o->ringbuf_mb << 20) / 8;
	if (cap->skel->rodata->wakeup_bytes > (1 << 20))
		cap->skel->rodata->wakeup_bytes = 1 << 20;
	bpf_map__set_max_entries(cap->skel->maps.events, o->ringbuf_mb << 20);
	cap->skel->rodata->report_untraced_exec = o->follow;
	cap->skel->rodata->log_files_on = o->log_files ? 1 : 0;

	err = capture_bpf__load(cap->skel);
	if (err) {
		log_msg("cannot load BPF programs (%s): %s", strerror(-err),
			load_hint(err, CAPS_BPF_LOAD));
		goto fail;
	}
	err = capture_bpf__attach(cap->skel);
	if (err) {
		log_msg("cannot attach BPF programs (%s): %s", strerror(-err),
			load_hint(err, CAPS_PERF_ATTACH));
		goto fail;
	}
	if (o->record_path) {
		const char *why;

		cap->record = record_create(o->record_path, &why);
		if (!cap->record) {
			log_msg("cannot write the recording %s: %s", o->record_path,
				why ? why : strerror(errno));
			goto fail;
		}
	}
	dispatch_set_fd_gone(on_proc_gone_fd, cap);
	if (o->follow)
		dispatch_set_exec_new(on_exec_new, cap);
	if (o->log_files)
		log_files_set_decide(on_log_fd_decided, cap);
	cap->rb = ring_buffer__new(bpf_map__fd(cap->skel->maps.events), handle_event, cap, NULL);
	if (!cap->rb) {
		log_msg("cannot open the ring buffer: %s", strerror(errno));
		goto fail;
	}

	{
		struct bpf_program *const entry[TLS_FUNCS] = {
			cap->skel->progs.ssl_write_enter, cap->skel->progs.ssl_read_enter,
			cap->skel->progs.ssl_write_ex_enter, cap->skel->progs.ssl_read_ex_enter
		};

		cap->tls = tls_probes_new(entry, cap->skel->progs.ssl_return);
	}
	pyexc_init(&(struct pyexc_maps){ .procs_fd = bpf_map__fd(cap->skel->maps.py_procs),
					 .versions_fd = bpf_map__fd(cap->skel->maps.py_versions) });

	/* Probes first, then the pids: a fork after this point is seen by BPF, one before it
	 * is found in /proc. */
	for (int i = 0; i < o->npids; i++) {
		if (proc_known(o->pids[i]))
			continue; /* named twice, or a child of an earlier one */
		if (trace_pid(cap, o->pids[i]))
			goto fail;
		proc_add(o->pids[i], 0, NULL);
		pyexc_setup_process(o->pids[i]);
		proc_walk_descendants(o->pids[i], trace_child, cap);
	}
	tls_scan_all(cap);
	return cap;

fail:
	capture_close(cap);
	return NULL;
}

int capture_fd(struct capture *cap)
{
	return ring_buffer__epoll_fd(cap->rb);
}

int capture_poll(struct capture *cap, int timeout_ms)
{
	int n = ring_buffer__poll(cap->rb, timeout_ms), m;

	/* BPF wakes pyspan only once a backlog builds up (see wakeup_bytes): what arrived
	 * without a wakeup is read when the poll times out. */
	if (n < 0)
		return n;
	m = ring_buffer__consume(cap->rb);
	return m < 0 ? m : n + m;
}

void capture_stats(struct capture *cap, struct capture_stats *out)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	memset(out, 0, sizeof(*out));
	out->events = cap->events;
	out->traced_processes = cap->traced;
	if (ncpu <= 0)
		return;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (uint32_t cause = 0; cause < DROP__COUNT; cause++) {
		if (bpf_map_lookup_elem(bpf_map__fd(cap->skel->maps.drops), &cause, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			out->drops[cause] += vals[c];
		out->drops_total += out->drops[cause];
	}
	for (uint32_t w = 0; w < SSL_HIT__COUNT; w++) {
		if (bpf_map_lookup_elem(bpf_map__fd(cap->skel->maps.ssl_hits), &w, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			out->ssl_hits[w] += vals[c];
	}
	{
		struct tls_probe_stats ts;

		tls_probes_stats(cap->tls, &ts);
		out->tls_libs = ts.libs;
		out->tls_refused = ts.refused;
		out->tls_released = ts.released;
	}
	free(vals);
}

/* Every link, the OpenSSL probes' and the skeleton's, closed together (see detach.h). */
static void detach_all(struct capture *cap)
{
	int nprogs = cap->skel ? cap->skel->skeleton->prog_cnt : 0;
	int n = 0, max = TLS_PROBE_MAX_LIBS * 2 * TLS_FUNCS + nprogs;
	struct bpf_link ***links = calloc((size_t)max + 1, sizeof(*links));

	if (!links)
		return; /* capture_bpf__detach and the process's exit close them, one by one */
	n = tls_probes_links(cap->tls, links, max - nprogs);
	for (int i = 0; i < nprogs; i++)
		links[n++] = cap->skel->skeleton->progs[i].link;
	{
		uint64_t t0 = clock_mono_now_ns();

		detach_hand_over();
		detach_links(links, n);
		log_debug("detached %d links in %.0f ms", n,
			  (double)(clock_mono_now_ns() - t0) / 1e6);
	}
	free(links);
}

void capture_close(struct capture *cap)
{
	if (!cap)
		return;
	/* Detach before anything else: the traced processes stop paying for probes now,
	 * whatever userspace still has to do. */
	detach_all(cap);
	tls_probes_free(cap->tls);
	if (cap->skel)
		capture_bpf__detach(cap->skel);
	ring_buffer__free(cap->rb);
	capture_bpf__destroy(cap->skel);
	dispatch_set_fd_gone(NULL, NULL);
	dispatch_set_exec_new(NULL, NULL);
	record_close(cap->record);
	free(cap);
}
