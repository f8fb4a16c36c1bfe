// SPDX-License-Identifier: BSD-2-Clause
/* Fuzz the config file: any JSON text applied over the defaults, then printed back. */
// fuzz-corpus: tests/fuzz/seeds/config
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_file.h"
#include "config/config_print.h"
#include "config/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512];

	options_defaults(&cfg);
	if (config_file_parse((const char *)data, size, "fuzz.json", &cfg, err, sizeof(err))) {
		if (!memchr(err, 0, sizeof(err)) || strncmp(err, "config fuzz.json: ", 18))
			abort(); /* every error names the file */
		return 0;
	}
	free(config_to_json(&cfg));
	return 0;
}
