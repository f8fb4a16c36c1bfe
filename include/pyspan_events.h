/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Event records written by the BPF programs into the ring buffer and read by userspace. */
#ifndef PYSPAN_EVENTS_H
#define PYSPAN_EVENTS_H

/* BPF includes vmlinux.h first; userspace needs the fixed-width kernel types. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "pyspan_limits.h"

/* The first field of every record says which struct follows. */
enum ev_type {
	EV_DATA = 1,   /* bytes read from or written to a traced socket */
	EV_CONN_OPEN,  /* a socket fd seen for the first time: its role and addresses */
	EV_CONN_CLOSE, /* the fd was closed */
	EV_PROC_FORK,  /* a traced process forked a new process (now traced too) */
	EV_PROC_EXEC,  /* a traced process called exec */
	EV_PROC_EXIT,  /* a traced process exited */
	EV_PY_EXC,     /* the exception a Python thread was handling when it wrote to stdout/stderr */
	EV_PROC_EXEC_NEW, /* an untraced process called exec (sent only while following by
			   * name, executable or cgroup): userspace decides whether to trace it */
};

enum ev_dir {
	DIR_INGRESS = 0, /* read, recv*: bytes the process received */
	DIR_EGRESS = 1,  /* write, send*: bytes the process sent */
};

enum conn_role {
	ROLE_UNKNOWN = 0, /* existed before attach, or created some other way */
	ROLE_SERVER = 1,  /* returned by accept: the process serves requests on it */
	ROLE_CLIENT = 2,  /* the process called connect on it */
};

/* Which syscall produced a data event: kept for debugging and per-syscall statistics. */
enum ev_syscall {
	SC_READ = 1,
	SC_READV,
	SC_RECVFROM,
	SC_RECVMSG,
	SC_WRITE,
	SC_WRITEV,
	SC_SENDTO,
	SC_SENDMSG,
	SC_SENDFILE,
	SC_SSL_WRITE, /* plaintext handed to OpenSSL's SSL_write / SSL_write_ex */
	SC_SSL_READ,  /* plaintext returned by OpenSSL's SSL_read / SSL_read_ex */
};

/* ev_data.flags */
#define EVF_TLS 1 /* plaintext of a TLS connection, seen through OpenSSL; the connection's
		   * ciphertext is not reported */
#define EVF_FD_UNKNOWN 2 /* a write to a non-socket fd BPF has no log-file verdict for:
			  * userspace decides and tells it */

/* traced_pids values: bits */
#define TRACED_F_ON 1  /* the process is traced */
#define TRACED_F_SSL 2 /* it has called OpenSSL: its socket syscalls are checked against a
			* TLS call in flight on the thread */

/* Counters of the OpenSSL uprobes, per CPU in the ssl_hits map. */
enum ssl_hit {
	SSL_HIT_ENTRY = 0,  /* an SSL_read/SSL_write(_ex) entry in a traced process */
	SSL_HIT_RETURN,     /* its return */
	SSL_HIT__COUNT,
};

/* Why an event could not be delivered; counted per CPU in the drops map, never silent. */
enum drop_cause {
	DROP_RINGBUF_DATA = 0, /* ring buffer full: a data event was lost */
	DROP_RINGBUF_CONN,     /* ring buffer full: a connection open/close was lost */
	DROP_RINGBUF_PROC,     /* ring buffer full: a fork/exec/exit was lost */
	DROP_PIDS_FULL,        /* traced_pids full: a forked child is not traced */
	DROP_ARGS_FULL,        /* active_io_args full: a syscall in flight was not followed */
	DROP_CONNS_FULL,       /* conns could not take a new socket */
	DROP_READ_FAULT,       /* the user buffer could not be read: event sent without bytes */
	DROP_RINGBUF_PYEXC,    /* ring buffer full: a Python exception was lost */
	DROP_TLS_NO_SOCKET,    /* TLS plaintext whose socket was never seen (memory BIOs) */
	DROP__COUNT,
};

struct ev_header {
	__u32 type; /* enum ev_type */
	__u32 pid;  /* tgid: the process */
	__u32 tid;  /* the thread */
	__u32 fd;
	__u64 ts_ns; /* CLOCK_MONOTONIC at the syscall's exit (or the sched event) */
};

struct ev_data {
	struct ev_header h;
	__u64 conn_id;   /* unique per socket fd lifetime; matches the EV_CONN_OPEN (also for
			  * TLS plaintext: the socket the SSL object writes to) */
	__u64 enter_ns;  /* CLOCK_MONOTONIC at the syscall's entry */
	__s64 total_len; /* bytes the syscall moved (its return value) */
	__u32 dir;       /* enum ev_dir */
	__u32 cap_len;   /* bytes captured in data[], at most the configured capture size */
	__u32 syscall;   /* enum ev_syscall */
	__u32 flags;     /* EVF_* */
	__u8 data[]; /* cap_len bytes: the first bytes the syscall moved */
};

struct ev_conn {
	struct ev_header h;
	__u64 conn_id;
	__u32 role;   /* enum conn_role */
	__u16 family; /* AF_INET, AF_INET6 or AF_UNIX */
	__u16 lport;  /* host order */
	__u16 rport;  /* host order */
	__u16 _pad[3];
	__u8 laddr[16]; /* IPv4 in the first 4 bytes */
	__u8 raddr[16];
};

struct ev_proc {
	struct ev_header h;
	__u32 ppid; /* EV_PROC_FORK: the parent's tgid */
	__u32 _pad;
	char comm[16];
};

/* One frame of a traceback as BPF finds it: the code object is resolved to names in userspace
 * (code objects live as long as their functions, so they can be read later and cached). */
struct py_frame_ref {
	__u64 code;
	__s32 lineno; /* tb_lineno, or -1 where the version computes it lazily */
	__s32 lasti;  /* tb_lasti: the instruction offset, to compute the line from */
};

/* One exception of a chain. */
struct py_exc_item {
	__u64 exc;  /* the object's address: the same exception seen twice is one */
	__u64 type; /* its type object's address */
	char type_name[PYEXC_TYPE_MAX];
	char message[PYEXC_MSG_MAX]; /* str(args[0]) when it is a str; NUL-terminated */
	__u32 message_len;           /* the string's full length in bytes (may exceed the copy) */
	__u32 nframes;               /* frames walked; the last PYEXC_MAX_FRAMES are kept */
	__u32 link;                  /* how the NEXT item (older) relates: 1 cause, 2 context */
	__u32 flags;                 /* PYEXC_F_* */
	struct py_frame_ref frames[PYEXC_MAX_FRAMES]; /* ring: index i % PYEXC_MAX_FRAMES */
};

#define PYEXC_F_MESSAGE_NOT_STR 1 /* args[0] is not a str: the message is left to the text */
#define PYEXC_F_MORE_FRAMES 2     /* the traceback was longer than the walk's bound */

struct ev_pyexc {
	struct ev_header h;
	__u32 nchain; /* items filled, newest (the one being handled) first */
	__u32 _pad;
	struct py_exc_item chain[PYEXC_MAX_CHAIN];
};

_Static_assert(sizeof(struct ev_header) == 24, "ev_header layout");
_Static_assert(sizeof(struct ev_data) == 64, "ev_data layout");
_Static_assert(sizeof(struct ev_conn) == 80, "ev_conn layout");
_Static_assert(sizeof(struct ev_proc) == 48, "ev_proc layout");

#endif
