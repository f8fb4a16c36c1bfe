// SPDX-License-Identifier: BSD-2-Clause
/* The OpenSSL uprobes: which libssl files are probed, within bounds, and released when unused. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/detach.h"
#include "capture/tls_libs.h"
#include "capture/tls_probe.h"
#include "lib/log.h"
#include "lib/proc_open.h"

/* Mappings not probed, remembered so that a refused file is neither opened nor counted again
 * on every rescan; the oldest entry makes room. */
#define REFUSED_MAX 512

static const char *const funcs[TLS_FUNCS] = { "SSL_write", "SSL_read", "SSL_write_ex",
					      "SSL_read_ex" };

/* One libssl file the probes are attached to: a file, not a path, so the same library seen
 * through two mount namespaces is attached once. */
struct tls_lib {
	dev_t dev;
	ino_t ino;
	uint32_t map_dev; /* how /proc/PID/maps names it, to know it again without an open */
	uint64_t map_ino;
	uint32_t owner; /* the process it was probed for: its share of the bound */
	uint32_t round; /* the last pass that found it mapped */
	struct bpf_link *links[2 * TLS_FUNCS];
};

struct refused {
	uint32_t pid, map_dev;
	uint64_t map_ino;
	int bound; /* refused for a bound: tried again once there is room */
};

struct tls_probes {
	struct bpf_program *entry[TLS_FUNCS], *ret;
	struct tls_lib libs[TLS_PROBE_MAX_LIBS];
	int nlibs;
	uint32_t round;
	struct refused refused[REFUSED_MAX];
	int nrefused, next_refused;
	uint64_t nrefused_total, released;
	unsigned said; /* bit per proc_open_err, and BOUND_SAID / NO_SYMBOLS_SAID */
};

#define BOUND_SAID (1u << 30)
#define NO_SYMBOLS_SAID (1u << 29)

struct tls_probes *tls_probes_new(struct bpf_program *const entry[TLS_FUNCS],
				  struct bpf_program *ret)
{
	struct tls_probes *tp = calloc(1, sizeof(*tp));

	if (!tp)
		return NULL;
	memcpy(tp->entry, entry, sizeof(tp->entry));
	tp->ret = ret;
	return tp;
}

static struct refused *find_refused(struct tls_probes *tp, uint32_t pid, const struct tls_map *m)
{
	for (int i = 0; i < tp->nrefused; i++) {
		struct refused *r = &tp->refused[i];

		if (r->pid == pid && r->map_dev == m->dev && r->map_ino == m->ino)
			return r;
	}
	return NULL;
}

/* Remember a refusal; the first of each cause is said, every one is counted once. */
static void refuse(struct tls_probes *tp, uint32_t pid, const struct tls_map *m, int bound)
{
	struct refused *r = find_refused(tp, pid, m);

	if (r)
		return;
	r = &tp->refused[tp->next_refused];
	tp->next_refused = (tp->next_refused + 1) % REFUSED_MAX;
	if (tp->nrefused < REFUSED_MAX)
		tp->nrefused++;
	*r = (struct refused){ pid, m->dev, m->ino, bound };
	tp->nrefused_total++;
}

static void say_once(struct tls_probes *tp, unsigned bit, uint32_t pid, const char *path,
		     const char *why)
{
	if (tp->said & bit)
		return;
	tp->said |= bit;
	log_msg("TLS: pid %u: %s %s: that process's OpenSSL calls are not traced (said once; "
		"the summary counts every file refused)",
		pid, path, why);
}

static int owned_by(const struct tls_probes *tp, uint32_t pid)
{
	int n = 0;

	for (int i = 0; i < tp->nlibs; i++)
		n += tp->libs[i].owner == pid;
	return n;
}

static int attach(struct tls_probes *tp, struct tls_lib *lib, const char *file)
{
	int nlinks = 0;

	for (int i = 0; i < TLS_FUNCS; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = funcs[i]);
		LIBBPF_OPTS(bpf_uprobe_opts, ro, .func_name = funcs[i], .retprobe = true);

		/* Older OpenSSL has no _ex forms: a missing symbol is not an error. */
		lib->links[2 * i] = bpf_program__attach_uprobe_opts(tp->entry[i], -1, file, 0, &uo);
		if (!lib->links[2 * i])
			continue;
		lib->links[2 * i + 1] = bpf_program__attach_uprobe_opts(tp->ret, -1, file, 0, &ro);
		if (!lib->links[2 * i + 1]) {
			bpf_link__destroy(lib->links[2 * i]);
			lib->links[2 * i] = NULL;
			continue;
		}
		nlinks++;
	}
	return nlinks;
}

/* One libssl mapping of a traced process. */
static void on_map(uint32_t pid, const struct tls_map *m, void *arg)
{
	struct tls_probes *tp = arg;
	struct refused *r;
	enum proc_open_err err;
	struct tls_lib *lib;
	char file[64];
	struct stat st;
	int fd;

	for (int i = 0; i < tp->nlibs; i++) {
		if (tp->libs[i].map_dev == m->dev && tp->libs[i].map_ino == m->ino) {
			tp->libs[i].round = tp->round;
			return;
		}
	}
	r = find_refused(tp, pid, m);
	if (r && !(r->bound && tp->nlibs < TLS_PROBE_MAX_LIBS &&
		   owned_by(tp, pid) < TLS_PROBE_MAX_PER_PROCESS))
		return;
	if (tp->nlibs == TLS_PROBE_MAX_LIBS || owned_by(tp, pid) >= TLS_PROBE_MAX_PER_PROCESS) {
		if (!(tp->said & BOUND_SAID)) {
			tp->said |= BOUND_SAID;
			log_msg("TLS: pid %u maps more OpenSSL libraries than pyspan probes (%d in "
				"all, %d for one process): %s is not probed (said once; the summary "
				"counts every file refused)",
				pid, TLS_PROBE_MAX_LIBS, TLS_PROBE_MAX_PER_PROCESS, m->path);
		}
		refuse(tp, pid, m, 1);
		return;
	}
	if (r)
		r->pid = 0; /* room now: this one is tried again below */

	/* The very file the process maps, opened without following its names into pyspan's
	 * own root and without opening anything but a regular file. */
	err = proc_open_mapped(pid, m->path, m->start, m->end, m->ino, TLS_PROBE_MAX_SIZE, &fd,
			       &st);
	if (err != PROC_OPEN_OK) {
		/* A name gone from a live process was hidden or renamed: worth saying. */
		if (err != PROC_OPEN_MISSING || kill((pid_t)pid, 0) == 0)
			say_once(tp, 1u << err, pid, m->path, proc_open_reason(err));
		refuse(tp, pid, m, 0);
		return;
	}
	for (int i = 0; i < tp->nlibs; i++) {
		if (tp->libs[i].dev == st.st_dev && tp->libs[i].ino == st.st_ino) {
			tp->libs[i].round = tp->round;
			close(fd);
			return;
		}
	}
	lib = &tp->libs[tp->nlibs];
	memset(lib, 0, sizeof(*lib));
	lib->dev = st.st_dev;
	lib->ino = st.st_ino;
	lib->map_dev = m->dev;
	lib->map_ino = m->ino;
	lib->owner = pid;
	lib->round = tp->round;
	/* libbpf opens the path it is given (for the symbols) and the kernel resolves it for
	 * the probe: /proc/self/fd/N names the inode checked above and nothing else. */
	proc_fd_path(fd, file, sizeof(file));
	if (attach(tp, lib, file)) {
		tp->nlibs++;
		log_debug("TLS: probing OpenSSL in %s (pid %u)", m->path, pid);
	} else {
		say_once(tp, NO_SYMBOLS_SAID, pid, m->path, "has none of SSL_write/SSL_read");
		refuse(tp, pid, m, 0);
	}
	close(fd);
}

void tls_probes_round_begin(struct tls_probes *tp)
{
	tp->round++;
}

void tls_probes_scan(struct tls_probes *tp, uint32_t pid)
{
	tls_libs_scan(pid, on_map, tp);
}

void tls_probes_round_end(struct tls_probes *tp)
{
	struct bpf_link *gone[TLS_PROBE_MAX_LIBS * 2 * TLS_FUNCS];
	int n = 0, kept = 0;

	for (int i = 0; i < tp->nlibs; i++) {
		struct tls_lib *lib = &tp->libs[i];

		if (lib->round == tp->round) {
			tp->libs[kept++] = *lib;
			continue;
		}
		for (int j = 0; j < 2 * TLS_FUNCS; j++)
			if (lib->links[j])
				gone[n++] = lib->links[j];
		tp->released++;
		log_debug("TLS: no traced process maps a probed OpenSSL any more (inode %lu): "
			  "its probes are released",
			  (unsigned long)lib->ino);
	}
	tp->nlibs = kept;
	if (!n)
		return;
	/* Each close waits for the kernel (about 0.1 s a probe): not on the main loop. */
	detach_links_async(gone, n);
}

void tls_probes_stats(const struct tls_probes *tp, struct tls_probe_stats *out)
{
	out->libs = tp ? tp->nlibs : 0;
	out->refused = tp ? tp->nrefused_total : 0;
	out->released = tp ? tp->released : 0;
}

int tls_probes_links(struct tls_probes *tp, struct bpf_link **out[], int max)
{
	int n = 0;

	for (int i = 0; tp && i < tp->nlibs; i++)
		for (int j = 0; j < 2 * TLS_FUNCS && n < max; j++)
			out[n++] = &tp->libs[i].links[j];
	return n;
}

void tls_probes_free(struct tls_probes *tp)
{
	free(tp);
}
