// SPDX-License-Identifier: BSD-2-Clause
/* The AWS credential chain (https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html) and a provider that refreshes ahead of expiry. */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "net/aws/aws_creds.h"
#include "net/http.h"

#define META_TIMEOUT_MS 1000 /* link-local services answer fast or not at all */
#define STS_TIMEOUT_MS 5000
#define REFRESH_AHEAD_S 300  /* refresh this long before expiry */
#define RETRY_S 30           /* after a failed refresh */
#define IMDS_DEFAULT "http://169.254.169.254"
#define ECS_HOST "http://169.254.170.2"

void aws_creds_wipe(struct aws_creds *c)
{
	/* volatile: the compiler may not drop a clear of memory about to die. */
	volatile char *p = (volatile char *)c;

	for (size_t i = 0; i < sizeof(*c); i++)
		p[i] = 0;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] ? v : NULL;
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static char *read_file(const char *path, size_t max)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max, f);
	fclose(f);
	buf[n] = '\0';
	/* Token files often end with a newline the service does not want. */
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return buf;
}

/* ---- shared credentials and config files (INI) ---- */

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* The value of key in [section] of an INI file; out empty when absent. */
static int ini_get(const char *path, const char *section, const char *key, char *out, size_t n)
{
	char line[4096];
	int in = 0, found = 0;
	FILE *f;

	out[0] = '\0';
	if (!path || !(f = fopen(path, "re")))
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *s = trim(line), *eq;

		if (*s == '#' || *s == ';' || !*s)
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');

			if (end)
				*end = '\0';
			in = strcmp(trim(s + 1), section) == 0;
			continue;
		}
		if (!in || !(eq = strchr(s, '=')))
			continue;
		*eq = '\0';
		if (strcmp(trim(s), key) == 0) {
			copy(out, n, trim(eq + 1));
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

static const char *profile_name(void)
{
	const char *p = env("AWS_PROFILE");

	return p ? p : env("AWS_DEFAULT_PROFILE") ? env("AWS_DEFAULT_PROFILE") : "default";
}

static void file_paths(char *cred, char *conf, size_t n)
{
	const char *home = env("HOME");

	if (env("AWS_SHARED_CREDENTIALS_FILE"))
		copy(cred, n, env("AWS_SHARED_CREDENTIALS_FILE"));
	else
		snprintf(cred, n, "%s/.aws/credentials", home ? home : "");
	if (env("AWS_CONFIG_FILE"))
		copy(conf, n, env("AWS_CONFIG_FILE"));
	else
		snprintf(conf, n, "%s/.aws/config", home ? home : "");
}

/* The config file names a non-default profile "[profile NAME]". */
static int config_get(const char *conf, const char *key, char *out, size_t n)
{
	char section[256];
	const char *p = profile_name();

	snprintf(section, sizeof(section), "profile %s", p);
	if (ini_get(conf, section, key, out, n))
		return 1;
	return strcmp(p, "default") == 0 && ini_get(conf, "default", key, out, n);
}

int aws_region(char out[64])
{
	char cred[1024], conf[1024];

	if (env("AWS_REGION") || env("AWS_DEFAULT_REGION")) {
		copy(out, 64, env("AWS_REGION") ? env("AWS_REGION") : env("AWS_DEFAULT_REGION"));
		return 0;
	}
	file_paths(cred, conf, sizeof(cred));
	return config_get(conf, "region", out, 64) && out[0] ? 0 : -1;
}

static int from_env(struct aws_creds *c)
{
	if (!env("AWS_ACCESS_KEY_ID") || !env("AWS_SECRET_ACCESS_KEY"))
		return -1;
	copy(c->access_key_id, sizeof(c->access_key_id), env("AWS_ACCESS_KEY_ID"));
	copy(c->secret, sizeof(c->secret), env("AWS_SECRET_ACCESS_KEY"));
	copy(c->token, sizeof(c->token),
	     env("AWS_SESSION_TOKEN") ? env("AWS_SESSION_TOKEN") : env("AWS_SECURITY_TOKEN"));
	copy(c->source, sizeof(c->source), "environment");
	return 0;
}

static int from_files(struct aws_creds *c)
{
	char cred[1024], conf[1024];
	const char *p = profile_name();

	file_paths(cred, conf, sizeof(cred));
	if (ini_get(cred, p, "aws_access_key_id", c->access_key_id, sizeof(c->access_key_id)) &&
	    ini_get(cred, p, "aws_secret_access_key", c->secret, sizeof(c->secret))) {
		if (!ini_get(cred, p, "aws_session_token", c->token, sizeof(c->token)))
			ini_get(cred, p, "aws_security_token", c->token, sizeof(c->token));
		snprintf(c->source, sizeof(c->source), "credentials file, profile %.20s", p);
		return 0;
	}
	if (config_get(conf, "aws_access_key_id", c->access_key_id, sizeof(c->access_key_id)) &&
	    config_get(conf, "aws_secret_access_key", c->secret, sizeof(c->secret))) {
		config_get(conf, "aws_session_token", c->token, sizeof(c->token));
		snprintf(c->source, sizeof(c->source), "config file, profile %.20s", p);
		return 0;
	}
	aws_creds_wipe(c);
	return -1;
}

/* ---- JSON and XML credential documents ---- */

/* "2026-11-25T12:00:00Z" (fractions and offsets other than Z are not used by AWS here). */
static long long parse_iso8601(const char *s)
{
	struct tm tm = { 0 };

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm);
}

/* ECS and IMDS both answer {AccessKeyId, SecretAccessKey, Token, Expiration}. */
static int from_json(const char *body, struct aws_creds *c, const char *source)
{
	cJSON *j = cJSON_Parse(body);
	cJSON *ak = cJSON_GetObjectItem(j, "AccessKeyId");
	cJSON *sk = cJSON_GetObjectItem(j, "SecretAccessKey");
	cJSON *tk = cJSON_GetObjectItem(j, "Token");
	cJSON *ex = cJSON_GetObjectItem(j, "Expiration");
	int rc = -1;

	if (cJSON_IsString(ak) && cJSON_IsString(sk) && ak->valuestring[0]) {
		copy(c->access_key_id, sizeof(c->access_key_id), ak->valuestring);
		copy(c->secret, sizeof(c->secret), sk->valuestring);
		copy(c->token, sizeof(c->token), cJSON_IsString(tk) ? tk->valuestring : "");
		c->expires = cJSON_IsString(ex) ? parse_iso8601(ex->valuestring) : 0;
		copy(c->source, sizeof(c->source), source);
		rc = 0;
	}
	/* The parsed tree holds the secret too. */
	if (cJSON_IsString(sk))
		memset(sk->valuestring, 0, strlen(sk->valuestring));
	cJSON_Delete(j);
	return rc;
}

static int xml_get(const char *xml, const char *tag, char *out, size_t n)
{
	char open[64], close[64];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = strstr(xml, open);
	if (!a)
		return -1;
	a += strlen(open);
	b = strstr(a, close);
	if (!b || (size_t)(b - a) >= n)
		return -1;
	memcpy(out, a, (size_t)(b - a));
	out[b - a] = '\0';
	return 0;
}

/* ---- network sources ---- */

static void url_encode(const char *s, char *out, size_t n)
{
	size_t o = 0;

	for (; *s && o + 4 < n; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, n - o, "%%%02X", c);
	}
	out[o] = '\0';
}

static int from_web_identity(const char *region, struct aws_creds *c, char *why, int whylen)
{
	char cred[1024], conf[1024], arn[2100], tokfile[1024], session[80], url[512];
	char *token, *body;
	size_t blen;
	struct http_response r;
	int rc = -1;

	copy(arn, sizeof(arn), env("AWS_ROLE_ARN"));
	copy(tokfile, sizeof(tokfile), env("AWS_WEB_IDENTITY_TOKEN_FILE"));
	copy(session, sizeof(session), env("AWS_ROLE_SESSION_NAME"));
	if (!arn[0] || !tokfile[0]) {
		file_paths(cred, conf, sizeof(cred));
		config_get(conf, "role_arn", arn, sizeof(arn));
		config_get(conf, "web_identity_token_file", tokfile, sizeof(tokfile));
		if (!session[0])
			config_get(conf, "role_session_name", session, sizeof(session));
	}
	if (!arn[0] || !tokfile[0])
		return -1;
	if (!session[0])
		snprintf(session, sizeof(session), "pyspan-%lld", (long long)time(NULL));
	token = read_file(tokfile, 20000);
	if (!token) {
		snprintf(why, (size_t)whylen, "web identity token file %.150s: %.60s", tokfile,
			 strerror(errno));
		return -1;
	}
	blen = strlen(token) * 3 + strlen(arn) * 3 + 256;
	body = malloc(blen);
	if (!body) {
		free(token);
		return -1;
	}
	{
		char *et = malloc(strlen(token) * 3 + 1), ea[2100 * 3], es[80 * 3];

		if (!et) {
			free(token);
			free(body);
			return -1;
		}
		url_encode(token, et, strlen(token) * 3 + 1);
		url_encode(arn, ea, sizeof(ea));
		url_encode(session, es, sizeof(es));
		snprintf(body, blen,
			 "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=%s"
			 "&RoleSessionName=%s&WebIdentityToken=%s",
			 ea, es, et);
		memset(et, 0, strlen(et));
		free(et);
	}
	memset(token, 0, strlen(token));
	free(token);
	if (env("AWS_ENDPOINT_URL_STS"))
		copy(url, sizeof(url), env("AWS_ENDPOINT_URL_STS"));
	else if (region && region[0])
		snprintf(url, sizeof(url), "https://sts.%s.amazonaws.com/", region);
	else
		copy(url, sizeof(url), "https://sts.amazonaws.com/");
	{
		/* AssumeRoleWithWebIdentity is unsigned: the token is the proof. */
		struct http_header h[] = {
			{ "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" },
			{ "Accept", "application/xml" },
		};

		if (http_fetch("POST", url, h, 2, body, strlen(body), STS_TIMEOUT_MS, &r) == 0 &&
		    r.status == 200 &&
		    xml_get(r.body, "AccessKeyId", c->access_key_id,
			    sizeof(c->access_key_id)) == 0 &&
		    xml_get(r.body, "SecretAccessKey", c->secret, sizeof(c->secret)) == 0) {
			char exp[64] = "";

			xml_get(r.body, "SessionToken", c->token, sizeof(c->token));
			xml_get(r.body, "Expiration", exp, sizeof(exp));
			c->expires = parse_iso8601(exp);
			copy(c->source, sizeof(c->source), "web identity");
			rc = 0;
		} else {
			snprintf(why, (size_t)whylen,
				 "STS AssumeRoleWithWebIdentity at %.150s: %.60s", url,
				 r.error ? r.error : "refused");
			if (!r.error && r.status)
				snprintf(why, (size_t)whylen,
					 "STS AssumeRoleWithWebIdentity at %.150s: HTTP %ld", url,
					 r.status);
		}
	}
	if (r.body)
		memset(r.body, 0, strlen(r.body));
	free(r.body);
	memset(body, 0, strlen(body));
	free(body);
	return rc;
}

/* Hosts a FULL_URI may name over plain http (botocore's list). */
static int full_uri_allowed(const char *u)
{
	static const char *const ok[] = { "http://127.", "http://localhost", "http://[::1]",
					  "http://169.254.170.2", "http://169.254.170.23",
					  "http://[fd00:ec2::23]" };

	if (strncmp(u, "https://", 8) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		size_t n = strlen(ok[i]);

		/* The host must end where the allowed prefix ends (or be an IPv4 loopback). */
		if (strncmp(u, ok[i], n) == 0 &&
		    (ok[i][n - 1] == '.' || u[n] == ':' || u[n] == '/' || u[n] == '\0'))
			return 1;
	}
	return 0;
}

static int from_container(struct aws_creds *c, char *why, int whylen)
{
	char url[1024], auth[4096] = "";
	struct http_header h[2] = { { "Accept", "application/json" }, { "Authorization", auth } };
	struct http_response r;
	int rc = -1;

	if (env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
		snprintf(url, sizeof(url), "%s%s", ECS_HOST,
			 env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
	} else if (env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
		copy(url, sizeof(url), env("AWS_CONTAINER_CREDENTIALS_FULL_URI"));
		if (!full_uri_allowed(url)) {
			snprintf(why, (size_t)whylen,
				 "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a loopback "
				 "or ECS/EKS link-local host");
			return -1;
		}
	} else {
		return -1;
	}
	if (env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
		const char *path = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
		char *t = read_file(path, sizeof(auth) - 1);

		copy(auth, sizeof(auth), t);
		if (t)
			memset(t, 0, strlen(t));
		free(t);
	} else {
		copy(auth, sizeof(auth), env("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
	}
	if (strpbrk(auth, "\r\n")) {
		snprintf(why, (size_t)whylen,
			 "the container authorization token holds a line break");
		memset(auth, 0, sizeof(auth));
		return -1;
	}
	if (http_fetch("GET", url, h, auth[0] ? 2 : 1, NULL, 0, META_TIMEOUT_MS * 2, &r) == 0 &&
	    r.status == 200)
		rc = from_json(r.body, c, "container credentials");
	if (rc)
		snprintf(why, (size_t)whylen, "container credentials at %.150s: %.60s", url,
			 r.error ? r.error : r.status == 200 ? "no keys in the answer" : "refused");
	if (r.body)
		memset(r.body, 0, strlen(r.body));
	free(r.body);
	memset(auth, 0, sizeof(auth));
	return rc;
}

static int from_imds(struct aws_creds *c, char *why, int whylen)
{
	const char *base = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	char url[1024], token[256] = "", role[256] = "";
	struct http_header put_h = { "X-aws-ec2-metadata-token-ttl-seconds", "21600" };
	struct http_header get_h = { "X-aws-ec2-metadata-token", token };
	struct http_response r;
	size_t bl;
	int rc = -1;

	if (env("AWS_EC2_METADATA_DISABLED") &&
	    strcasecmp(env("AWS_EC2_METADATA_DISABLED"), "true") == 0)
		return -1;
	if (!base)
		base = IMDS_DEFAULT;
	bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	snprintf(url, sizeof(url), "%.*s/latest/api/token", (int)bl, base);
	if (http_fetch("PUT", url, &put_h, 1, NULL, 0, META_TIMEOUT_MS, &r) == 0 &&
	    r.status == 200)
		copy(token, sizeof(token), trim(r.body));
	free(r.body);
	if (!token[0]) {
		/* IMDSv1 is not used: a token is the defence against SSRF. */
		snprintf(why, (size_t)whylen, "EC2 instance metadata at %.*s: %s", (int)bl, base,
			 r.error ? r.error : "no IMDSv2 token");
		return -1;
	}
	snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/security-credentials/", (int)bl,
		 base);
	if (http_fetch("GET", url, &get_h, 1, NULL, 0, META_TIMEOUT_MS, &r) == 0 &&
	    r.status == 200)
		sscanf(r.body, "%255s", role);
	free(r.body);
	if (!role[0]) {
		snprintf(why, (size_t)whylen, "EC2 instance metadata: no instance role");
		return -1;
	}
	snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/security-credentials/%s", (int)bl,
		 base, role);
	if (http_fetch("GET", url, &get_h, 1, NULL, 0, META_TIMEOUT_MS, &r) == 0 &&
	    r.status == 200)
		rc = from_json(r.body, c, "EC2 instance role");
	if (rc)
		snprintf(why, (size_t)whylen, "EC2 instance metadata: no credentials for the role");
	if (r.body)
		memset(r.body, 0, strlen(r.body));
	free(r.body);
	memset(token, 0, sizeof(token));
	return rc;
}

int aws_creds_resolve(const char *region, struct aws_creds *out, char *why, int whylen)
{
	char tmp[256] = "";

	/* Each source fills tmp only when it was configured and failed: that beats the generic
	 * reason. */
	memset(out, 0, sizeof(*out));
	snprintf(why, (size_t)whylen, "no credentials in the environment, the shared files, web "
				      "identity, container or EC2 instance metadata");
	if (from_env(out) == 0 || from_files(out) == 0)
		return 0;
	if (from_web_identity(region, out, tmp, sizeof(tmp)) == 0)
		return 0;
	if (tmp[0]) /* configured but failed: that is the reason to report */
		snprintf(why, (size_t)whylen, "%s", tmp);
	if (from_container(out, tmp, sizeof(tmp)) == 0)
		return 0;
	if (tmp[0])
		snprintf(why, (size_t)whylen, "%s", tmp);
	tmp[0] = '\0';
	if (from_imds(out, tmp, sizeof(tmp)) == 0)
		return 0;
	aws_creds_wipe(out);
	return -1;
}

/* ---- the provider ---- */

struct aws_creds_provider {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int started, stop, have;
	struct aws_creds creds;
	char region[64];
	long long next_try;
};

static int needs_refresh(struct aws_creds_provider *p, long long now)
{
	if (now < p->next_try)
		return 0;
	return !p->have || (p->creds.expires && now >= p->creds.expires - REFRESH_AHEAD_S);
}

static void refresh(struct aws_creds_provider *p)
{
	struct aws_creds c;
	char why[512];
	int ok = aws_creds_resolve(p->region, &c, why, sizeof(why)) == 0;

	pthread_mutex_lock(&p->lock);
	if (ok) {
		if (!p->have || strcmp(p->creds.source, c.source))
			log_msg("AWS credentials from %s", c.source);
		p->creds = c;
		p->have = 1;
		p->next_try = 0;
	} else {
		/* Old temporary keys stay usable until they actually expire. */
		if (p->have && p->creds.expires && time(NULL) >= p->creds.expires)
			p->have = 0;
		p->next_try = (long long)time(NULL) + RETRY_S;
		log_msg("no AWS credentials (%s); retrying in %d s", why, RETRY_S);
	}
	pthread_mutex_unlock(&p->lock);
	aws_creds_wipe(&c);
}

static void *refresher(void *arg)
{
	struct aws_creds_provider *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		struct timespec ts;
		long long now = (long long)time(NULL);

		if (needs_refresh(p, now)) {
			pthread_mutex_unlock(&p->lock);
			refresh(p);
			pthread_mutex_lock(&p->lock);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&p->wake, &p->lock, &ts);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct aws_creds_provider *aws_creds_provider_new(const char *region)
{
	struct aws_creds_provider *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	copy(p->region, sizeof(p->region), region);
	refresh(p);
	if (pthread_create(&p->thread, NULL, refresher, p) == 0)
		p->started = 1;
	return p;
}

int aws_creds_get(struct aws_creds_provider *p, struct aws_creds *out)
{
	int have;

	pthread_mutex_lock(&p->lock);
	have = p->have && (!p->creds.expires || time(NULL) < p->creds.expires);
	if (have)
		*out = p->creds;
	pthread_mutex_unlock(&p->lock);
	return have ? 0 : -1;
}

void aws_creds_provider_free(struct aws_creds_provider *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	if (p->started)
		pthread_join(p->thread, NULL);
	aws_creds_wipe(&p->creds);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->wake);
	free(p);
}
