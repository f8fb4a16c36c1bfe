// SPDX-License-Identifier: BSD-2-Clause
/* What pyspan needs from the host: the capability an EPERM lacked, and the kernel BTF. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/caps.h"

uint64_t caps_effective(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return 0;
	return (uint64_t)data[0].effective | (uint64_t)data[1].effective << 32;
}

static const struct {
	int cap;
	const char *name;
} names[] = {
	{ CAP_BPF, "CAP_BPF" },
	{ CAP_PERFMON, "CAP_PERFMON" },
	{ CAP_SYS_PTRACE, "CAP_SYS_PTRACE" },
	{ CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH" },
	{ CAP_SYS_RESOURCE, "CAP_SYS_RESOURCE" },
	{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
};

static const char *cap_name(int cap)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].cap == cap)
			return names[i].name;
	return "?";
}

#define BIT(c) (1ull << (c))

/* The capabilities each operation needs. CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON
 * (kernels before 5.8 know only it), so having it means neither is missing. */
static uint64_t needs(enum caps_op op)
{
	switch (op) {
	case CAPS_BPF_LOAD: /* tracing programs read kernel memory: CAP_PERFMON too */
		return BIT(CAP_BPF) | BIT(CAP_PERFMON);
	case CAPS_PERF_ATTACH:
		return BIT(CAP_PERFMON);
	case CAPS_PTRACE_READ:
		return BIT(CAP_SYS_PTRACE);
	case CAPS_PROC_FILES:
		return BIT(CAP_SYS_PTRACE) | BIT(CAP_DAC_READ_SEARCH);
	case CAPS_MEMLOCK:
		return BIT(CAP_SYS_RESOURCE);
	case CAPS_TRACEFS_MOUNT:
		return BIT(CAP_SYS_ADMIN);
	case CAPS_TRACEFS_READ:
		return BIT(CAP_DAC_READ_SEARCH);
	}
	return 0;
}

static const char *const what[] = {
	[CAPS_BPF_LOAD] = "loading BPF programs",
	[CAPS_PERF_ATTACH] = "attaching to tracepoints",
	[CAPS_PTRACE_READ] = "reading a traced process's memory",
	[CAPS_PROC_FILES] = "reading a traced process's /proc files",
	[CAPS_MEMLOCK] = "locking BPF map memory",
	[CAPS_TRACEFS_MOUNT] = "mounting tracefs",
	[CAPS_TRACEFS_READ] = "reading tracefs",
};

const char *caps_hint_for(enum caps_op op, uint64_t eff)
{
	static char buf[400];
	uint64_t missing = needs(op) & ~eff;
	size_t off;

	if (eff & BIT(CAP_SYS_ADMIN))
		missing &= ~(BIT(CAP_BPF) | BIT(CAP_PERFMON));
	if (!missing)
		return op == CAPS_PTRACE_READ || op == CAPS_PROC_FILES ?
			       "the capabilities are there, so a security module (Yama's "
			       "ptrace_scope, AppArmor, SELinux) refused it" :
			       "the capabilities are there, so seccomp (a container runtime's "
			       "default profile: run the container with seccomp=unconfined), a "
			       "security module or a sysctl (kernel.unprivileged_bpf_disabled, "
			       "perf_event_paranoid) refused it";
	off = (size_t)snprintf(buf, sizeof(buf), "missing ");
	for (int c = 0; c < 64; c++) {
		if (!(missing & BIT(c)))
			continue;
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
					off > strlen("missing ") ? " and " : "", cap_name(c));
	}
	snprintf(buf + off, sizeof(buf) - off,
		 " for %s: run pyspan as root or grant it (pyspan needs CAP_BPF, CAP_PERFMON, "
		 "CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH)",
		 what[op]);
	return buf;
}

const char *caps_hint(enum caps_op op)
{
	return caps_hint_for(op, caps_effective());
}

const char *caps_btf_problem(const char *path)
{
	static char buf[512];
	const char *p = path ? path : "/sys/kernel/btf/vmlinux";

	if (access(p, R_OK) == 0)
		return NULL;
	if (errno == ENOENT && !path)
		snprintf(buf, sizeof(buf),
			 "this kernel exposes no BTF (%s is missing): pyspan needs a kernel built "
			 "with CONFIG_DEBUG_INFO_BTF=y, or a BTF file for it named by PYSPAN_BTF; "
			 "in a container, mount the host's /sys/kernel/btf read-only",
			 p);
	else if (errno == ENOENT)
		snprintf(buf, sizeof(buf), "the BTF file %s (PYSPAN_BTF) does not exist", p);
	else
		snprintf(buf, sizeof(buf), "cannot read the BTF %s: %s", p, strerror(errno));
	return buf;
}
