/* SPDX-License-Identifier: BSD-2-Clause */
/* Python exceptions read from the interpreter: set up per process, resolve, attach to spans. */
#ifndef PYSPAN_PYEXC_H
#define PYSPAN_PYEXC_H

#include <stdint.h>

#include "pyspan_events.h"

struct pytb_report;

/* The BPF maps pyspan fills for each Python process (py_procs) and version (py_versions). */
struct pyexc_maps {
	int procs_fd;
	int versions_fd;
};

struct pyexc_stats {
	uint64_t events;        /* exceptions read by BPF */
	uint64_t attached;      /* given to a request in flight */
	uint64_t frames_unresolved; /* code objects that could not be read */
};

void pyexc_init(const struct pyexc_maps *maps);
void pyexc_fini(void);

/* Find the interpreter of pid and tell BPF where to read it. Says once per interpreter file
 * what pyspan will do when the version is unknown or the process is not CPython. */
void pyexc_setup_process(uint32_t pid);
/* The same for a process caught at its exec: the dynamic loader may not have mapped libpython
 * yet, so one that does not look like CPython is looked at again by pyexc_tick (for 2 s). */
void pyexc_setup_exec(uint32_t pid);
/* Call every half second or so. */
void pyexc_tick(void);
/* A forked child runs its parent's interpreter at the same addresses (BPF copies its entry). */
void pyexc_on_fork(uint32_t parent, uint32_t child);
void pyexc_forget_process(uint32_t pid);

void pyexc_on_event(const struct ev_pyexc *e);

/* Turn a BPF record into the exception model the text parser also produces (oldest first,
 * innermost frame last). Code objects are read from the process; lines computed from line
 * tables where the version stores them lazily. Exposed for tests. */
void pyexc_to_report(const struct ev_pyexc *e, struct pytb_report *r);

/* The line a traceback entry points at, from a 3.11+ location table (co_linetable) and the
 * entry's instruction offset in bytes. -1 when the table has no line for it. */
int pyexc_line_from_locations(const uint8_t *table, size_t len, int firstlineno, int lasti);

const struct pyexc_stats *pyexc_stats(void);

#endif
