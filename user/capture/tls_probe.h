/* SPDX-License-Identifier: BSD-2-Clause */
/* The OpenSSL uprobes: which libssl files are probed, within bounds, and released when unused. */
#ifndef PYSPAN_TLS_PROBE_H
#define PYSPAN_TLS_PROBE_H

#include <stdint.h>

struct bpf_link;
struct bpf_program;

/* The functions probed, each with its entry program; every one shares the return program. */
enum { TLS_FUNCS = 4 };

/* Bounds a traced process cannot push past: files probed in all, and files one process may
 * add. Each file costs 2 * TLS_FUNCS perf events and links. */
#define TLS_PROBE_MAX_LIBS 16
#define TLS_PROBE_MAX_PER_PROCESS 4
/* A libssl is about 700 KB; a bigger "libssl" is not opened. */
#define TLS_PROBE_MAX_SIZE (64ull << 20)

struct tls_probe_stats {
	int libs;          /* files probed now */
	uint64_t refused;  /* files not probed: not a regular file, swapped, unreadable, a bound */
	uint64_t released; /* files whose probes were released: no traced process maps them */
};

struct tls_probes;

struct tls_probes *tls_probes_new(struct bpf_program *const entry[TLS_FUNCS],
				  struct bpf_program *ret);

/* A pass over every traced process: begin, scan each, end. end releases the probes of every
 * file no process scanned since begin maps. */
void tls_probes_round_begin(struct tls_probes *tp);
void tls_probes_scan(struct tls_probes *tp, uint32_t pid);
void tls_probes_round_end(struct tls_probes *tp);

void tls_probes_stats(const struct tls_probes *tp, struct tls_probe_stats *out);

/* Pointers to every link held, for detaching them all at once: up to max, returns how many. */
int tls_probes_links(struct tls_probes *tp, struct bpf_link **out[], int max);
/* Free what is left once the links are destroyed. */
void tls_probes_free(struct tls_probes *tp);

#endif
