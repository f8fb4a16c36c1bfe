/* SPDX-License-Identifier: BSD-2-Clause */
/* --help: pyspan's own options as written here, each backend's from the table it owns. */
#ifndef PYSPAN_CONFIG_HELP_H
#define PYSPAN_CONFIG_HELP_H

#include <stdio.h>

void help_print(FILE *f);

#endif
