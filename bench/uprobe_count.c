// SPDX-License-Identifier: BSD-2-Clause
/* Benchmark only: count how often interpreter functions run in a set of processes (uprobes).
 *
 *   build/bench/uprobe_count --binary /usr/bin/python3.11 --func _PyErr_SetObject \
 *       --func PyTraceBack_Here --pid MASTER --pid WORKER ...
 *
 * Attaches one uprobe per function (by symbol name, resolved by libbpf from the ELF's
 * symbol tables) for every process running the binary, and counts hits of the given pids
 * only. Prints "uprobe_count: attached ..." on stderr once counting, then one JSON line on
 * stdout per SIGUSR1 (a snapshot) and a last one at SIGINT/SIGTERM, when it exits 0:
 *
 *   {"snapshot":1,"hits":{"_PyErr_SetObject":12,...},"other_hits":{...}}
 *
 * Counts are cumulative since attach; the caller takes differences between snapshots.
 * Exit status 1 when something cannot be set up (not root, no such symbol), 2 on bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "uprobe_count.skel.h"

#define UC_MAX_FUNCS 8 /* as in uprobe_count.bpf.c */
#define UC_MAX_PIDS  64

static volatile sig_atomic_t stop, snap;
static int verbose;

static void on_stop(int sig)
{
	stop = 1;
}

static void on_snap(int sig)
{
	snap = 1;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!verbose && level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void usage(void)
{
	fprintf(stderr, "usage: uprobe_count --binary PATH --func NAME [--func NAME...] --pid PID "
			"[--pid PID...] [-v]\n");
}

static int sum_percpu(int fd, __u32 idx, int ncpu, unsigned long long *out)
{
	__u64 vals[ncpu];

	*out = 0;
	if (bpf_map_lookup_elem(fd, &idx, vals))
		return -1;
	for (int c = 0; c < ncpu; c++)
		*out += vals[c];
	return 0;
}

static void print_counts(struct uprobe_count_bpf *skel, const char **funcs, int nfuncs, int ncpu,
			 int n)
{
	unsigned long long v;

	printf("{\"snapshot\":%d,\"hits\":{", n);
	for (int i = 0; i < nfuncs; i++) {
		sum_percpu(bpf_map__fd(skel->maps.hits), (__u32)i, ncpu, &v);
		printf("%s\"%s\":%llu", i ? "," : "", funcs[i], v);
	}
	printf("},\"other_hits\":{");
	for (int i = 0; i < nfuncs; i++) {
		sum_percpu(bpf_map__fd(skel->maps.other_hits), (__u32)i, ncpu, &v);
		printf("%s\"%s\":%llu", i ? "," : "", funcs[i], v);
	}
	printf("}}\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *binary = NULL, *funcs[UC_MAX_FUNCS];
	struct bpf_link *links[UC_MAX_FUNCS] = {0};
	struct uprobe_count_bpf *skel = NULL;
	int nfuncs = 0, npids = 0, rc = 1, ncpu, nsnap = 0;
	unsigned long pids[UC_MAX_PIDS];
	struct sigaction sa;
	sigset_t block, old;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--binary") && i + 1 < argc) {
			binary = argv[++i];
		} else if (!strcmp(argv[i], "--func") && i + 1 < argc) {
			if (nfuncs == UC_MAX_FUNCS) {
				fprintf(stderr, "uprobe_count: at most %d --func\n", UC_MAX_FUNCS);
				return 2;
			}
			funcs[nfuncs++] = argv[++i];
		} else if (!strcmp(argv[i], "--pid") && i + 1 < argc) {
			char *end;

			if (npids == UC_MAX_PIDS) {
				fprintf(stderr, "uprobe_count: at most %d --pid\n", UC_MAX_PIDS);
				return 2;
			}
			pids[npids] = strtoul(argv[++i], &end, 10);
			if (*end || !pids[npids]) {
				fprintf(stderr,
					"uprobe_count: --pid takes a process id, not '%s'\n",
					argv[i]);
				return 2;
			}
			npids++;
		} else if (!strcmp(argv[i], "-v")) {
			verbose = 1;
		} else {
			usage();
			return 2;
		}
	}
	if (!binary || !nfuncs || !npids) {
		usage();
		return 2;
	}
	if (access(binary, R_OK)) {
		fprintf(stderr, "uprobe_count: cannot read %s: %s\n", binary, strerror(errno));
		return 1;
	}
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0) {
		fprintf(stderr, "uprobe_count: cannot count the possible CPUs\n");
		return 1;
	}
	libbpf_set_print(print_libbpf);

	skel = uprobe_count_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "uprobe_count: cannot load the BPF program (%s)%s\n",
			strerror(errno),
			geteuid() ? ": run as root" : "; run with -v for libbpf's log");
		return 1;
	}
	for (int i = 0; i < npids; i++) {
		__u32 tgid = (__u32)pids[i];
		__u8 one = 1;

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.tgids), &tgid, &one, BPF_ANY)) {
			fprintf(stderr, "uprobe_count: cannot add pid %u: %s\n", tgid,
				strerror(errno));
			goto out;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_snap;
	sigaction(SIGUSR1, &sa, NULL);

	for (int i = 0; i < nfuncs; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = funcs[i], .bpf_cookie = (__u64)i,
			    .retprobe = false);

		/* pid -1: every process mapping the binary; the tgids map keeps the ones asked. */
		links[i] =
		    bpf_program__attach_uprobe_opts(skel->progs.count_hit, -1, binary, 0, &uo);
		if (!links[i]) {
			fprintf(stderr,
				"uprobe_count: cannot attach a uprobe to %s in %s (%s); check the "
				"symbol with nm -D %s\n",
				funcs[i], binary, strerror(errno), binary);
			goto out;
		}
	}
	fprintf(stderr, "uprobe_count: attached %d uprobe%s to %s, counting %d process%s\n", nfuncs,
		nfuncs == 1 ? "" : "s", binary, npids, npids == 1 ? "" : "es");

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	while (!stop) {
		if (snap) {
			snap = 0;
			print_counts(skel, funcs, nfuncs, ncpu, ++nsnap);
			continue;
		}
		sigsuspend(&old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	print_counts(skel, funcs, nfuncs, ncpu, ++nsnap);
	rc = 0;

out:
	for (int i = 0; i < nfuncs; i++)
		bpf_link__destroy(links[i]);
	uprobe_count_bpf__destroy(skel);
	return rc;
}
