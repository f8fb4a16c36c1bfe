/* SPDX-License-Identifier: BSD-2-Clause */
/* --check-config: the effective configuration as JSON, with anything secret masked. */
#ifndef PYSPAN_CONFIG_PRINT_H
#define PYSPAN_CONFIG_PRINT_H

#include <cjson/cJSON.h>

#include "config/cli.h"

/* Replace the value of every key whose name holds secret, token, key or password. */
void config_mask(cJSON *obj);

/* The config file's shape, masked; the caller frees it. NULL when out of memory. */
char *config_to_json(const struct config *cfg);

#endif
