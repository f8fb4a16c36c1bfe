// SPDX-License-Identifier: BSD-2-Clause
/* Routes one capture record (from the ring buffer or a recording) to the stage that owns it. */
#include <string.h>

#include "capture/dispatch.h"
#include "track/proc.h"
#include "lib/log.h"
#include "python/pyexc.h"
#include "track/conn.h"
#include "track/log_files.h"
#include "track/log_lines.h"
#include "track/proc_output.h"

static void (*fd_gone)(uint32_t pid, uint32_t fd, void *arg);
static void *fd_gone_arg;
static void (*exec_new)(uint32_t pid, void *arg);
static void *exec_new_arg;

void dispatch_set_exec_new(void (*fn)(uint32_t pid, void *arg), void *arg)
{
	exec_new = fn;
	exec_new_arg = arg;
}

void dispatch_set_fd_gone(void (*fn)(uint32_t pid, uint32_t fd, void *arg), void *arg)
{
	fd_gone = fn;
	fd_gone_arg = arg;
}

/* A write or read: the service's output goes to the stages that read it (stdout and stderr
 * whether a pipe, a file or a socket such as journald's, where tracebacks are looked for; files
 * matching --log-files), bytes on a socket to connection tracking. */
static void on_data(const struct ev_data *e)
{
	if (e->dir == DIR_EGRESS && (e->h.fd == 1 || e->h.fd == 2)) {
		proc_output_on_write(e);
		if (log_lines_enabled)
			log_lines_on_write(e, e->h.fd == 1 ? LOGREC_STDOUT : LOGREC_STDERR,
					   e->h.fd == 1 ? "stdout" : "stderr");
	} else if (e->conn_id == 0 && e->dir == DIR_EGRESS && log_lines_enabled) {
		log_files_on_write(e);
	}
	if (e->conn_id)
		conn_on_data(e);
}

/* Every record is checked against the size its type needs before it is read: a recording
 * can be cut or corrupt. */
void dispatch_event(const void *data, size_t len)
{
	const struct ev_header *h = data;

	if (len < sizeof(*h))
		return;
	switch (h->type) {
	case EV_DATA:
		if (len >= sizeof(struct ev_data) &&
		    len >= sizeof(struct ev_data) + ((const struct ev_data *)data)->cap_len)
			on_data(data);
		break;
	case EV_CONN_OPEN:
		if (len >= sizeof(struct ev_conn))
			conn_on_open(data);
		break;
	case EV_CONN_CLOSE:
		if (len >= sizeof(struct ev_conn))
			conn_on_close(data);
		break;
	case EV_PROC_FORK:
		if (len >= sizeof(struct ev_proc)) {
			const struct ev_proc *p = data;
			char comm[17];

			memcpy(comm, p->comm, 16);
			comm[16] = '\0';
			proc_add(p->h.pid, p->ppid, comm);
			pyexc_on_fork(p->ppid, p->h.pid);
			log_debug("following pid %u (forked by %u)", p->h.pid, p->ppid);
		}
		break;
	case EV_PROC_EXEC:
		if (len >= sizeof(struct ev_proc)) {
			const struct ev_proc *p = data;
			char comm[17];

			memcpy(comm, p->comm, 16);
			comm[16] = '\0';
			proc_exec(p->h.pid, comm);
			pyexc_forget_process(p->h.pid);
			pyexc_setup_exec(p->h.pid);
			log_debug("pid %u exec'd %s", p->h.pid, comm);
		}
		break;
	case EV_PROC_EXEC_NEW:
		if (exec_new)
			exec_new(h->pid, exec_new_arg);
		break;
	case EV_PY_EXC:
		if (len >= sizeof(struct ev_pyexc))
			pyexc_on_event(data);
		break;
	case EV_PROC_EXIT:
		conn_on_process_exit(h->pid, fd_gone, fd_gone_arg);
		proc_output_on_exit(h->pid);
		log_lines_on_exit(h->pid);
		log_files_on_exit(h->pid);
		pyexc_forget_process(h->pid);
		proc_remove(h->pid);
		log_debug("pid %u exited", h->pid);
		break;
	}
}
