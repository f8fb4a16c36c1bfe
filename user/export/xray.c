/* The X-Ray exporter: segments to the daemon over UDP, or to PutTraceSegments over HTTPS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export/xray.h"
#include "export/xray_addr.h"
#include "export/xray_api.h"
#include "export/xray_segment.h"
#include "log.h"
#include "net/udp.h"
#include "tracectx.h"

#define DAEMON_HEADER "{\"format\": \"json\", \"version\": 1}\n"
/* Header plus document stay under 64 kB, the daemon's read buffer and X-Ray's document
 * limit, and under IPv4's largest UDP payload. */
#define DAEMON_DOC_MAX (64000 - (sizeof(DAEMON_HEADER) - 1))
#define RESOLVE_RETRY_S 5

struct xray {
	struct exporter ex;
	struct xray_segment_opts seg;
	int api;
	/* daemon mode */
	struct xray_addr addr;
	struct udp_sender *udp;
	time_t next_resolve;
	int send_error_logged;
	/* api mode */
	struct xray_api *client;
	uint64_t truncated;
	uint64_t encode_failed;
};

/* Where pyspan runs, when the environment says so; EC2 is never guessed. */
static const char *origin_from_env(void)
{
	if (getenv("ECS_CONTAINER_METADATA_URI_V4") || getenv("ECS_CONTAINER_METADATA_URI"))
		return "AWS::ECS::Container";
	if (getenv("KUBERNETES_SERVICE_HOST"))
		return "AWS::EKS::Container";
	return NULL;
}

static int daemon_ready(struct xray *x)
{
	const char *err = NULL;
	time_t now;

	if (x->udp)
		return 1;
	now = time(NULL);
	if (now < x->next_resolve)
		return 0;
	x->udp = udp_open(x->addr.udp_host, x->addr.udp_port, &err);
	if (!x->udp) {
		if (!x->next_resolve)
			log_msg("xray: cannot resolve the daemon %s:%d (%s); segments are dropped "
				"and counted until it resolves",
				x->addr.udp_host, x->addr.udp_port, err);
		x->next_resolve = now + RESOLVE_RETRY_S;
		return 0;
	}
	return 1;
}

static void daemon_send(struct xray *x, const char *doc)
{
	size_t hl = sizeof(DAEMON_HEADER) - 1, dl = strlen(doc);
	char *dgram = malloc(hl + dl);
	int rc;

	if (!dgram || !daemon_ready(x)) {
		free(dgram);
		x->ex.dropped++;
		return;
	}
	memcpy(dgram, DAEMON_HEADER, hl);
	memcpy(dgram + hl, doc, dl);
	rc = udp_send(x->udp, dgram, hl + dl);
	free(dgram);
	if (rc == 0) {
		x->ex.sent++;
		return;
	}
	x->ex.dropped++;
	if (!x->send_error_logged) {
		log_msg("xray: sending to the daemon at %s:%d failed (%s); counting drops",
			x->addr.udp_host, x->addr.udp_port, strerror(-rc));
		x->send_error_logged = 1;
	}
}

static void xray_span(struct exporter *ex, const struct span *s)
{
	struct xray *x = (struct xray *)ex;
	int cut = 0;
	char *doc;

	if (s->kind != SPAN_SERVER)
		return; /* client spans become subsegments, which do not exist yet */
	doc = xray_segment_encode(s, &x->seg, x->api ? XRAY_DOC_MAX : DAEMON_DOC_MAX, &cut);
	if (!doc) {
		x->encode_failed++;
		ex->dropped++;
		return;
	}
	if (cut)
		x->truncated++;
	if (x->api) {
		char id[17];

		tracectx_hex(s->span_id, 8, id);
		xray_api_add(x->client, doc, id); /* takes doc */
	}
	else {
		daemon_send(x, doc);
		free(doc);
	}
}

static void xray_flush(struct exporter *ex)
{
	struct xray *x = (struct xray *)ex;

	if (x->api)
		xray_api_poll(x->client);
}

static void xray_describe(struct exporter *ex, char *buf, size_t len)
{
	struct xray *x = (struct xray *)ex;
	size_t off;

	if (x->api)
		off = (size_t)xray_api_describe(x->client, buf, len);
	else
		off = (size_t)snprintf(buf, len, "daemon %s:%d", x->addr.udp_host,
				       x->addr.udp_port);
	if (off < len)
		snprintf(buf + off, len - off, ", %llu truncated to fit 64 kB, %llu not encodable",
			 (unsigned long long)x->truncated, (unsigned long long)x->encode_failed);
}

static void xray_close(struct exporter *ex)
{
	struct xray *x = (struct xray *)ex;

	if (x->api)
		xray_api_close(x->client);
	udp_close(x->udp);
	x->udp = NULL;
	/* The registry prints the summary after close: the struct lives until exit. */
}

struct exporter *export_xray_new(const struct xray_opts *o)
{
	struct xray *x = calloc(1, sizeof(*x));

	if (!x) {
		log_msg("out of memory");
		return NULL;
	}
	x->ex.name = "xray";
	x->ex.span = xray_span;
	x->ex.flush = xray_flush;
	x->ex.close = xray_close;
	x->ex.describe = xray_describe;
	x->seg.service_version = o->service_version;
	x->seg.origin = origin_from_env();
	x->api = o->api;
	if (o->api) {
		x->client = xray_api_new(o, &x->ex);
		if (!x->client) {
			free(x);
			return NULL;
		}
		return &x->ex;
	}
	{
		const char *v = o->daemon_address ? o->daemon_address
						  : getenv("AWS_XRAY_DAEMON_ADDRESS");

		if (xray_addr_parse(v && v[0] ? v : XRAY_DAEMON_DEFAULT, &x->addr)) {
			fprintf(stderr, "pyspan: AWS_XRAY_DAEMON_ADDRESS '%s' is not host:port nor "
					"'tcp:host:port udp:host:port'\n", v);
			free(x);
			return NULL;
		}
	}
	daemon_ready(x);
	return &x->ex;
}
