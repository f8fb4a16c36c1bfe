// SPDX-License-Identifier: BSD-2-Clause
/* Processes traced by what they are (name, executable, cgroup, container), now and later. */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/follow.h"
#include "lib/log.h"

#define READ_MAX 65536

static struct follow_filters filters;
static const struct follow_filters *conf; /* &filters once follow_init has run */
static struct cgroup_want cgroups[FOLLOW_MAX];
/* realpath of each --exe on pyspan's own file system: /usr/bin/python3 is a symlink, and
 * /proc/PID/exe names the file it resolves to. */
static char *exe_real[FOLLOW_MAX];
static char describe[1024];

/* A small /proc or mountinfo file, NUL-terminated; NULL when it cannot be read. */
static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(READ_MAX + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, READ_MAX, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static size_t add_desc(size_t off, const char *kind, const char *v)
{
	int n = snprintf(describe + off, sizeof(describe) - off, "%s%s %s", off ? ", " : "", kind,
			 v);

	if (n < 0 || (size_t)n >= sizeof(describe) - off)
		return sizeof(describe) - 1;
	return off + (size_t)n;
}

int follow_init(const struct follow_filters *cfg)
{
	char *mountinfo = read_text("/proc/self/mountinfo");
	size_t off = 0;

	filters = *cfg;
	conf = &filters;
	filters.ncomms = filters.ncomms < FOLLOW_MAX ? filters.ncomms : FOLLOW_MAX;
	filters.nexes = filters.nexes < FOLLOW_MAX ? filters.nexes : FOLLOW_MAX;
	filters.ncgroups = filters.ncgroups < FOLLOW_MAX ? filters.ncgroups : FOLLOW_MAX;
	filters.ncontainers = filters.ncontainers < FOLLOW_MAX ? filters.ncontainers : FOLLOW_MAX;
	describe[0] = '\0';
	for (int i = 0; i < cfg->ncomms; i++)
		off = add_desc(off, "comm", cfg->comms[i]);
	for (int i = 0; i < cfg->nexes; i++) {
		exe_real[i] = realpath(cfg->exes[i], NULL);
		off = add_desc(off, "exe", cfg->exes[i]);
	}
	for (int i = 0; i < cfg->ncgroups; i++) {
		follow_cgroup_resolve(cfg->cgroups[i], mountinfo ? mountinfo : "", &cgroups[i]);
		off = add_desc(off, "cgroup", cfg->cgroups[i]);
		if (strcmp(cgroups[i].path, cfg->cgroups[i]) != 0)
			log_debug("--cgroup %s is %s in the cgroup v%d hierarchy", cfg->cgroups[i],
				  cgroups[i].path, cgroups[i].version);
	}
	for (int i = 0; i < cfg->ncontainers; i++)
		off = add_desc(off, "container", cfg->containers[i]);
	free(mountinfo);
	return follow_active();
}

void follow_fini(void)
{
	for (int i = 0; i < FOLLOW_MAX; i++) {
		free(exe_real[i]);
		exe_real[i] = NULL;
	}
	conf = NULL;
}

int follow_active(void)
{
	return conf && (conf->ncomms || conf->nexes || conf->ncgroups || conf->ncontainers);
}

const char *follow_describe(void)
{
	return describe;
}

/* Field i (0-based, space-separated) of a mountinfo line, copied into out. */
static int field(const char *line, int i, char *out, size_t cap)
{
	const char *p = line;
	size_t n;

	for (; i > 0; i--) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	n = strcspn(p, " \n");
	if (n >= cap)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

void follow_cgroup_resolve(const char *given, const char *mountinfo, struct cgroup_want *w)
{
	size_t best = 0;
	const char *line = mountinfo;

	memset(w, 0, sizeof(*w));
	snprintf(w->path, sizeof(w->path), "%s", given);
	/* mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - FSTYPE SOURCE SUPEROPTS */
	for (; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char root[4096], mnt[4096], fstype[32], super[256];
		const char *dash = strstr(line, " - ");
		const char *eol = strchr(line, '\n');
		size_t m;

		if (!dash || (eol && dash > eol) || field(line, 3, root, sizeof(root)) ||
		    field(line, 4, mnt, sizeof(mnt)) || field(dash + 3, 0, fstype, sizeof(fstype)) ||
		    field(dash + 3, 2, super, sizeof(super)))
			continue;
		if (strcmp(fstype, "cgroup2") != 0 && strcmp(fstype, "cgroup") != 0)
			continue;
		m = strlen(mnt);
		if (m <= best || strncmp(given, mnt, m) != 0 || (given[m] && given[m] != '/'))
			continue;
		best = m;
		w->version = strcmp(fstype, "cgroup2") == 0 ? 2 : 1;
		snprintf(w->options, sizeof(w->options), "%s", super);
		/* The mount shows ROOT of the hierarchy (a container's cgroup namespace, a bind
		 * mount of a sub-tree): the hierarchy path is ROOT followed by the rest. */
		snprintf(w->path, sizeof(w->path), "%s%s", strcmp(root, "/") == 0 ? "" : root,
			 given + m);
		if (!w->path[0])
			snprintf(w->path, sizeof(w->path), "/");
	}
	/* "/a/b/" and "/a/b" are one cgroup. */
	for (size_t n = strlen(w->path); n > 1 && w->path[n - 1] == '/'; n--)
		w->path[n - 1] = '\0';
}

/* Is every controller of a /proc/PID/cgroup line ("cpu,cpuacct", "name=systemd") among the
 * mount's super options? */
static int ctrls_in(const char *ctrls, size_t len, const char *options)
{
	size_t i = 0;

	if (len == 0)
		return 0;
	while (i < len) {
		size_t n = 0;
		const char *o = options;
		int found = 0;

		while (i + n < len && ctrls[i + n] != ',')
			n++;
		while (*o) {
			size_t k = strcspn(o, ",");

			if (k == n && strncmp(o, ctrls + i, n) == 0)
				found = 1;
			o += k + (o[k] == ',');
		}
		if (!found)
			return 0;
		i += n + 1;
	}
	return 1;
}

static int path_under(const char *path, size_t len, const char *want)
{
	size_t n = strlen(want);

	if (strcmp(want, "/") == 0)
		return 1;
	return len >= n && strncmp(path, want, n) == 0 && (len == n || path[n] == '/');
}

int follow_cgroup_text_matches(const char *text, const struct cgroup_want *w)
{
	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *c1 = memchr(line, ':', len), *c2;

		if (c1 && (c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)))) {
			int v2 = c1 - line == 1 && line[0] == '0' && c2 == c1 + 1;
			const char *path = c2 + 1;
			size_t plen = len - (size_t)(path - line);

			if ((w->version == 0 || (w->version == 2 && v2) ||
			     (w->version == 1 && !v2 &&
			      ctrls_in(c1 + 1, (size_t)(c2 - c1 - 1), w->options))) &&
			    path_under(path, plen, w->path))
				return 1;
		}
		line = eol ? eol + 1 : NULL;
	}
	return 0;
}

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

/* One path component: "docker-ID.scope", "cri-containerd-ID.scope", "crio-ID.scope",
 * "libpod-ID.scope" (systemd driver) or plain "ID" (cgroupfs driver: /docker/ID,
 * /kubepods/.../ID). Conmon's own scope names the container too, but holds only conmon. */
static int component_names(const char *c, size_t n, const char *id)
{
	static const char *const prefixes[] = { "docker-", "cri-containerd-", "crio-", "libpod-",
						"containerd-" };
	size_t idlen = strlen(id);

	if ((n > 14 && strncmp(c, "libpod-conmon-", 14) == 0) ||
	    (n > 11 && strncmp(c, "crio-conmon-", 12) == 0))
		return 0;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t k = strlen(prefixes[i]);

		if (n > k && strncmp(c, prefixes[i], k) == 0) {
			c += k;
			n -= k;
			break;
		}
	}
	if (n > 6 && strncmp(c + n - 6, ".scope", 6) == 0)
		n -= 6;
	return n == 64 && is_hex(c, n) && idlen <= n && strncmp(c, id, idlen) == 0;
}

int follow_container_in_text(const char *text, const char *id)
{
	for (const char *p = text; p && *p;) {
		size_t n = strcspn(p, "/:\n");

		if (n && component_names(p, n, id))
			return 1;
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

int follow_comm_matches(const char *comm, const char *want)
{
	size_t n = strlen(want);

	if (n > 15)
		n = 15;
	return strlen(comm) == n && strncmp(comm, want, n) == 0;
}

static int comm_matches(uint32_t pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(comm, sizeof(comm), f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
	for (int i = 0; i < conf->ncomms; i++)
		if (follow_comm_matches(comm, conf->comms[i]))
			return 1;
	return 0;
}

/* /proc/PID/exe names the file in the process's own mount namespace: a container's
 * /usr/local/bin/python3.12 is that path, whatever the host calls it. */
static int exe_matches(uint32_t pid)
{
	char link[64], exe[PATH_MAX];
	ssize_t n;
	size_t len;

	snprintf(link, sizeof(link), "/proc/%u/exe", pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	len = (size_t)n;
	if (len > 10 && strcmp(exe + len - 10, " (deleted)") == 0)
		exe[len - 10] = '\0'; /* upgraded on disk while it runs: still the same program */
	for (int i = 0; i < conf->nexes; i++)
		if (strcmp(exe, conf->exes[i]) == 0 || (exe_real[i] && strcmp(exe, exe_real[i]) == 0))
			return 1;
	return 0;
}

static int cgroup_matches(uint32_t pid)
{
	char path[64];
	char *text;
	int ok = 1;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	text = read_text(path);
	if (!text)
		return 0;
	if (conf->ncgroups) {
		ok = 0;
		for (int i = 0; i < conf->ncgroups && !ok; i++)
			ok = follow_cgroup_text_matches(text, &cgroups[i]);
	}
	if (ok && conf->ncontainers) {
		ok = 0;
		for (int i = 0; i < conf->ncontainers && !ok; i++)
			ok = follow_container_in_text(text, conf->containers[i]);
	}
	free(text);
	return ok;
}

int follow_matches(uint32_t pid)
{
	if (!follow_active() || pid == (uint32_t)getpid())
		return 0;
	if (conf->ncomms && !comm_matches(pid))
		return 0;
	if (conf->nexes && !exe_matches(pid))
		return 0;
	if ((conf->ncgroups || conf->ncontainers) && !cgroup_matches(pid))
		return 0;
	return 1;
}

int follow_scan(int (*known)(uint32_t pid), void (*fn)(uint32_t pid, void *arg), void *arg)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (!follow_active())
		return 0;
	d = opendir("/proc");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		uint32_t pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (uint32_t)strtoul(de->d_name, NULL, 10);
		if (known(pid) || !follow_matches(pid))
			continue;
		fn(pid, arg);
		n++;
	}
	closedir(d);
	return n;
}
