/* SPDX-License-Identifier: BSD-2-Clause */
/* Environment variables: pyspan's own and those each backend declares, over the config file. */
#ifndef PYSPAN_CONFIG_ENV_H
#define PYSPAN_CONFIG_ENV_H

#include <stddef.h>

#include "config/cli.h"

/* The variable's value, or NULL when it is unset or empty (an empty one counts as unset). */
const char *env_value(const char *name);

/* Set what the environment says over the defaults and the config file. -1 with one sentence in
 * err for a value that must be checked now (one of several choices). */
int env_apply(struct config *cfg, char *err, size_t errlen);

#endif
