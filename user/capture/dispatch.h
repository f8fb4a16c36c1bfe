/* SPDX-License-Identifier: BSD-2-Clause */
/* Routes one capture record (from the ring buffer or a recording) to the stage that owns it. */
#ifndef PYSPAN_DISPATCH_H
#define PYSPAN_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "pyspan_events.h"

void dispatch_event(const void *data, size_t len);

/* Called for each socket fd of a process that exited (BPF-side cleanup). */
void dispatch_set_fd_gone(void (*fn)(uint32_t pid, uint32_t fd, void *arg), void *arg);
/* Who hears of an untraced process's exec (EV_PROC_EXEC_NEW); NULL: nobody, as in a replay. */
void dispatch_set_exec_new(void (*fn)(uint32_t pid, void *arg), void *arg);

#endif
