// SPDX-License-Identifier: BSD-2-Clause
/* The OpenSSL libraries a process maps, found in /proc/PID/maps, for the TLS uprobes. */
#include <stdio.h>
#include <string.h>

#include "capture/tls_libs.h"

#define MAX_PER_PROCESS 16

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

int tls_lib_from_maps_line(const char *line, char *path, size_t cap)
{
	const char *p = strchr(line, '/'), *base, *end;
	size_t n;

	/* address perms offset dev inode pathname: the path is the first '/' on the line. */
	if (!p || !cap)
		return 0;
	end = p + strcspn(p, "\n");
	if (end - p >= 10 && memcmp(end - 10, " (deleted)", 10) == 0)
		return 0;
	n = (size_t)(end - p);
	if (n >= cap)
		return 0;
	memcpy(path, p, n);
	path[n] = '\0';
	base = strrchr(path, '/') + 1;
	return tls_lib_is_openssl(base);
}

int tls_libs_scan(uint32_t pid, void (*fn)(uint32_t pid, const char *path, void *arg), void *arg)
{
	char seen[MAX_PER_PROCESS][TLS_LIB_PATH_MAX];
	char file[64], line[TLS_LIB_PATH_MAX + 128], path[TLS_LIB_PATH_MAX];
	int nseen = 0;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%u/maps", pid);
	f = fopen(file, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		int dup = 0;

		/* Cheap filter first: most lines are not libssl. */
		if (!strstr(line, "libssl") || !tls_lib_from_maps_line(line, path, sizeof(path)))
			continue;
		for (int i = 0; i < nseen && !dup; i++)
			dup = strcmp(seen[i], path) == 0;
		if (dup || nseen == MAX_PER_PROCESS)
			continue;
		snprintf(seen[nseen++], TLS_LIB_PATH_MAX, "%s", path);
		fn(pid, path, arg);
	}
	fclose(f);
	return nseen;
}
