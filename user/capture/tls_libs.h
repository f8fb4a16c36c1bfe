/* SPDX-License-Identifier: BSD-2-Clause */
/* The OpenSSL libraries a process maps, found in /proc/PID/maps, for the TLS uprobes. */
#ifndef PYSPAN_TLS_LIBS_H
#define PYSPAN_TLS_LIBS_H

#include <stddef.h>
#include <stdint.h>

#define TLS_LIB_PATH_MAX 512

/* Is this file name (the last path component) an OpenSSL libssl: libssl.so.3, libssl.so.1.1,
 * and copies bundled by wheels such as libssl-1d8e3a2c.so.1.1 or libssl-abc.so.3? NSS's
 * libssl3.so is not. */
int tls_lib_is_openssl(const char *name);

/* One mapping of a libssl, as /proc/PID/maps shows it. */
struct tls_map {
	uint64_t start, end, ino;
	uint32_t dev; /* major << 20 | minor, as maps prints it */
	char path[TLS_LIB_PATH_MAX];
};

/* One /proc/PID/maps line: 1 and *m filled when it maps an OpenSSL libssl, else 0. Deleted
 * files (" (deleted)") are skipped: their path no longer names them. */
int tls_map_from_maps_line(const char *line, struct tls_map *m);
/* The same, the path alone. */
int tls_lib_from_maps_line(const char *line, char *path, size_t cap);

/* Call fn once per distinct libssl file (device and inode) in /proc/PID/maps, with its lowest
 * mapping. Returns how many were found, or -1 when the maps cannot be read (the process is
 * gone). Reads a bounded number of lines. */
int tls_libs_scan(uint32_t pid, void (*fn)(uint32_t pid, const struct tls_map *m, void *arg),
		  void *arg);

#endif
