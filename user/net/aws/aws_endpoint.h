/* SPDX-License-Identifier: BSD-2-Clause */
/* An AWS service endpoint split the way SigV4 signs it: URL to call, Host header, path. */
#ifndef PYSPAN_NET_AWS_ENDPOINT_H
#define PYSPAN_NET_AWS_ENDPOINT_H

struct aws_endpoint {
	char url[1200];  /* base + suffix: what is called */
	char host[300];  /* host[:port] as signed and sent */
	char path[600];  /* the URL's path + suffix, as signed */
	char base[1024]; /* the endpoint without trailing slashes, for the summary */
};

/* Split endpoint (trailing slashes dropped) and append suffix ("/TraceSegments", "/") to its
 * path. curl's own parser decides, so what is signed is what curl sends. 0, or -1 when the
 * endpoint is not a URL. */
int aws_endpoint_parse(struct aws_endpoint *e, const char *endpoint, const char *suffix);

#endif
