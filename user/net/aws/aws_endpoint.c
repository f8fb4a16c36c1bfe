// SPDX-License-Identifier: BSD-2-Clause
/* An AWS service endpoint split the way SigV4 signs it: URL to call, Host header, path. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "net/aws/aws_endpoint.h"

int aws_endpoint_parse(struct aws_endpoint *e, const char *endpoint, const char *suffix)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *path = NULL;
	size_t pl;
	int rc = -1;

	snprintf(e->base, sizeof(e->base), "%s", endpoint);
	pl = strlen(e->base);
	while (pl && e->base[pl - 1] == '/')
		e->base[--pl] = '\0';
	if (u && curl_url_set(u, CURLUPART_URL, e->base, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
		curl_url_get(u, CURLUPART_PORT, &port, 0); /* only when the URL names one */
		snprintf(e->host, sizeof(e->host), "%s%s%s", host, port ? ":" : "",
			 port ? port : "");
		pl = strlen(path);
		while (pl && path[pl - 1] == '/')
			path[--pl] = '\0';
		snprintf(e->path, sizeof(e->path), "%s%s", path, suffix);
		snprintf(e->url, sizeof(e->url), "%s%s", e->base, suffix);
		rc = 0;
	}
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}
