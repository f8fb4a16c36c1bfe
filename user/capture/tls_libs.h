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

/* The file path of one /proc/PID/maps line when it maps an OpenSSL libssl, else 0. Deleted
 * files (" (deleted)") are skipped: their path no longer names them. */
int tls_lib_from_maps_line(const char *line, char *path, size_t cap);

/* Call fn once per distinct libssl path in /proc/PID/maps. Returns how many were found, or -1
 * when the maps cannot be read (the process is gone). */
int tls_libs_scan(uint32_t pid, void (*fn)(uint32_t pid, const char *path, void *arg), void *arg);

#endif
