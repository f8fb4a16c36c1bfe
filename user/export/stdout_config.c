// SPDX-License-Identifier: BSD-2-Clause
/* The stdout backend: one JSON line per span, with no settings of its own. */
#include "export/backend.h"

static struct exporter *open_stdout(const void *settings, const struct backend_shared *shared)
{
	return export_stdout_new();
}

const struct backend stdout_backend = {
	.name = "stdout",
	.open = open_stdout,
};
