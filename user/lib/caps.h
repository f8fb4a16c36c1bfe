/* SPDX-License-Identifier: BSD-2-Clause */
/* What pyspan needs from the host: the capability an EPERM lacked, and the kernel BTF. */
#ifndef PYSPAN_CAPS_H
#define PYSPAN_CAPS_H

#include <linux/capability.h>
#include <stdint.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* What pyspan was doing when the kernel said no. */
enum caps_op {
	CAPS_BPF_LOAD,      /* bpf(BPF_PROG_LOAD / BPF_MAP_CREATE) */
	CAPS_PERF_ATTACH,   /* perf_event_open on a tracepoint */
	CAPS_PTRACE_READ,   /* process_vm_readv of a traced process */
	CAPS_PROC_FILES,    /* /proc/PID/exe, maps, root/... of a traced process */
	CAPS_MEMLOCK,       /* RLIMIT_MEMLOCK (kernels before 5.11 charge BPF memory to it) */
	CAPS_TRACEFS_MOUNT, /* mounting tracefs */
	CAPS_TRACEFS_READ,  /* reading tracefs (tracepoint ids) */
};

/* The effective set of this process, bit n for capability n (capget(2)); 0 when unknown. */
uint64_t caps_effective(void);

/* A sentence for an EPERM/EACCES of op: "missing CAP_BPF: ...", naming every capability of the
 * op's set absent from eff, or what else can refuse when none is. */
const char *caps_hint_for(enum caps_op op, uint64_t eff);
const char *caps_hint(enum caps_op op); /* with caps_effective() */

/* Why the BTF CO-RE relocates against (path, or /sys/kernel/btf/vmlinux when NULL) cannot be
 * read, in one sentence; NULL when it can. */
const char *caps_btf_problem(const char *path);

#endif
