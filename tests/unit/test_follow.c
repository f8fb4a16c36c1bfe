// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for following processes by cgroup, container id and name, and for the messages
 * that name a missing capability or BTF. */
#include <stdlib.h>

#include "lib/caps.h"
#include "capture/follow.h"
#include "check.h"

/* A host with v1 controllers and the unified hierarchy beside them (systemd's hybrid mode),
 * and a container whose cgroup namespace root is a sub-tree. */
static const char mountinfo[] =
	"24 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
	"30 24 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
	"31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
	"32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd\n"
	"35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
	"36 30 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
	"40 24 0:33 /kubepods/pod1 /host/cgroup rw - cgroup2 cgroup2 rw\n";

static const char proc_cgroup[] =
	"12:memory:/system.slice/shop.service\n"
	"4:cpu,cpuacct:/system.slice/shop.service\n"
	"1:name=systemd:/system.slice/shop.service\n"
	"0::/system.slice/shop.service/worker\n";

static void test_resolve(void)
{
	struct cgroup_want w;

	follow_cgroup_resolve("/sys/fs/cgroup/unified/system.slice/shop.service/", mountinfo, &w);
	CHECK_INT(w.version, 2);
	CHECK_STR(w.path, "/system.slice/shop.service");

	follow_cgroup_resolve("/sys/fs/cgroup/memory/system.slice", mountinfo, &w);
	CHECK_INT(w.version, 1);
	CHECK_STR(w.path, "/system.slice");
	CHECK_STR(w.options, "rw,memory");

	follow_cgroup_resolve("/sys/fs/cgroup/unified", mountinfo, &w);
	CHECK_STR(w.path, "/");

	/* The mount's root is where its paths start in the hierarchy. */
	follow_cgroup_resolve("/host/cgroup/abc", mountinfo, &w);
	CHECK_INT(w.version, 2);
	CHECK_STR(w.path, "/kubepods/pod1/abc");

	/* Not under a mount: a hierarchy path, matched in any hierarchy. */
	follow_cgroup_resolve("/system.slice/shop.service", mountinfo, &w);
	CHECK_INT(w.version, 0);
	CHECK_STR(w.path, "/system.slice/shop.service");
	/* A prefix of a mount point's name is not under it. */
	follow_cgroup_resolve("/sys/fs/cgroup/unifiedX/a", mountinfo, &w);
	CHECK_INT(w.version, 0);
}

static int matches(const char *given, const char *text)
{
	struct cgroup_want w;

	follow_cgroup_resolve(given, mountinfo, &w);
	return follow_cgroup_text_matches(text, &w);
}

static void test_cgroup_match(void)
{
	CHECK_INT(matches("/sys/fs/cgroup/unified/system.slice/shop.service", proc_cgroup), 1);
	CHECK_INT(matches("/sys/fs/cgroup/unified/system.slice/shop.service/worker", proc_cgroup),
		  1);
	CHECK_INT(matches("/sys/fs/cgroup/unified/system.slice/shop.servic", proc_cgroup), 0);
	CHECK_INT(matches("/sys/fs/cgroup/unified/system.slice/shop.service/worker/x",
			  proc_cgroup), 0);
	CHECK_INT(matches("/sys/fs/cgroup/memory/system.slice/shop.service", proc_cgroup), 1);
	CHECK_INT(matches("/sys/fs/cgroup/memory/system.slice/other", proc_cgroup), 0);
	/* cpu,cpuacct: both controllers are the mount's. */
	CHECK_INT(matches("/sys/fs/cgroup/cpu,cpuacct/system.slice", proc_cgroup), 1);
	CHECK_INT(matches("/sys/fs/cgroup/systemd/system.slice", proc_cgroup), 1);
	/* The v2 path is .../worker; the v1 ones are not: each hierarchy answers for itself. */
	CHECK_INT(matches("/sys/fs/cgroup/memory/system.slice/shop.service/worker", proc_cgroup),
		  0);
	CHECK_INT(matches("/system.slice/shop.service/worker", proc_cgroup), 1);
	CHECK_INT(matches("/", proc_cgroup), 1);
	CHECK_INT(matches("/sys/fs/cgroup/unified/x", ""), 0);
	CHECK_INT(matches("/sys/fs/cgroup/unified/x", "garbage\n::\n"), 0);
}

#define ID "4f1d3c2b9a8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817060504"

static void test_container(void)
{
	static const char *const named[] = {
		"0::/system.slice/docker-" ID ".scope\n",
		"11:memory:/docker/" ID "\n",
		"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/"
		"cri-containerd-" ID ".scope\n",
		"0::/kubepods/burstable/pod8a1b/" ID "\n",
		"0::/machine.slice/libpod-" ID ".scope/container\n",
		"0::/kubepods.slice/crio-" ID ".scope\n",
	};

	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		CHECK_INT(follow_container_in_text(named[i], ID), 1);
		CHECK_INT(follow_container_in_text(named[i], "4f1d3c2b9a8e"), 1);
		CHECK_INT(follow_container_in_text(named[i], "4f1d3c2b9a8f"), 0);
	}
	/* conmon watches the container from a scope named after it, outside it. */
	CHECK_INT(follow_container_in_text("0::/machine.slice/libpod-conmon-" ID ".scope\n", ID),
		  0);
	/* Not a whole component: an id inside a longer name is someone else's. */
	CHECK_INT(follow_container_in_text("0::/x/" ID "0\n", ID), 0);
	CHECK_INT(follow_container_in_text("0::/\n", "4f1d3c2b9a8e"), 0);
}

static void test_comm(void)
{
	CHECK_INT(follow_comm_matches("gunicorn", "gunicorn"), 1);
	CHECK_INT(follow_comm_matches("gunicorn", "gunicor"), 0);
	CHECK_INT(follow_comm_matches("gunicor", "gunicorn"), 0);
	/* The kernel keeps 15 bytes of a name. */
	CHECK_INT(follow_comm_matches("shop-backend-wo", "shop-backend-worker"), 1);
	CHECK_INT(follow_comm_matches("shop-backend-wx", "shop-backend-worker"), 0);
}

#define B(c) (1ull << (c))

static void test_caps_hints(void)
{
	uint64_t all = B(CAP_BPF) | B(CAP_PERFMON) | B(CAP_SYS_PTRACE) | B(CAP_DAC_READ_SEARCH);

	CHECK_STR(caps_hint_for(CAPS_BPF_LOAD, all & ~B(CAP_BPF)),
		  "missing CAP_BPF for loading BPF programs: run pyspan as root or grant it "
		  "(pyspan needs CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH)");
	CHECK_STR(caps_hint_for(CAPS_BPF_LOAD, 0),
		  "missing CAP_PERFMON and CAP_BPF for loading BPF programs: run pyspan as root or "
		  "grant it (pyspan needs CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE and "
		  "CAP_DAC_READ_SEARCH)");
	/* CAP_SYS_ADMIN stands in for both. */
	CHECK(strncmp(caps_hint_for(CAPS_BPF_LOAD, B(CAP_SYS_ADMIN)), "the capabilities are", 20) ==
	      0);
	CHECK(strncmp(caps_hint_for(CAPS_PERF_ATTACH, all & ~B(CAP_PERFMON)),
		      "missing CAP_PERFMON for attaching to tracepoints:", 49) == 0);
	CHECK(strncmp(caps_hint_for(CAPS_PTRACE_READ, all & ~B(CAP_SYS_PTRACE)),
		      "missing CAP_SYS_PTRACE for reading a traced process's memory:", 61) == 0);
	CHECK(strncmp(caps_hint_for(CAPS_PROC_FILES, all & ~B(CAP_DAC_READ_SEARCH)),
		      "missing CAP_DAC_READ_SEARCH for reading a traced process's /proc files:",
		      71) == 0);
	CHECK(strncmp(caps_hint_for(CAPS_MEMLOCK, all), "missing CAP_SYS_RESOURCE for locking",
		      36) == 0);
	CHECK(strncmp(caps_hint_for(CAPS_TRACEFS_MOUNT, all), "missing CAP_SYS_ADMIN for mounting",
		      34) == 0);
	CHECK_STR(caps_hint_for(CAPS_PTRACE_READ, all),
		  "the capabilities are there, so a security module (Yama's ptrace_scope, "
		  "AppArmor, SELinux) refused it");
}

static void test_btf(void)
{
	CHECK_STR(caps_btf_problem("/nonexistent/vmlinux"),
		  "the BTF file /nonexistent/vmlinux (PYSPAN_BTF) does not exist");
	CHECK(caps_btf_problem("/proc/self/status") == NULL);
}

int main(void)
{
	test_resolve();
	test_cgroup_match();
	test_container();
	test_comm();
	test_caps_hints();
	test_btf();
	return check_summary("follow");
}
