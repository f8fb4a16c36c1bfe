// SPDX-License-Identifier: BSD-2-Clause
/* The traced process tree as userspace knows it: names, parents, and the service name. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "track/proc.h"
#include "lib/u64map.h"

struct proc {
	uint32_t pid;
	uint32_t ppid;
	char comm[16];
};

static struct u64map procs;
static const char *service_override;

int proc_init(const char *service_name_override)
{
	service_override = service_name_override;
	return u64map_init(&procs, 256);
}

static void free_proc(uint64_t key, void *value, void *arg)
{
	free(value);
}

void proc_fini(void)
{
	if (!procs.buckets)
		return;
	u64map_each(&procs, free_proc, NULL);
	u64map_free(&procs);
}

static void read_comm(uint32_t pid, char comm[16])
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	comm[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(comm, 16, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

void proc_add(uint32_t pid, uint32_t ppid, const char *comm)
{
	struct proc *p = u64map_get(&procs, pid);

	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p || u64map_put(&procs, pid, p)) {
			free(p);
			return;
		}
	}
	p->pid = pid;
	p->ppid = ppid;
	if (comm && comm[0])
		snprintf(p->comm, sizeof(p->comm), "%s", comm);
	else
		read_comm(pid, p->comm);
}

void proc_exec(uint32_t pid, const char *comm)
{
	struct proc *p = u64map_get(&procs, pid);

	if (p)
		snprintf(p->comm, sizeof(p->comm), "%s", comm);
	else
		proc_add(pid, 0, comm);
}

void proc_remove(uint32_t pid)
{
	free(u64map_del(&procs, pid));
}

int proc_count(void)
{
	return (int)procs.count;
}

int proc_known(uint32_t pid)
{
	return procs.buckets && u64map_get(&procs, pid) != NULL;
}

const char *proc_service_name(uint32_t pid)
{
	struct proc *p;

	if (service_override && service_override[0])
		return service_override;
	p = u64map_get(&procs, pid);
	if (p && p->comm[0])
		return p->comm;
	return "unknown_service";
}

int proc_exists(uint32_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%u", pid);
	return stat(path, &st) == 0;
}

/* The parent pid from /proc/PID/stat; the comm field may hold spaces and parentheses, so the
 * fields are read after its last ')'. */
static int read_ppid(uint32_t pid, uint32_t *ppid)
{
	char path[64], buf[512];
	size_t n;
	char *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %u", ppid) != 1)
		return -1;
	return 0;
}

struct pid_pair {
	uint32_t pid, ppid;
};

int proc_walk_descendants(uint32_t root, void (*fn)(uint32_t pid, uint32_t ppid, void *arg),
			  void *arg)
{
	struct pid_pair *all = NULL;
	size_t n = 0, cap = 0;
	uint32_t *found = NULL;
	size_t nfound = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		uint32_t pid, ppid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (uint32_t)strtoul(de->d_name, NULL, 10);
		if (read_ppid(pid, &ppid))
			continue;
		if (n == cap) {
			struct pid_pair *grown;

			cap = cap ? cap * 2 : 512;
			grown = realloc(all, cap * sizeof(*all));
			if (!grown)
				break;
			all = grown;
		}
		all[n].pid = pid;
		all[n].ppid = ppid;
		n++;
	}
	closedir(d);

	/* Breadth first from root: each round adds the children of what the last one found,
	 * so parents are reported before their children. */
	found = malloc((n + 1) * sizeof(*found));
	if (!found) {
		free(all);
		return 0;
	}
	found[nfound++] = root;
	for (size_t head = 0; head < nfound; head++) {
		for (size_t i = 0; i < n; i++) {
			if (all[i].ppid != found[head] || all[i].pid == root)
				continue;
			found[nfound++] = all[i].pid;
			fn(all[i].pid, all[i].ppid, arg);
		}
	}
	free(found);
	free(all);
	return (int)nfound - 1;
}
