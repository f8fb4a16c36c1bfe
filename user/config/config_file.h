/* SPDX-License-Identifier: BSD-2-Clause */
/* --config FILE: one JSON object whose keys mirror the long flags, applied over the defaults. */
#ifndef PYSPAN_CONFIG_FILE_H
#define PYSPAN_CONFIG_FILE_H

#include <stddef.h>

#include "config/cli.h"

#define CONFIG_FILE_MAX (1024 * 1024)

/* Read path and set what it names in cfg. On any problem return -1 with one line in err
 * ("config PATH: ..."), naming the key and the reason. Strings in cfg point into the parsed
 * file, which stays loaded until the next call. */
int config_file_load(const char *path, struct config *cfg, char *err, size_t errlen);

/* The same over text already in memory; path only names it in messages. */
int config_file_parse(const char *text, size_t len, const char *path, struct config *cfg,
		      char *err, size_t errlen);

#endif
