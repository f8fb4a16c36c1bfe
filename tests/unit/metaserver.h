/* SPDX-License-Identifier: BSD-2-Clause */
/* A loopback HTTP server in a thread standing in for IMDSv2, ECS credentials and STS. */
#ifndef PYSPAN_TESTS_METASERVER_H
#define PYSPAN_TESTS_METASERVER_H

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define META_TOKEN "imds-token-123"
#define ECS_AUTH "ecs-auth-xyz"

struct metaserver {
	int fd, port, stop;
	pthread_t thread;
	int imds_puts, imds_role_gets, imds_cred_gets, imds_rejected;
	int ecs_gets, ecs_rejected, sts_posts;
	int expires_in; /* seconds from now in every credential answer */
	int serial;      /* numbers the access keys handed out */
};

/* Case-insensitive header lookup in a raw request head; value copied to out. */
static inline int ms_header(const char *req, const char *name, char *out, size_t n)
{
	const char *p = req;
	size_t nl = strlen(name);

	while ((p = strstr(p, "\r\n"))) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1, *e;

			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			snprintf(out, n, "%.*s", (int)(e ? e - v : (long)strlen(v)), v);
			return 1;
		}
	}
	return 0;
}

static inline void ms_reply(int c, int status, const char *body)
{
	char head[256];

	snprintf(head, sizeof(head),
		 "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", status,
		 strlen(body));
	if (write(c, head, strlen(head)) < 0 || write(c, body, strlen(body)) < 0)
		return;
}

static inline void ms_creds_json(struct metaserver *m, const char *prefix, char *out, size_t n)
{
	char exp[32];
	time_t t = time(NULL) + m->expires_in;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(out, n,
		 "{\"Code\":\"Success\",\"AccessKeyId\":\"%s%d\",\"SecretAccessKey\":\"s3cr3t\","
		 "\"Token\":\"tok\",\"Expiration\":\"%s\"}",
		 prefix, ++m->serial, exp);
}

static inline void ms_handle(struct metaserver *m, int c)
{
	char req[16384], val[512], body[1024];
	size_t len = 0;
	ssize_t r;
	char *hend = NULL;

	while (len < sizeof(req) - 1 && (r = read(c, req + len, sizeof(req) - 1 - len)) > 0) {
		len += (size_t)r;
		req[len] = '\0';
		hend = strstr(req, "\r\n\r\n");
		if (hend) {
			size_t want = 0;

			if (ms_header(req, "Content-Length", val, sizeof(val)))
				want = (size_t)atoi(val);
			if (len >= (size_t)(hend + 4 - req) + want)
				break;
		}
	}
	req[len] = '\0';
	if (strncmp(req, "PUT /latest/api/token ", 22) == 0) {
		m->imds_puts++;
		if (ms_header(req, "X-aws-ec2-metadata-token-ttl-seconds", val, sizeof(val)))
			ms_reply(c, 200, META_TOKEN);
		else
			ms_reply(c, 400, "");
		return;
	}
	if (strncmp(req, "GET /latest/meta-data/iam/security-credentials/", 47) == 0) {
		if (!ms_header(req, "X-aws-ec2-metadata-token", val, sizeof(val)) ||
		    strcmp(val, META_TOKEN)) {
			m->imds_rejected++;
			ms_reply(c, 401, "");
		} else if (req[47] == ' ') {
			m->imds_role_gets++;
			ms_reply(c, 200, "role-a\n");
		} else if (strncmp(req + 47, "role-a ", 7) == 0) {
			m->imds_cred_gets++;
			ms_creds_json(m, "ASIAIMDS", body, sizeof(body));
			ms_reply(c, 200, body);
		} else {
			ms_reply(c, 404, "");
		}
		return;
	}
	if (strncmp(req, "GET /ecs-creds ", 15) == 0) {
		if (!ms_header(req, "Authorization", val, sizeof(val)) || strcmp(val, ECS_AUTH)) {
			m->ecs_rejected++;
			ms_reply(c, 401, "");
			return;
		}
		m->ecs_gets++;
		ms_creds_json(m, "ASIAECS", body, sizeof(body));
		ms_reply(c, 200, body);
		return;
	}
	if (strncmp(req, "POST /sts ", 10) == 0 && hend &&
	    strstr(hend, "Action=AssumeRoleWithWebIdentity") &&
	    strstr(hend, "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb") &&
	    strstr(hend, "WebIdentityToken=jwt.token.here")) {
		m->sts_posts++;
		snprintf(body, sizeof(body),
			 "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
			 "<Credentials><AccessKeyId>ASIASTS%d</AccessKeyId><SecretAccessKey>s"
			 "</SecretAccessKey><SessionToken>sts-token</SessionToken><Expiration>"
			 "2099-01-01T00:00:00Z</Expiration></Credentials>"
			 "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>",
			 ++m->serial);
		ms_reply(c, 200, body);
		return;
	}
	ms_reply(c, 404, "");
}

static inline void *ms_run(void *arg)
{
	struct metaserver *m = arg;

	while (!m->stop) {
		int c = accept(m->fd, NULL, NULL);

		if (c < 0)
			continue;
		if (!m->stop)
			ms_handle(m, c);
		close(c);
	}
	return NULL;
}

static inline int ms_start(struct metaserver *m)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);

	memset(m, 0, sizeof(*m));
	m->expires_in = 3600;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	m->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (m->fd < 0 || bind(m->fd, (struct sockaddr *)&a, sizeof(a)) || listen(m->fd, 16) ||
	    getsockname(m->fd, (struct sockaddr *)&a, &al))
		return -1;
	m->port = ntohs(a.sin_port);
	return pthread_create(&m->thread, NULL, ms_run, m);
}

static inline void ms_stop(struct metaserver *m)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)m->port) };
	int c = socket(AF_INET, SOCK_STREAM, 0);

	m->stop = 1;
	/* Wake the blocked accept. */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (c >= 0 && connect(c, (struct sockaddr *)&a, sizeof(a)) == 0)
		close(c);
	else if (c >= 0)
		close(c);
	pthread_join(m->thread, NULL);
	close(m->fd);
}

#endif
