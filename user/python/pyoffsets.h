/* SPDX-License-Identifier: BSD-2-Clause */
/* Looks up the CPython struct offsets (user/python/python_offsets_table.c) by interpreter version. */
#ifndef PYSPAN_PYOFFSETS_H
#define PYSPAN_PYOFFSETS_H

#include "python_offsets.h"

/* The offsets for CPython major.minor.micro (micro -1 when unknown), or NULL when unsupported. */
const struct py_offsets *pyoffsets_find(int major, int minor, int micro);

#endif
