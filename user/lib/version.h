/* SPDX-License-Identifier: BSD-2-Clause */
/* pyspan's version: PYSPAN_VERSION comes from the VERSION file, which make passes to every object. */
#ifndef PYSPAN_VERSION_H
#define PYSPAN_VERSION_H

#ifndef PYSPAN_VERSION
#error "PYSPAN_VERSION is not defined: build with make, which reads it from VERSION"
#endif

#endif
