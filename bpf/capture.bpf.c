// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Kernel side of capture: socket syscalls of traced processes, and the process tree they form. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "pyspan_events.h"
#include "python.bpf.h"
#include "ringbuf.bpf.h"
#include "socket.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader between open and load; the verifier sees them as constants. */
const volatile __u32 capture_bytes = CAPTURE_DEFAULT;
/* Set when pyspan follows processes by name, executable or cgroup: the exec of an untraced
 * process is then reported too. Exec is rare next to socket I/O, so matching in userspace,
 * where /proc says everything about the new image, costs less than a filter kept in maps. */
const volatile __u32 report_untraced_exec = 0;
/* --log-files: writes to regular files are looked at too (else the branch is dead code). */
const volatile __u32 log_files_on = 0;

#define MSG_PEEK_FLAG 2
#define EINPROGRESS_ERR 115

/* How a syscall's buffer argument is shaped. */
enum io_shape {
	SHAPE_FLAT = 0, /* (buf, len) */
	SHAPE_IOV,      /* (struct iovec *, count) */
	SHAPE_MSG,      /* struct user_msghdr * */
	SHAPE_NONE,     /* sendfile: bytes come from another fd, nothing to copy */
};

/* A socket syscall between its entry and exit, keyed by pid_tgid. */
struct active_io {
	__u64 enter_ns;
	__u64 buf;
	__u64 count;
	__u32 fd;
	__u32 syscall;
	__u32 dir;
	__u32 shape;
	__u32 in_ssl; /* made inside an OpenSSL read or write on this thread */
	__u32 _pad;
};

struct conn_key {
	__u32 tgid;
	__u32 fd;
};

/* What is known of a file descriptor: conn_id 0 marks a file that is not a socket pyspan reads,
 * so repeated reads of pipes and files cost one fd-table walk and no socket inspection. */
struct conn_val {
	__u64 file;
	__u64 conn_id;
	__u32 role;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TRACED_PIDS);
	__type(key, __u32);
	__type(value, __u32);
} traced_pids SEC(".maps");

/* LRU: a thread killed inside a syscall never reaches its exit probe, so its entry would
 * stay; the oldest such entries make room instead of filling the map. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_ACTIVE_IO);
	__type(key, __u64);
	__type(value, struct active_io);
} active_io_args SEC(".maps");

/* LRU: sockets of processes that died without closing them must not fill the map. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_CONNS);
	__type(key, struct conn_key);
	__type(value, struct conn_val);
} conns SEC(".maps");

/* Userspace's verdict on a non-socket fd that was written to: a log file to send or not.
 * file 0 means just decided: the next write binds it to the open file it saw, so a reused fd
 * whose close was missed asks again. Deleted on close. */
struct log_fd_val {
	__u64 file;
	__u32 allowed;
	__u32 _pad;
};


/* An OpenSSL read or write in flight on a thread, keyed by pid_tgid: the socket syscall made
 * inside it names the socket (fd and conn_id) without calling SSL_get_fd. */
struct ssl_call {
	__u64 ssl;     /* the SSL * */
	__u64 buf;     /* the plaintext buffer */
	__u64 outlen;  /* SSL_*_ex: where the length moved is stored; 0 for SSL_read/SSL_write */
	__u64 enter_ns;
	__u64 conn_id; /* set by a socket syscall inside the call; 0 when none was made */
	__u32 fd;
	__u32 dir;
};

struct ssl_key {
	__u32 tgid;
	__u32 _pad;
	__u64 ssl;
};

struct ssl_sock {
	__u64 conn_id;
	__u32 fd;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_LOG_FDS);
	__type(key, struct conn_key);
	__type(value, struct log_fd_val);
} log_fds SEC(".maps");

/* LRU for the same reason as active_io_args: a thread can die inside SSL_read. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_ACTIVE_IO);
	__type(key, __u64);
	__type(value, struct ssl_call);
} ssl_active SEC(".maps");

/* The socket each SSL object was last seen using: a read OpenSSL answers from its own buffer
 * makes no syscall. LRU: SSL objects are freed without pyspan seeing it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_CONNS);
	__type(key, struct ssl_key);
	__type(value, struct ssl_sock);
} ssl_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SSL_HIT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} ssl_hits SEC(".maps");

/* Per-CPU counters for connection ids: the CPU number in the low byte keeps them unique. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} conn_seq SEC(".maps");

static __always_inline int is_traced(__u32 tgid)
{
	return bpf_map_lookup_elem(&traced_pids, &tgid) != NULL;
}

static __always_inline void count_ssl_hit(__u32 which)
{
	__u64 *n = bpf_map_lookup_elem(&ssl_hits, &which);

	if (n)
		*n += 1;
}

static __always_inline __u64 next_conn_id(void)
{
	__u32 zero = 0;
	__u64 *seq = bpf_map_lookup_elem(&conn_seq, &zero);

	if (!seq)
		return 0;
	*seq += 1;
	return (*seq << 8) | (bpf_get_smp_processor_id() & 0xff);
}

static __always_inline void fill_header(struct ev_header *h, __u32 type, __u64 pid_tgid, __u32 fd,
					__u64 ts)
{
	h->type = type;
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->fd = fd;
	h->ts_ns = ts;
}

static __always_inline void emit_close(__u64 pid_tgid, __u32 fd, __u64 conn_id)
{
	struct ev_conn *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_drop(DROP_RINGBUF_CONN);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(&e->h, EV_CONN_CLOSE, pid_tgid, fd, bpf_ktime_get_ns());
	e->conn_id = conn_id;
	bpf_ringbuf_submit(e, wakeup_flag());
}

/* The connection behind (current process, fd), created (and announced with EV_CONN_OPEN) the
 * first time a socket is seen on that fd. The file pointer tells a reused fd from the old one
 * even when its close was not seen (dup2 over it, exec closing it). NULL when fd is no socket
 * pyspan reads. */
static __always_inline struct conn_val *conn_get(__u64 pid_tgid, __u32 fd, __u32 role)
{
	struct conn_key key = { .tgid = pid_tgid >> 32, .fd = fd };
	struct conn_val val = {}, *c;
	struct socket *sock;
	struct ev_conn *e;
	struct file *f;
	__u16 family = 0;

	f = fd_to_file(fd);
	if (!f)
		return NULL;
	c = bpf_map_lookup_elem(&conns, &key);
	if (c && c->file == (__u64)f) {
		if (role != ROLE_UNKNOWN && c->conn_id)
			c->role = role;
		return c->conn_id ? c : NULL;
	}
	if (c && c->conn_id)
		emit_close(pid_tgid, fd, c->conn_id);

	val.file = (__u64)f;
	sock = file_to_stream_socket(f, &family);
	if (sock) {
		val.conn_id = next_conn_id();
		val.role = role;
	}
	if (bpf_map_update_elem(&conns, &key, &val, BPF_ANY)) {
		count_drop(DROP_CONNS_FULL);
		return NULL;
	}
	if (!sock)
		return NULL;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(DROP_RINGBUF_CONN);
	} else {
		__builtin_memset(e, 0, sizeof(*e));
		fill_header(&e->h, EV_CONN_OPEN, pid_tgid, fd, bpf_ktime_get_ns());
		e->conn_id = val.conn_id;
		e->role = role;
		e->family = family;
		socket_addresses(sock, family, e->laddr, e->raddr, &e->lport, &e->rport);
		bpf_ringbuf_submit(e, wakeup_flag());
	}
	return bpf_map_lookup_elem(&conns, &key);
}

/* Should a write to this non-socket fd be sent? -1 no, 0 yes, EVF_FD_UNKNOWN: send it and
 * let userspace decide (the first write to each file costs one lookup in /proc). */
static __always_inline int log_fd_verdict(__u64 pid_tgid, __u32 fd)
{
	struct conn_key key = { .tgid = pid_tgid >> 32, .fd = fd };
	struct conn_val *cv = bpf_map_lookup_elem(&conns, &key);
	struct log_fd_val *lv = bpf_map_lookup_elem(&log_fds, &key);
	__u64 file = cv ? cv->file : 0;

	if (lv) {
		if (!lv->file)
			lv->file = file;
		if (lv->file == file)
			return lv->allowed ? 0 : -1;
		bpf_map_delete_elem(&log_fds, &key);
	}
	return EVF_FD_UNKNOWN;
}

/* A socket syscall made inside an OpenSSL call on this thread: remember its socket for the
 * call in flight and for the SSL object. */
static __always_inline void note_ssl_socket(__u64 pid_tgid, __u32 fd, __u64 conn_id)
{
	struct ssl_call *sc = bpf_map_lookup_elem(&ssl_active, &pid_tgid);
	struct ssl_key key = { .tgid = pid_tgid >> 32 };
	struct ssl_sock *known, sock = { .conn_id = conn_id, .fd = fd };

	if (!sc)
		return;
	sc->conn_id = conn_id;
	sc->fd = fd;
	key.ssl = sc->ssl;
	known = bpf_map_lookup_elem(&ssl_socks, &key);
	if (!known || known->conn_id != conn_id)
		bpf_map_update_elem(&ssl_socks, &key, &sock, BPF_ANY);
}

static __always_inline int io_enter(struct trace_event_raw_sys_enter *ctx, __u32 syscall,
				    __u32 dir, __u32 shape)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct active_io a = {};
	__u32 *flags = bpf_map_lookup_elem(&traced_pids, &tgid);

	if (!flags)
		return 0;
	/* Only processes that have called OpenSSL pay for this lookup. */
	if ((*flags & TRACED_F_SSL) && bpf_map_lookup_elem(&ssl_active, &pid_tgid))
		a.in_ssl = 1;
	a.enter_ns = bpf_ktime_get_ns();
	a.fd = (__u32)ctx->args[0];
	a.buf = ctx->args[1];
	a.count = ctx->args[2];
	a.syscall = syscall;
	a.dir = dir;
	a.shape = shape;
	if (shape == SHAPE_NONE) /* sendfile(out_fd, in_fd, offset, count) */
		a.buf = 0;
	if (bpf_map_update_elem(&active_io_args, &pid_tgid, &a, BPF_ANY))
		count_drop(DROP_ARGS_FULL);
	return 0;
}

/* Copy up to `room` bytes from a user iovec array into dst; dst has 2 * capture_bytes bytes so
 * the verifier can bound every copy by itself without relating offsets to lengths. */
static __always_inline __u32 copy_iov(__u8 *dst, const struct iovec *vec, __u64 nvec, __u64 moved)
{
	__u32 off = 0;

#pragma unroll
	for (int i = 0; i < IOV_MAX_COPIED; i++) {
		struct iovec iov;
		__u64 n;

		if (i >= nvec || off >= capture_bytes || off >= moved)
			break;
		if (bpf_probe_read_user(&iov, sizeof(iov), &vec[i]))
			break;
		n = iov.iov_len;
		if (n > moved - off)
			n = moved - off;
		if (n > capture_bytes - off)
			n = capture_bytes - off;
		if (n > capture_bytes)
			n = capture_bytes;
		if (off > capture_bytes)
			break;
		if (bpf_probe_read_user(dst + off, n, iov.iov_base))
			break;
		off += n;
	}
	return off;
}

static __always_inline int io_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct active_io *ap, a;
	struct conn_val *c;
	struct ev_data *e;
	long ret = ctx->ret;
	__u64 iov = 0, nvec = 0, conn_id = 0;
	__u32 n = 0, flags = 0;

	ap = bpf_map_lookup_elem(&active_io_args, &pid_tgid);
	if (!ap)
		return 0;
	a = *ap;
	bpf_map_delete_elem(&active_io_args, &pid_tgid);
	if (ret <= 0)
		return 0;
	c = conn_get(pid_tgid, a.fd, ROLE_UNKNOWN);
	if (c && a.in_ssl) {
		/* Ciphertext: the OpenSSL probes report the plaintext. What this syscall gives is
		 * the socket the SSL object uses. */
		note_ssl_socket(pid_tgid, a.fd, c->conn_id);
		return 0;
	}
	if (c) {
		conn_id = c->conn_id;
	} else if (!(a.dir == DIR_EGRESS && (a.fd == 1 || a.fd == 2))) {
		/* stdout and stderr are read even when they are not sockets: the service's
		 * error log, with its tracebacks, is written there; so are log files. */
		int v;

		if (!log_files_on || a.dir != DIR_EGRESS)
			return 0;
		v = log_fd_verdict(pid_tgid, a.fd);
		if (v < 0)
			return 0;
		flags = (__u32)v;
	}
	/* A write to stdout/stderr is where frameworks log the exception that fails a request,
	 * from inside the except block: the one moment it can be read without a uprobe. */
	if (a.dir == DIR_EGRESS && (a.fd == 1 || a.fd == 2))
		emit_handled_exception(pid_tgid);

	if (a.shape == SHAPE_FLAT || a.shape == SHAPE_NONE) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e) + capture_bytes, 0);
		if (!e) {
			count_drop(DROP_RINGBUF_DATA);
			return 0;
		}
		if (a.buf) {
			n = ret < capture_bytes ? ret : capture_bytes;
			if (n > capture_bytes)
				n = capture_bytes;
			if (bpf_probe_read_user(e->data, n, (void *)a.buf)) {
				count_drop(DROP_READ_FAULT);
				n = 0;
			}
		}
	} else {
		if (a.shape == SHAPE_MSG) {
			struct user_msghdr *msg = (struct user_msghdr *)a.buf;

			iov = (__u64)BPF_CORE_READ_USER(msg, msg_iov);
			nvec = BPF_CORE_READ_USER(msg, msg_iovlen);
		} else {
			iov = a.buf;
			nvec = a.count;
		}
		e = bpf_ringbuf_reserve(&events, sizeof(*e) + 2 * capture_bytes, 0);
		if (!e) {
			count_drop(DROP_RINGBUF_DATA);
			return 0;
		}
		n = copy_iov(e->data, (const struct iovec *)iov, nvec, ret);
	}
	fill_header(&e->h, EV_DATA, pid_tgid, a.fd, bpf_ktime_get_ns());
	e->conn_id = conn_id; /* 0: stdout or stderr, not a socket */
	e->enter_ns = a.enter_ns;
	e->total_len = ret;
	e->dir = a.dir;
	e->cap_len = n;
	e->syscall = a.syscall;
	e->flags = flags;
	bpf_ringbuf_submit(e, wakeup_flag());
	return 0;
}

#define IO_PROBES(name, sc, dir, shape)                                                   \
	SEC("tp/syscalls/sys_enter_" #name)                                               \
	int enter_##name(struct trace_event_raw_sys_enter *ctx)                           \
	{                                                                                 \
		return io_enter(ctx, sc, dir, shape);                                     \
	}                                                                                 \
	SEC("tp/syscalls/sys_exit_" #name)                                                \
	int exit_##name(struct trace_event_raw_sys_exit *ctx)                             \
	{                                                                                 \
		return io_exit(ctx);                                                      \
	}

IO_PROBES(read, SC_READ, DIR_INGRESS, SHAPE_FLAT)
IO_PROBES(readv, SC_READV, DIR_INGRESS, SHAPE_IOV)
IO_PROBES(recvmsg, SC_RECVMSG, DIR_INGRESS, SHAPE_MSG)
IO_PROBES(write, SC_WRITE, DIR_EGRESS, SHAPE_FLAT)
IO_PROBES(writev, SC_WRITEV, DIR_EGRESS, SHAPE_IOV)
IO_PROBES(sendto, SC_SENDTO, DIR_EGRESS, SHAPE_FLAT)
IO_PROBES(sendmsg, SC_SENDMSG, DIR_EGRESS, SHAPE_MSG)

/* recvfrom with MSG_PEEK leaves the bytes in the socket: they are read again and counted then. */
SEC("tp/syscalls/sys_enter_recvfrom")
int enter_recvfrom(struct trace_event_raw_sys_enter *ctx)
{
	if (ctx->args[3] & MSG_PEEK_FLAG)
		return 0;
	return io_enter(ctx, SC_RECVFROM, DIR_INGRESS, SHAPE_FLAT);
}

SEC("tp/syscalls/sys_exit_recvfrom")
int exit_recvfrom(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx);
}

SEC("tp/syscalls/sys_enter_sendfile64")
int enter_sendfile64(struct trace_event_raw_sys_enter *ctx)
{
	return io_enter(ctx, SC_SENDFILE, DIR_EGRESS, SHAPE_NONE);
}

SEC("tp/syscalls/sys_exit_sendfile64")
int exit_sendfile64(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx);
}

/* accept and connect only record the role of the fd; the socket's addresses come with it. */
static __always_inline int sock_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct active_io a = {};

	if (!is_traced(pid_tgid >> 32))
		return 0;
	a.fd = (__u32)ctx->args[0];
	a.enter_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&active_io_args, &pid_tgid, &a, BPF_ANY))
		count_drop(DROP_ARGS_FULL);
	return 0;
}

static __always_inline int sock_exit(struct trace_event_raw_sys_exit *ctx, __u32 role)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct active_io *ap;
	long ret = ctx->ret;
	__u32 fd;

	ap = bpf_map_lookup_elem(&active_io_args, &pid_tgid);
	if (!ap)
		return 0;
	fd = ap->fd;
	bpf_map_delete_elem(&active_io_args, &pid_tgid);
	if (role == ROLE_SERVER && ret >= 0)
		conn_get(pid_tgid, (__u32)ret, ROLE_SERVER);
	else if (role == ROLE_CLIENT && (ret == 0 || ret == -EINPROGRESS_ERR))
		conn_get(pid_tgid, fd, ROLE_CLIENT);
	return 0;
}

SEC("tp/syscalls/sys_enter_accept")
int enter_accept(struct trace_event_raw_sys_enter *ctx)
{
	return sock_enter(ctx);
}

SEC("tp/syscalls/sys_exit_accept")
int exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return sock_exit(ctx, ROLE_SERVER);
}

SEC("tp/syscalls/sys_enter_accept4")
int enter_accept4(struct trace_event_raw_sys_enter *ctx)
{
	return sock_enter(ctx);
}

SEC("tp/syscalls/sys_exit_accept4")
int exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return sock_exit(ctx, ROLE_SERVER);
}

SEC("tp/syscalls/sys_enter_connect")
int enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	return sock_enter(ctx);
}

SEC("tp/syscalls/sys_exit_connect")
int exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	return sock_exit(ctx, ROLE_CLIENT);
}

SEC("tp/syscalls/sys_enter_close")
int enter_close(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct conn_key key = { .tgid = pid_tgid >> 32, .fd = (__u32)ctx->args[0] };
	struct conn_val *c;

	if (!is_traced(key.tgid))
		return 0;
	if (log_files_on)
		bpf_map_delete_elem(&log_fds, &key);
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return 0;
	if (c->conn_id)
		emit_close(pid_tgid, key.fd, c->conn_id);
	bpf_map_delete_elem(&conns, &key);
	return 0;
}

/* OpenSSL: SSL_write, SSL_read and their _ex forms, attached in userspace to every libssl a
 * traced process maps (one attachment per library file serves every process that maps it,
 * so untraced processes return after one lookup). Entry keeps the call's buffer; the socket
 * syscall inside it (io_exit) names the socket; return reports the plaintext. */
static __always_inline int ssl_enter(__u64 ssl, __u64 buf, __u64 outlen, __u32 dir)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	__u32 *flags = bpf_map_lookup_elem(&traced_pids, &tgid);
	struct ssl_call sc = {};

	if (!flags)
		return 0;
	count_ssl_hit(SSL_HIT_ENTRY);
	if (!(*flags & TRACED_F_SSL))
		*flags |= TRACED_F_SSL;
	sc.ssl = ssl;
	sc.buf = buf;
	sc.outlen = outlen;
	sc.dir = dir;
	sc.enter_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&ssl_active, &pid_tgid, &sc, BPF_ANY))
		count_drop(DROP_ARGS_FULL);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_enter, void *ssl, const void *buf, int num)
{
	return ssl_enter((__u64)ssl, (__u64)buf, 0, DIR_EGRESS);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_enter, void *ssl, void *buf, int num)
{
	return ssl_enter((__u64)ssl, (__u64)buf, 0, DIR_INGRESS);
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_ex_enter, void *ssl, const void *buf, __u64 num, __u64 *written)
{
	return ssl_enter((__u64)ssl, (__u64)buf, (__u64)written, DIR_EGRESS);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_ex_enter, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	return ssl_enter((__u64)ssl, (__u64)buf, (__u64)readbytes, DIR_INGRESS);
}

/* One return program for all four: the entry recorded which form it was. */
SEC("uretprobe")
int BPF_KRETPROBE(ssl_return, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ssl_call *sp = bpf_map_lookup_elem(&ssl_active, &pid_tgid), sc;
	struct ev_data *e;
	__u64 len = 0;
	__u32 n;

	if (!sp)
		return 0;
	sc = *sp;
	bpf_map_delete_elem(&ssl_active, &pid_tgid);
	count_ssl_hit(SSL_HIT_RETURN);
	if (sc.outlen) {
		if (ret != 1 || bpf_probe_read_user(&len, sizeof(len), (void *)sc.outlen))
			return 0;
	} else {
		if (ret <= 0)
			return 0;
		len = (__u64)ret;
	}
	if (!len)
		return 0;
	if (!sc.conn_id) {
		/* Answered from OpenSSL's buffer, or written without a syscall yet: the socket
		 * this SSL object used before. */
		struct ssl_key key = { .tgid = pid_tgid >> 32, .ssl = sc.ssl };
		struct ssl_sock *known = bpf_map_lookup_elem(&ssl_socks, &key);

		if (!known) {
			count_drop(DROP_TLS_NO_SOCKET);
			return 0;
		}
		sc.conn_id = known->conn_id;
		sc.fd = known->fd;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e) + capture_bytes, 0);
	if (!e) {
		count_drop(DROP_RINGBUF_DATA);
		return 0;
	}
	n = len < capture_bytes ? len : capture_bytes;
	if (n > capture_bytes)
		n = capture_bytes;
	if (bpf_probe_read_user(e->data, n, (void *)sc.buf)) {
		count_drop(DROP_READ_FAULT);
		n = 0;
	}
	fill_header(&e->h, EV_DATA, pid_tgid, sc.fd, bpf_ktime_get_ns());
	e->conn_id = sc.conn_id;
	e->enter_ns = sc.enter_ns;
	e->total_len = (__s64)len;
	e->dir = sc.dir;
	e->cap_len = n;
	e->syscall = sc.dir == DIR_EGRESS ? SC_SSL_WRITE : SC_SSL_READ;
	e->flags = EVF_TLS;
	bpf_ringbuf_submit(e, wakeup_flag());
	return 0;
}

static __always_inline void emit_proc(__u32 type, __u64 pid_tgid, __u32 ppid)
{
	struct ev_proc *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_drop(DROP_RINGBUF_PROC);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(&e->h, type, pid_tgid, 0, bpf_ktime_get_ns());
	e->ppid = ppid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, wakeup_flag());
}

/* A raw tracepoint gives the child task itself, so new threads (same tgid) are told apart from
 * new processes; the classic tracepoint only gives the child's thread id. */
SEC("raw_tp/sched_process_fork")
int handle_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	__u32 parent = bpf_get_current_pid_tgid() >> 32;
	__u32 tgid, pid, one = 1;

	if (!is_traced(parent))
		return 0;
	tgid = BPF_CORE_READ(child, tgid);
	pid = BPF_CORE_READ(child, pid);
	if (pid != tgid || tgid == parent)
		return 0;
	if (bpf_map_update_elem(&traced_pids, &tgid, &one, BPF_ANY)) {
		count_drop(DROP_PIDS_FULL);
		return 0;
	}
	/* A forked worker runs the same interpreter image at the same addresses. */
	{
		struct py_proc *pp = bpf_map_lookup_elem(&py_procs, &parent);

		if (pp) {
			struct py_proc copy = *pp;

			bpf_map_update_elem(&py_procs, &tgid, &copy, BPF_ANY);
		}
	}
	emit_proc(EV_PROC_FORK, ((__u64)tgid << 32) | tgid, parent);
	return 0;
}

SEC("tp/sched/sched_process_exec")
int handle_exec(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;

	if (!is_traced(tgid)) {
		if (report_untraced_exec)
			emit_proc(EV_PROC_EXEC_NEW, pid_tgid, 0);
		return 0;
	}
	/* A new image: userspace inspects it again before exceptions are read. */
	bpf_map_delete_elem(&py_procs, &tgid);
	emit_proc(EV_PROC_EXEC, pid_tgid, 0);
	return 0;
}

/* Fires for every exiting thread; the process is gone when its leader (pid == tgid) exits. */
SEC("tp/sched/sched_process_exit")
int handle_exit(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;

	if ((__u32)pid_tgid != tgid || !is_traced(tgid))
		return 0;
	bpf_map_delete_elem(&traced_pids, &tgid);
	bpf_map_delete_elem(&py_procs, &tgid);
	emit_proc(EV_PROC_EXIT, pid_tgid, 0);
	return 0;
}
