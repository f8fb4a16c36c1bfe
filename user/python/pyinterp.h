/* SPDX-License-Identifier: BSD-2-Clause */
/* Finds CPython in a live process: the ELF file with its symbols, its version, _PyRuntime. */
#ifndef PYSPAN_PYINTERP_H
#define PYSPAN_PYINTERP_H

#include <stdint.h>

struct py_interp {
	/* The ELF file holding the interpreter's symbols, as a path through /proc/PID/root (or
	 * /proc/PID/exe, or /proc/PID/map_files when it was deleted), so containers work. */
	char path[4096];
	int shared;                 /* 1: a libpython shared library; 0: in the executable */
	int major, minor, micro;    /* micro -1 when it could not be known */
	const char *version_source; /* static string: "Py_Version", "_Py_DebugOffsets", "soname",
				     * "file name", "cache tag" */
	uint64_t load_bias;         /* runtime address = symbol value + load_bias */
	uint64_t runtime_addr;      /* _PyRuntime in the process */
	uint64_t none_addr;         /* _Py_NoneStruct; 0 if the file does not name it */
	uint64_t code_type_addr;    /* PyCode_Type; 0 if the file does not name it */
};

/* 0 and *out filled when pid runs CPython (supported or not: the caller checks pyoffsets_find);
 * -1 with *why (a static sentence fit for a user) when it does not, or when the interpreter
 * cannot be read (no _PyRuntime symbol, unknown version, a free-threaded or debug build). */
int pyinterp_inspect(uint32_t pid, struct py_interp *out, const char **why);
/* Did the last pyinterp_inspect fail because a file was refused (EACCES, EPERM)? */
int pyinterp_denied(void);

/* Version sources, in the order pyinterp_inspect tries them. */
#define PYINTERP_SRC_PY_VERSION (1u << 0)
#define PYINTERP_SRC_DEBUG_OFFSETS (1u << 1)
#define PYINTERP_SRC_SONAME (1u << 2)
#define PYINTERP_SRC_FILE_NAME (1u << 3)
#define PYINTERP_SRC_CACHE_TAG (1u << 4)

/* The version of the CPython ELF file at path, as pyinterp_inspect would tell it, but without the
 * sources whose PYINTERP_SRC_* bit is in skip: this is how tests reach each fallback. The file
 * name source uses path's last component. 0, or -1 with *why. */
int pyinterp_file_version(const char *path, unsigned skip, int *major, int *minor, int *micro,
			  const char **source, const char **why);

#endif
