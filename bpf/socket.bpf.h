/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* BPF-only helpers: from a file descriptor of the current task to its socket and addresses. */
#ifndef PYSPAN_SOCKET_BPF_H
#define PYSPAN_SOCKET_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define PS_AF_UNIX 1
#define PS_AF_INET 2
#define PS_AF_INET6 10
#define PS_SOCK_STREAM 1
#define PS_S_IFMT 00170000
#define PS_S_IFSOCK 0140000

/* The struct file behind fd in the current task, or NULL. Reading the fd table directly needs
 * no kprobe: every pointer is read with CO-RE, so it works across kernel versions. */
static __always_inline struct file *fd_to_file(__u32 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* The socket behind a file when it is a stream socket of a family pyspan reads (TCP over IPv4
 * or IPv6, or a Unix stream socket such as gunicorn's --bind unix:), else NULL. */
static __always_inline struct socket *file_to_stream_socket(struct file *f, __u16 *family)
{
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	struct socket *sock;
	struct sock *sk;

	if ((mode & PS_S_IFMT) != PS_S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	if (!sock || BPF_CORE_READ(sock, type) != PS_SOCK_STREAM)
		return NULL;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return NULL;
	*family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (*family != PS_AF_INET && *family != PS_AF_INET6 && *family != PS_AF_UNIX)
		return NULL;
	return sock;
}

/* Local and remote address and port of a socket, ports in host order. */
static __always_inline void socket_addresses(struct socket *sock, __u16 family, __u8 laddr[16],
					     __u8 raddr[16], __u16 *lport, __u16 *rport)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);

	if (family == PS_AF_INET) {
		BPF_CORE_READ_INTO((__u32 *)laddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)raddr, sk, __sk_common.skc_daddr);
	} else if (family == PS_AF_INET6) {
		BPF_CORE_READ_INTO((struct in6_addr *)laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO((struct in6_addr *)raddr, sk, __sk_common.skc_v6_daddr);
	}
	if (family != PS_AF_UNIX) {
		*lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		*rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	}
}

#endif
