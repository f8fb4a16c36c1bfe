/* SPDX-License-Identifier: BSD-2-Clause */
/* Processes traced by what they are (name, executable, cgroup, container), now and later. */
#ifndef PYSPAN_FOLLOW_H
#define PYSPAN_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

/* One cgroup to follow, as /proc/PID/cgroup names it. */
struct cgroup_want {
	int version;         /* 2: the unified hierarchy, 1: a v1 hierarchy, 0: any */
	char options[256];   /* v1: the mount's super options (its controllers) */
	char path[4096];     /* hierarchy path: "/system.slice/shop.service" */
};

#define FOLLOW_MAX 16 /* values of each kind */

/* What to follow: each kind's values (--comm, --exe, --cgroup, --container); a process matches
 * when it matches one value of every kind given, at most FOLLOW_MAX of each. The strings must
 * outlive following. */
struct follow_filters {
	const char *const *comms;
	int ncomms;
	const char *const *exes;
	int nexes;
	const char *const *cgroups;
	int ncgroups;
	const char *const *containers;
	int ncontainers;
};

/* Take the filters; cgroup paths under a mount are turned into hierarchy paths with
 * /proc/self/mountinfo. Returns 1 when any filter is set (pyspan follows new processes). */
int follow_init(const struct follow_filters *f);
void follow_fini(void);
int follow_active(void);

/* "comm gunicorn, cgroup /shop": the filters, for messages. */
const char *follow_describe(void);

/* Does the process match every kind of filter given (any value of each kind)? Reads /proc. */
int follow_matches(uint32_t pid);

/* Calls fn for every process in /proc that matches and for which known(pid) is false; pyspan's
 * own pid never. Returns how many fn was called for. */
int follow_scan(int (*known)(uint32_t pid), void (*fn)(uint32_t pid, void *arg), void *arg);

/* The pure parts, for tests. */
/* given: a path under a cgroup mount ("/sys/fs/cgroup/unified/x") or a hierarchy path ("/x");
 * mountinfo: the text of /proc/self/mountinfo. */
void follow_cgroup_resolve(const char *given, const char *mountinfo, struct cgroup_want *w);
/* text: the contents of /proc/PID/cgroup. */
int follow_cgroup_text_matches(const char *text, const struct cgroup_want *w);
/* A container id (full or a prefix of at least 12) named by a component of a cgroup path, as
 * docker, containerd, cri-o, podman and kubelet name them. */
int follow_container_in_text(const char *text, const char *id);
/* The comm the kernel keeps is the first 15 bytes of the name. */
int follow_comm_matches(const char *comm, const char *want);

#endif
