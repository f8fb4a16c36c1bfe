// SPDX-License-Identifier: BSD-2-Clause
/* Prints one py_offsets initializer from offsetof() on the CPython headers it is compiled with. */
#include <Python.h>
#include <frameobject.h>
#include <stddef.h>
#include <stdio.h>

#if PY_MAJOR_VERSION != 3 || PY_MINOR_VERSION < 8 || PY_MINOR_VERSION > 13
#error "the probe knows CPython 3.8 to 3.13"
#endif

/* The runtime, interpreter and frame layouts are internal; these headers refuse to be included
 * without Py_BUILD_CORE, which the generator passes on the command line. */
#if PY_MINOR_VERSION == 8
#include <internal/pycore_pystate.h>
#else
#include <internal/pycore_runtime.h>
#include <internal/pycore_interp.h>
#endif
#if PY_MINOR_VERSION >= 11
#include <internal/pycore_frame.h>
#endif

#define FIELD(name, value) printf("\t\t.%s = %lu,\n", name, (unsigned long)(value))
#define NOFIELD(name) printf("\t\t.%s = PY_NO_FIELD,\n", name)

int main(void)
{
	/* The first line is for the generator's comment, not part of the initializer. */
	printf("# %d.%d.%d %s\n", PY_MAJOR_VERSION, PY_MINOR_VERSION, PY_MICRO_VERSION,
	       PY_VERSION);
	FIELD("major", PY_MAJOR_VERSION);
	FIELD("minor", PY_MINOR_VERSION);

	FIELD("runtime_interpreters_head", offsetof(_PyRuntimeState, interpreters.head));
#if PY_MINOR_VERSION <= 10
	FIELD("interp_threads_head", offsetof(PyInterpreterState, tstate_head));
#else
	FIELD("interp_threads_head", offsetof(PyInterpreterState, threads.head));
#endif
	FIELD("tstate_next", offsetof(PyThreadState, next));
	FIELD("tstate_thread_id", offsetof(PyThreadState, thread_id));
#if PY_MINOR_VERSION >= 11
	FIELD("tstate_native_thread_id", offsetof(PyThreadState, native_thread_id));
#else
	NOFIELD("tstate_native_thread_id");
#endif
	FIELD("tstate_exc_info", offsetof(PyThreadState, exc_info));
	FIELD("stackitem_exc_value", offsetof(_PyErr_StackItem, exc_value));

	FIELD("exc_args", offsetof(PyBaseExceptionObject, args));
	FIELD("exc_traceback", offsetof(PyBaseExceptionObject, traceback));
	FIELD("exc_context", offsetof(PyBaseExceptionObject, context));
	FIELD("exc_cause", offsetof(PyBaseExceptionObject, cause));
	FIELD("tb_next", offsetof(PyTracebackObject, tb_next));
	FIELD("tb_frame", offsetof(PyTracebackObject, tb_frame));
	FIELD("tb_lasti", offsetof(PyTracebackObject, tb_lasti));
	FIELD("tb_lineno", offsetof(PyTracebackObject, tb_lineno));

#if PY_MINOR_VERSION <= 10
	FIELD("frame_code", offsetof(PyFrameObject, f_code));
	NOFIELD("frame_iframe");
	NOFIELD("iframe_code");
#else
	NOFIELD("frame_code");
	FIELD("frame_iframe", offsetof(PyFrameObject, f_frame));
#if PY_MINOR_VERSION <= 12
	FIELD("iframe_code", offsetof(_PyInterpreterFrame, f_code));
#else
	FIELD("iframe_code", offsetof(_PyInterpreterFrame, f_executable));
#endif
#endif

	FIELD("code_filename", offsetof(PyCodeObject, co_filename));
	FIELD("code_name", offsetof(PyCodeObject, co_name));
#if PY_MINOR_VERSION >= 11
	FIELD("code_qualname", offsetof(PyCodeObject, co_qualname));
#else
	NOFIELD("code_qualname");
#endif
	FIELD("code_firstlineno", offsetof(PyCodeObject, co_firstlineno));
#if PY_MINOR_VERSION <= 9
	FIELD("code_linetable", offsetof(PyCodeObject, co_lnotab));
#else
	FIELD("code_linetable", offsetof(PyCodeObject, co_linetable));
#endif
	FIELD("bytes_data", offsetof(PyBytesObject, ob_sval));

	FIELD("type_name", offsetof(PyTypeObject, tp_name));
	FIELD("type_flags", offsetof(PyTypeObject, tp_flags));
	FIELD("type_dict", offsetof(PyTypeObject, tp_dict));
	FIELD("unicode_length", offsetof(PyASCIIObject, length));
	/* state is a bit field: offsetof() cannot name it, but it is the member right after
	 * hash in every version, and hash is a Py_hash_t. */
	FIELD("unicode_state", offsetof(PyASCIIObject, hash) + sizeof(Py_hash_t));
	FIELD("unicode_ascii_data", sizeof(PyASCIIObject));
	FIELD("unicode_utf8_length", offsetof(PyCompactUnicodeObject, utf8_length));
	FIELD("unicode_utf8", offsetof(PyCompactUnicodeObject, utf8));
	FIELD("unicode_compact_data", sizeof(PyCompactUnicodeObject));
	FIELD("tuple_items", offsetof(PyTupleObject, ob_item));
	FIELD("varobject_size", offsetof(PyVarObject, ob_size));
	return 0;
}
