/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* BPF-only: read the exception a Python thread is handling, straight from interpreter memory. */
#ifndef PYSPAN_PYTHON_BPF_H
#define PYSPAN_PYTHON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "pyspan_events.h"
#include "python_offsets.h"
#include "ringbuf.bpf.h"

#define PYEXC_LINK_CAUSE 1
#define PYEXC_LINK_CONTEXT 2

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_PY_PROCS);
	__type(key, __u32);
	__type(value, struct py_proc);
} py_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_PY_VERSIONS);
	__type(key, __u32);
	__type(value, struct py_offsets);
} py_versions SEC(".maps");

static __always_inline __u64 read_ptr(__u64 addr)
{
	__u64 v = 0;

	if (addr)
		bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

/* The current thread's PyThreadState: the interpreter's thread list is searched for the one
 * whose thread_id (pthread_self, which is the thread pointer on x86-64 glibc and musl) is this
 * task's fs base. The GIL holder would be wrong here: a thread inside write() released it. */
static __always_inline __u64 current_tstate(const struct py_proc *pp, const struct py_offsets *o)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 fsbase = BPF_CORE_READ(task, thread.fsbase);
	__u64 interp = read_ptr(pp->runtime + o->runtime_interpreters_head);
	__u64 ts = read_ptr(interp + o->interp_threads_head);

	if (!fsbase || !interp)
		return 0;
	for (int i = 0; i < PY_MAX_THREADS_WALKED && ts; i++) {
		if (read_ptr(ts + o->tstate_thread_id) == fsbase)
			return ts;
		ts = read_ptr(ts + o->tstate_next);
	}
	return 0;
}

/* A str's text: compact ASCII inline, or the cached UTF-8 of a compact non-ASCII str. */
static __always_inline void read_pystr(__u64 str, const struct py_offsets *o, char *dst,
				       __u32 cap, __u32 *full_len)
{
	__u32 state = 0;
	__u64 len = 0, data;

	bpf_probe_read_user(&state, sizeof(state), (void *)(str + o->unicode_state));
	if (!(state & 0x20)) /* not compact: legacy strings are not read */
		return;
	if (state & 0x40) {
		bpf_probe_read_user(&len, sizeof(len), (void *)(str + o->unicode_length));
		data = str + o->unicode_ascii_data;
	} else {
		bpf_probe_read_user(&len, sizeof(len), (void *)(str + o->unicode_utf8_length));
		data = read_ptr(str + o->unicode_utf8);
		if (!data)
			return;
	}
	*full_len = len > 0xffffffffull ? 0xffffffffu : (__u32)len;
	if (len > cap - 1)
		len = cap - 1;
	bpf_probe_read_user(dst, len & (PYEXC_MSG_MAX - 1), (void *)data);
	dst[len & (PYEXC_MSG_MAX - 1)] = '\0';
}

static __always_inline __u64 type_flags(__u64 type, const struct py_offsets *o)
{
	__u64 flags = 0;

	bpf_probe_read_user(&flags, sizeof(flags), (void *)(type + o->type_flags));
	return flags;
}

/* One exception: its type, message and the innermost frames of its traceback. Returns 0 when
 * exc does not look like an exception object (then nothing is emitted for it). */
static __always_inline int read_exception(__u64 exc, const struct py_offsets *o,
					  struct py_exc_item *it)
{
	__u64 type = read_ptr(exc + 8), args, arg0, tb, frame, code;
	__u64 name;
	__s64 nargs = 0;
	__u32 n = 0;

	it->type_name[0] = '\0';
	it->message[0] = '\0';
	it->message_len = 0;
	it->nframes = 0;
	it->link = 0;
	it->flags = 0;
	if (!type || !(type_flags(type, o) & PY_TPFLAGS_BASE_EXC_SUBCLASS))
		return 0;
	it->exc = exc;
	it->type = type;
	name = read_ptr(type + o->type_name);
	bpf_probe_read_user_str(it->type_name, sizeof(it->type_name), (void *)name);

	args = read_ptr(exc + o->exc_args);
	if (args && (type_flags(read_ptr(args + 8), o) & PY_TPFLAGS_TUPLE_SUBCLASS)) {
		bpf_probe_read_user(&nargs, sizeof(nargs), (void *)(args + o->varobject_size));
		if (nargs > 0) {
			arg0 = read_ptr(args + o->tuple_items);
			if (arg0 && (type_flags(read_ptr(arg0 + 8), o) & PY_TPFLAGS_UNICODE_SUBCLASS))
				read_pystr(arg0, o, it->message, sizeof(it->message),
					   &it->message_len);
			else
				it->flags |= PYEXC_F_MESSAGE_NOT_STR;
		}
	}

	tb = read_ptr(exc + o->exc_traceback);
	for (int i = 0; i < PYEXC_WALK_FRAMES && tb; i++) {
		struct py_frame_ref *f = &it->frames[n & (PYEXC_MAX_FRAMES - 1)];

		frame = read_ptr(tb + o->tb_frame);
		if (o->frame_code != PY_NO_FIELD)
			code = read_ptr(frame + o->frame_code);
		else
			code = read_ptr(read_ptr(frame + o->frame_iframe) + o->iframe_code);
		f->code = code;
		f->lineno = -1;
		f->lasti = -1;
		bpf_probe_read_user(&f->lasti, sizeof(f->lasti), (void *)(tb + o->tb_lasti));
		bpf_probe_read_user(&f->lineno, sizeof(f->lineno), (void *)(tb + o->tb_lineno));
		n++;
		tb = read_ptr(tb + o->tb_next);
	}
	if (tb)
		it->flags |= PYEXC_F_MORE_FRAMES;
	it->nframes = n;
	return 1;
}

/* Emit the exception the current thread is handling, with its causes and contexts, when the
 * process runs a known CPython and the thread is inside an except block. */
static __always_inline void emit_handled_exception(__u64 pid_tgid)
{
	__u32 tgid = pid_tgid >> 32;
	struct py_proc *pp = bpf_map_lookup_elem(&py_procs, &tgid);
	const struct py_offsets *o;
	struct ev_pyexc *e;
	__u64 ts, exc;
	__u32 idx;

	if (!pp)
		return;
	idx = pp->version_idx;
	o = bpf_map_lookup_elem(&py_versions, &idx);
	if (!o)
		return;
	ts = current_tstate(pp, o);
	if (!ts)
		return;
	exc = read_ptr(read_ptr(ts + o->tstate_exc_info) + o->stackitem_exc_value);
	if (!exc || !(type_flags(read_ptr(exc + 8), o) & PY_TPFLAGS_BASE_EXC_SUBCLASS))
		return; /* NULL or None: nothing is being handled */

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(DROP_RINGBUF_PYEXC);
		return;
	}
	/* Ring buffer memory is not zeroed, and the record is too large for one memset: every
	 * field userspace reads is set below; unused frame slots are never read. */
	e->h.type = EV_PY_EXC;
	e->h.fd = 0;
	e->nchain = 0;
	e->_pad = 0;
	e->h.pid = tgid;
	e->h.tid = (__u32)pid_tgid;
	e->h.ts_ns = bpf_ktime_get_ns();
	for (int i = 0; i < PYEXC_MAX_CHAIN && exc; i++) {
		struct py_exc_item *it = &e->chain[i];
		__u64 cause, context;
		char suppress = 0;

		if (!read_exception(exc, o, it))
			break;
		e->nchain = i + 1;
		/* Python prints the cause when there is one, else the context unless
		 * "raise ... from None" suppressed it (the flag sits right after cause). */
		cause = read_ptr(exc + o->exc_cause);
		context = read_ptr(exc + o->exc_context);
		bpf_probe_read_user(&suppress, 1, (void *)(exc + o->exc_cause + 8));
		if (cause) {
			it->link = PYEXC_LINK_CAUSE;
			exc = cause;
		} else if (context && !suppress) {
			it->link = PYEXC_LINK_CONTEXT;
			exc = context;
		} else {
			exc = 0;
		}
	}
	bpf_ringbuf_submit(e, wakeup_flag());
}

#endif
