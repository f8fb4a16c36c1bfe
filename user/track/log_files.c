// SPDX-License-Identifier: BSD-2-Clause
/* Writes to regular files whose path matches --log-files become log records, like stdout's. */
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/u64map.h"
#include "track/log_files.h"
#include "track/log_lines.h"

static const char *const *patterns;
static int npatterns;
static void (*decide)(uint32_t pid, uint32_t fd, int allowed, void *arg);
static void *decide_arg;
/* (pid << 32 | fd) -> the path of a log file BPF was told to send: the record's source. */
static struct u64map paths;
static struct log_files_stats stats;

void log_files_init(const char *const *p, int n)
{
	patterns = p;
	npatterns = n;
}

void log_files_set_decide(void (*fn)(uint32_t pid, uint32_t fd, int allowed, void *arg),
			  void *arg)
{
	decide = fn;
	decide_arg = arg;
}

const struct log_files_stats *log_files_stats(void)
{
	return &stats;
}

int log_files_match(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (int i = 0; i < npatterns; i++) {
		if (strchr(patterns[i], '/') ? fnmatch(patterns[i], path, FNM_PATHNAME) == 0 :
					       fnmatch(patterns[i], base, 0) == 0)
			return 1;
	}
	return 0;
}

static uint64_t key_of(uint32_t pid, uint32_t fd)
{
	return (uint64_t)pid << 32 | fd;
}

static void forget(uint32_t pid, uint32_t fd)
{
	free(paths.buckets ? u64map_del(&paths, key_of(pid, fd)) : NULL);
}

/* What the descriptor names now: a regular file matching a pattern gets its path kept. */
static const char *resolve(uint32_t pid, uint32_t fd)
{
	char link[64], path[PATH_MAX];
	struct stat st;
	ssize_t n;
	char *copy;
	int ok;

	stats.resolved++;
	forget(pid, fd);
	snprintf(link, sizeof(link), "/proc/%u/fd/%u", pid, fd);
	n = readlink(link, path, sizeof(path) - 1);
	ok = n > 0 && stat(link, &st) == 0 && S_ISREG(st.st_mode);
	if (ok) {
		path[n] = '\0';
		ok = log_files_match(path);
	}
	if (decide)
		decide(pid, fd, ok, decide_arg);
	if (!ok)
		return NULL;
	stats.matched++;
	if (!paths.buckets && u64map_init(&paths, 64))
		return NULL;
	copy = strdup(path);
	if (copy && u64map_put(&paths, key_of(pid, fd), copy)) {
		free(copy);
		copy = NULL;
	}
	return copy;
}

void log_files_on_write(const struct ev_data *e)
{
	const char *path = paths.buckets ? u64map_get(&paths, key_of(e->h.pid, e->h.fd)) : NULL;

	if (!npatterns)
		return;
	/* BPF had no verdict for the descriptor (new, or reused since): decide now. */
	if ((e->flags & EVF_FD_UNKNOWN) || !path)
		path = resolve(e->h.pid, e->h.fd);
	if (path)
		log_lines_on_write(e, LOGREC_FILE, path);
}

static void drop_pid(uint64_t key, void *value, void *arg)
{
	if ((uint32_t)(key >> 32) == *(uint32_t *)arg) {
		u64map_del(&paths, key);
		free(value);
	}
}

void log_files_on_exit(uint32_t pid)
{
	if (paths.buckets)
		u64map_each(&paths, drop_pid, &pid);
}

static void drop_all(uint64_t key, void *value, void *arg)
{
	free(value);
}

void log_files_fini(void)
{
	if (!paths.buckets)
		return;
	u64map_each(&paths, drop_all, NULL);
	u64map_free(&paths);
}
