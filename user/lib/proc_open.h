/* SPDX-License-Identifier: BSD-2-Clause */
/* Opens files a traced process named, as that process sees them, without letting it steer. */
#ifndef PYSPAN_PROC_OPEN_H
#define PYSPAN_PROC_OPEN_H

#include <stdint.h>
#include <sys/stat.h>

/* Why an open was refused, for the counters and the one message each cause gets. */
enum proc_open_err {
	PROC_OPEN_OK,
	PROC_OPEN_MISSING,     /* no such file, or the process is gone */
	PROC_OPEN_DENIED,      /* EACCES / EPERM */
	PROC_OPEN_NOT_REGULAR, /* a FIFO, socket, device or directory */
	PROC_OPEN_TOO_BIG,     /* larger than the caller's bound */
	PROC_OPEN_REPLACED,    /* not the file the process maps (swapped since) */
	PROC_OPEN_UNSUPPORTED, /* the kernel has no openat2 (before 5.6) */
	PROC_OPEN_OTHER,
	PROC_OPEN__COUNT
};

/* A short phrase for err: "is not a regular file". */
const char *proc_open_reason(enum proc_open_err err);

/* Every open below resolves the name without opening it (O_PATH), accepts only a regular
 * file no bigger than max_size bytes (0: any size), then opens that same inode for reading
 * with O_NONBLOCK|O_NOCTTY|O_CLOEXEC through /proc/self/fd: a FIFO, device or socket is never
 * opened, so nothing a process puts under a name can block pyspan. *fd is the open file and
 * *st its fstat; the return is PROC_OPEN_OK or why not (errno kept). */

/* path resolved under the directory rootfd as if it were "/": absolute symlinks and ".." stay
 * inside it (openat2 RESOLVE_IN_ROOT), and no /proc magic link is followed. */
enum proc_open_err proc_open_in(int rootfd, const char *path, uint64_t max_size, int *fd,
				struct stat *st);

/* path as process pid sees it: under /proc/PID/root, its root and mount namespace. */
enum proc_open_err proc_open_in_root(uint32_t pid, const char *path, uint64_t max_size, int *fd,
				     struct stat *st);

/* A link the kernel resolves to one file, not a name: /proc/PID/exe, /proc/PID/map_files/... */
enum proc_open_err proc_open_link(const char *link, uint64_t max_size, int *fd, struct stat *st);

/* The file pid maps at [start, end), named path in /proc/PID/maps with inode ino: through
 * map_files when pyspan may (CAP_SYS_ADMIN), else by name under the process's root, refused
 * when that name now holds another inode. */
enum proc_open_err proc_open_mapped(uint32_t pid, const char *path, uint64_t start, uint64_t end,
				    uint64_t ino, uint64_t max_size, int *fd, struct stat *st);

/* "/proc/self/fd/N" for fd: a name for libraries that take a path (libbpf, libelf users) that
 * names exactly the file already opened and checked. */
void proc_fd_path(int fd, char *buf, unsigned cap);

#endif
