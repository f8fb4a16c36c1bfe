// SPDX-License-Identifier: BSD-2-Clause
/* The OpenSSL libraries a process maps, found in /proc/PID/maps, for the TLS uprobes. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "capture/tls_libs.h"

#define MAX_PER_PROCESS 16
/* A process can map millions of regions; the scan every 2 s stops somewhere. */
#define MAX_MAPS_LINES 100000

int tls_lib_is_openssl(const char *name)
{
	const char *p;

	if (strncmp(name, "libssl", 6) != 0)
		return 0;
	p = name + 6;
	/* libssl.so.N, or a wheel's libssl-<hash>.so.N (auditwheel renames with a hash). */
	if (*p == '-') {
		p = strchr(p, '.');
		if (!p)
			return 0;
	}
	return strncmp(p, ".so", 3) == 0 && (p[3] == '\0' || p[3] == '.');
}

int tls_map_from_maps_line(const char *line, struct tls_map *m)
{
	const char *p = strchr(line, '/'), *base, *end;
	unsigned major, minor;
	size_t n;

	/* address perms offset dev inode pathname: the path is the first '/' on the line. */
	if (!p || sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %*x %x:%x %" SCNu64, &m->start,
			 &m->end, &major, &minor, &m->ino) != 5)
		return 0;
	m->dev = major << 20 | minor;
	end = p + strcspn(p, "\n");
	if (end - p >= 10 && memcmp(end - 10, " (deleted)", 10) == 0)
		return 0;
	n = (size_t)(end - p);
	if (n >= sizeof(m->path))
		return 0;
	memcpy(m->path, p, n);
	m->path[n] = '\0';
	base = strrchr(m->path, '/') + 1;
	return tls_lib_is_openssl(base);
}

int tls_lib_from_maps_line(const char *line, char *path, size_t cap)
{
	struct tls_map m;

	if (!tls_map_from_maps_line(line, &m) || strlen(m.path) >= cap)
		return 0;
	memcpy(path, m.path, strlen(m.path) + 1);
	return 1;
}

int tls_libs_scan(uint32_t pid, void (*fn)(uint32_t pid, const struct tls_map *m, void *arg),
		  void *arg)
{
	struct {
		uint32_t dev;
		uint64_t ino;
	} seen[MAX_PER_PROCESS];
	char file[64], line[TLS_LIB_PATH_MAX + 128];
	int nseen = 0, nlines = 0;
	struct tls_map m;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%u/maps", pid);
	f = fopen(file, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && nlines++ < MAX_MAPS_LINES) {
		int dup = 0;

		/* Cheap filter first: most lines are not libssl. */
		if (!strstr(line, "libssl") || !tls_map_from_maps_line(line, &m))
			continue;
		for (int i = 0; i < nseen && !dup; i++)
			dup = seen[i].dev == m.dev && seen[i].ino == m.ino;
		if (dup || nseen == MAX_PER_PROCESS)
			continue;
		seen[nseen].dev = m.dev;
		seen[nseen++].ino = m.ino;
		fn(pid, &m, arg);
	}
	fclose(f);
	return nseen;
}
