/* SPDX-License-Identifier: BSD-2-Clause */
/* The traced process tree as userspace knows it: names, parents, and the service name. */
#ifndef PYSPAN_PROC_H
#define PYSPAN_PROC_H

#include <stdint.h>

int proc_init(const char *service_name_override);
void proc_fini(void);

/* Record a traced process (comm may be NULL: it is read from /proc). */
void proc_add(uint32_t pid, uint32_t ppid, const char *comm);
void proc_exec(uint32_t pid, const char *comm);
void proc_remove(uint32_t pid);
int proc_count(void);
/* Is pid among the traced processes? */
int proc_known(uint32_t pid);

/* The service.name for spans of this process: the override, else the process's name. */
const char *proc_service_name(uint32_t pid);

/* Descendants of root listed in /proc right now; calls fn(pid, ppid) for each, parents before
 * children. Returns how many were found. */
int proc_walk_descendants(uint32_t root, void (*fn)(uint32_t pid, uint32_t ppid, void *arg),
			  void *arg);

/* Does the process exist (kill(pid, 0) semantics, but answering for any user)? */
int proc_exists(uint32_t pid);

#endif
