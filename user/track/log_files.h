/* SPDX-License-Identifier: BSD-2-Clause */
/* Writes to regular files whose path matches --log-files become log records, like stdout's. */
#ifndef PYSPAN_LOG_FILES_H
#define PYSPAN_LOG_FILES_H

#include <stdint.h>

#include "pyspan_events.h"

#define LOG_FILES_MAX_PATTERNS 16

struct log_files_stats {
	uint64_t resolved; /* (pid, fd) pairs looked up in /proc */
	uint64_t matched;  /* of those, regular files matching a pattern */
};

/* The glob patterns (fnmatch; a pattern with no '/' matches the file's base name). */
void log_files_init(const char *const *patterns, int n);
/* How pyspan tells the kernel side what it decided for (pid, fd): capture.c's map update. */
void log_files_set_decide(void (*fn)(uint32_t pid, uint32_t fd, int allowed, void *arg),
			  void *arg);
/* Does this path name a log file? */
int log_files_match(const char *path);
/* A write to a descriptor that is not a socket, stdout or stderr. */
void log_files_on_write(const struct ev_data *e);
void log_files_on_exit(uint32_t pid);
void log_files_fini(void);
const struct log_files_stats *log_files_stats(void);

#endif
