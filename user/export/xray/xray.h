/* SPDX-License-Identifier: BSD-2-Clause */
/* The X-Ray exporter: segments to the daemon over UDP, or to PutTraceSegments over HTTPS. */
#ifndef PYSPAN_EXPORT_XRAY_H
#define PYSPAN_EXPORT_XRAY_H

#include "export/export.h"

struct xray_opts {
	int api;                     /* --xray-mode api: PutTraceSegments, SigV4-signed */
	const char *endpoint;        /* --xray-endpoint; NULL: from the environment or region */
	const char *service_version; /* --service-version; NULL: none */
	const char *daemon_address;  /* config or AWS_XRAY_DAEMON_ADDRESS; NULL: the default */
};

/* NULL after one line on stderr when the environment is unusable (exit 2): a malformed
 * AWS_XRAY_DAEMON_ADDRESS, no region in api mode. */
struct exporter *export_xray_new(const struct xray_opts *o);

#endif
