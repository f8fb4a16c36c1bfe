/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Where CPython keeps what pyspan reads, per version: one table both BPF and userspace use. */
#ifndef PYSPAN_PYTHON_OFFSETS_H
#define PYSPAN_PYTHON_OFFSETS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* A field that does not exist in a version. */
#define PY_NO_FIELD 0xffffffffu

/* Byte offsets into CPython's structs for one minor version (x86-64, non-debug, GIL build).
 * Every field is a __u32 so the struct has no padding to disagree about. */
struct py_offsets {
	__u32 major;
	__u32 minor;
	/* _PyRuntime -> interpreter -> thread states */
	__u32 runtime_interpreters_head; /* _PyRuntimeState.interpreters.head */
	__u32 interp_threads_head;       /* PyInterpreterState.tstate_head / threads.head */
	__u32 tstate_next;               /* PyThreadState.next */
	__u32 tstate_thread_id;          /* PyThreadState.thread_id (pthread_t) */
	__u32 tstate_native_thread_id;   /* PY_NO_FIELD before 3.11 */
	__u32 tstate_exc_info;           /* PyThreadState.exc_info (_PyErr_StackItem *) */
	__u32 stackitem_exc_value;       /* _PyErr_StackItem.exc_value */
	/* exceptions */
	__u32 exc_args;      /* PyBaseExceptionObject.args */
	__u32 exc_traceback; /* .traceback */
	__u32 exc_context;   /* .context */
	__u32 exc_cause;     /* .cause */
	__u32 tb_next;       /* PyTracebackObject.tb_next */
	__u32 tb_frame;
	__u32 tb_lasti;
	__u32 tb_lineno;
	/* frame -> code: up to 3.10 PyFrameObject.f_code; from 3.11 PyFrameObject.f_frame points
	 * to a _PyInterpreterFrame whose f_code (3.11) / f_executable (3.12+) is the code */
	__u32 frame_code;   /* PY_NO_FIELD from 3.11 */
	__u32 frame_iframe; /* PY_NO_FIELD before 3.11 */
	__u32 iframe_code;  /* PY_NO_FIELD before 3.11 */
	/* code objects */
	__u32 code_filename;
	__u32 code_name;
	__u32 code_qualname; /* PY_NO_FIELD before 3.11 */
	__u32 code_firstlineno;
	__u32 code_linetable; /* co_lnotab up to 3.9, co_linetable from 3.10 (a bytes object) */
	__u32 bytes_data;     /* PyBytesObject.ob_sval */
	/* types, strings, tuples */
	__u32 type_name;  /* PyTypeObject.tp_name (char *) */
	__u32 type_flags; /* PyTypeObject.tp_flags */
	__u32 type_dict;  /* PyTypeObject.tp_dict */
	__u32 unicode_length;       /* PyASCIIObject.length (code points) */
	__u32 unicode_state;        /* PyASCIIObject.state (bit field: kind 2-4, compact 5, ascii 6) */
	__u32 unicode_ascii_data;   /* sizeof(PyASCIIObject): compact ASCII data */
	__u32 unicode_utf8_length;  /* PyCompactUnicodeObject.utf8_length */
	__u32 unicode_utf8;         /* PyCompactUnicodeObject.utf8 (char *, may be NULL) */
	__u32 unicode_compact_data; /* sizeof(PyCompactUnicodeObject): compact non-ASCII data */
	__u32 tuple_items;          /* PyTupleObject.ob_item */
	__u32 varobject_size;       /* PyVarObject.ob_size */
};

/* What BPF needs to read one traced process's interpreter: the py_procs map's value. */
struct py_proc {
	__u64 runtime;     /* address of _PyRuntime in the process */
	__u32 version_idx; /* index of its struct py_offsets in the py_versions map */
	__u32 _pad;
};

/* tp_flags bits, the same in 3.8-3.13. */
#define PY_TPFLAGS_TUPLE_SUBCLASS (1u << 26)
#define PY_TPFLAGS_UNICODE_SUBCLASS (1u << 28)
#define PY_TPFLAGS_BASE_EXC_SUBCLASS (1u << 30)

#endif
