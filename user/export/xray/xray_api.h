/* SPDX-License-Identifier: BSD-2-Clause */
/* X-Ray's PutTraceSegments client: batches of 50, SigV4, retries, a bounded queue. */
#ifndef PYSPAN_EXPORT_XRAY_API_H
#define PYSPAN_EXPORT_XRAY_API_H

#include <stddef.h>

#include "export/export.h"
#include "export/xray/xray.h"

struct xray_api;

/* NULL after one line on stderr when api mode cannot run (no region). Counts go to *ex. */
struct xray_api *xray_api_new(const struct xray_opts *o, struct exporter *ex);
/* Queue one segment document (takes ownership of the malloc'd doc) with its segment id, which
 * UnprocessedTraceSegments answers name. */
void xray_api_add(struct xray_api *c, char *doc, const char *id);
/* Start full batches, drive transfers without blocking, handle answers. */
void xray_api_poll(struct xray_api *c);
/* Send what is queued within the close deadline; what is left is counted dropped. */
void xray_api_close(struct xray_api *c);
int xray_api_describe(struct xray_api *c, char *buf, size_t len);

#endif
