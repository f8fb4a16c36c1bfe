/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Sizes of BPF maps and buffers, in one place for both sides. */
#ifndef PYSPAN_LIMITS_H
#define PYSPAN_LIMITS_H

/* Bytes of each read/write copied to userspace: the default holds a request line and headers. */
#define CAPTURE_DEFAULT 4096
/* Upper bound for --capture-bytes; a power of two so BPF can bound copies with a mask. */
#define CAPTURE_MAX 16384
/* iovecs of a readv/writev/recvmsg/sendmsg that are copied (the rest are counted, not copied). */
#define IOV_MAX_COPIED 8

#define MAX_TRACED_PIDS 16384
#define MAX_ACTIVE_IO 16384 /* syscalls in flight across all traced threads */
#define MAX_CONNS 65536     /* socket fds known across all traced processes */
#define RINGBUF_DEFAULT_MB 32
#define MAX_LOG_FDS 16384   /* file descriptors with a log-file verdict (--log-files) */

/* Python exceptions read from the interpreter. */
#define PYEXC_MAX_CHAIN 4       /* the exception and up to 3 causes/contexts */
#define PYEXC_MAX_FRAMES 32     /* frames kept per exception: the innermost */
#define PYEXC_WALK_FRAMES 64    /* traceback entries walked per exception */
#define PYEXC_TYPE_MAX 96
#define PYEXC_MSG_MAX 256
#define PY_MAX_THREADS_WALKED 64 /* thread states searched for the current thread */
#define MAX_PY_PROCS 4096
#define MAX_PY_VERSIONS 16

#endif
