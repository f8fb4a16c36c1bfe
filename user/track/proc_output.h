/* SPDX-License-Identifier: BSD-2-Clause */
/* What traced processes write to stdout and stderr: tracebacks in it join the request in flight. */
#ifndef PYSPAN_PROC_OUTPUT_H
#define PYSPAN_PROC_OUTPUT_H

#include <stdint.h>

#include "pyspan_events.h"

struct proc_output_stats {
	uint64_t writes;
	uint64_t bytes;
	uint64_t tracebacks;   /* complete traceback reports found */
	uint64_t attached;     /* of those, given to a request in flight on the same thread */
};

/* A write to fd 1 or 2 by a traced thread. */
void proc_output_on_write(const struct ev_data *e);
void proc_output_on_exit(uint32_t pid);
void proc_output_fini(void);
const struct proc_output_stats *proc_output_stats(void);

#endif
