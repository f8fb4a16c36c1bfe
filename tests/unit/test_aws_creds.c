// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for the AWS credential chain: each source present or absent, and their order. */
#include <stdlib.h>
#include <sys/stat.h>

#include "check.h"
#include "metaserver.h"
#include "net/aws/aws_creds.h"

extern char **environ;

static char home[256];
static struct metaserver ms;

/* A clean slate: no AWS_* variables, an empty HOME, no EC2 metadata. */
static void clean_env(void)
{
	char path[512];

	for (int again = 1; again;) {
		again = 0;
		for (char **e = environ; *e; e++) {
			if (strncmp(*e, "AWS_", 4) == 0) {
				char name[256];

				snprintf(name, sizeof(name), "%.*s", (int)strcspn(*e, "="), *e);
				unsetenv(name);
				again = 1;
				break;
			}
		}
	}
	setenv("HOME", home, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	snprintf(path, sizeof(path), "%s/.aws/credentials", home);
	unlink(path);
	snprintf(path, sizeof(path), "%s/.aws/config", home);
	unlink(path);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void home_file(const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/.aws/%s", home, name);
	write_file(path, text);
}

static int resolve(struct aws_creds *c, char *why)
{
	return aws_creds_resolve("us-east-1", c, why, 256);
}

static void url(const char *var, const char *path)
{
	char u[256];

	snprintf(u, sizeof(u), "http://127.0.0.1:%d%s", ms.port, path);
	setenv(var, u, 1);
}

static void test_env_and_files(void)
{
	struct aws_creds c;
	char why[256], path[512];

	clean_env();
	CHECK_INT(resolve(&c, why), -1);
	CHECK(strstr(why, "no credentials") != NULL);

	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	home_file("credentials", "[default]\naws_access_key_id = AKIAFILE\n"
				 "aws_secret_access_key = filesecret\n");
	CHECK_INT(resolve(&c, why), 0);
	CHECK_STR(c.access_key_id, "AKIAENV"); /* environment before the files */
	CHECK_STR(c.token, "envtoken");
	CHECK_STR(c.source, "environment");
	CHECK_INT(c.expires, 0);

	unsetenv("AWS_ACCESS_KEY_ID");
	CHECK_INT(resolve(&c, why), 0); /* half a pair in the environment is no pair */
	CHECK_STR(c.access_key_id, "AKIAFILE");
	CHECK_STR(c.secret, "filesecret");
	CHECK_STR(c.token, "");
	CHECK_STR(c.source, "credentials file, profile default");

	home_file("credentials", "# comment\n[default]\naws_access_key_id=AKIAFILE\n"
				 "aws_secret_access_key=filesecret\n\n[other]\n"
				 "aws_access_key_id = AKIAOTHER\naws_secret_access_key = o\n"
				 "aws_session_token = othertoken\n");
	setenv("AWS_PROFILE", "other", 1);
	CHECK_INT(resolve(&c, why), 0);
	CHECK_STR(c.access_key_id, "AKIAOTHER");
	CHECK_STR(c.token, "othertoken");

	/* AWS_SHARED_CREDENTIALS_FILE moves the file; then the config file's profile. */
	snprintf(path, sizeof(path), "%s/elsewhere", home);
	write_file(path, "[other]\naws_access_key_id = AKIAMOVED\naws_secret_access_key = m\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	CHECK_INT(resolve(&c, why), 0);
	CHECK_STR(c.access_key_id, "AKIAMOVED");
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	home_file("config", "[default]\nregion = eu-west-1\n[profile other]\n"
			    "aws_access_key_id = AKIACONF\naws_secret_access_key = c\n"
			    "region = ap-south-1\n");
	CHECK_INT(resolve(&c, why), 0);
	CHECK_STR(c.access_key_id, "AKIACONF");
	CHECK_STR(c.source, "config file, profile other");
	{
		char region[64];

		CHECK_INT(aws_region(region), 0);
		CHECK_STR(region, "ap-south-1");
		setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
		CHECK_INT(aws_region(region), 0);
		CHECK_STR(region, "us-west-2");
		setenv("AWS_REGION", "eu-central-1", 1);
		CHECK_INT(aws_region(region), 0);
		CHECK_STR(region, "eu-central-1");
		clean_env();
		CHECK_INT(aws_region(region), -1);
	}
}

static void test_web_identity(void)
{
	struct aws_creds c;
	char why[256], tok[512];

	clean_env();
	snprintf(tok, sizeof(tok), "%s/token", home);
	write_file(tok, "jwt.token.here\n");
	setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web", 1);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok, 1);
	url("AWS_ENDPOINT_URL_STS", "/sts");
	/* Web identity comes before container credentials. */
	url("AWS_CONTAINER_CREDENTIALS_FULL_URI", "/ecs-creds");
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", ECS_AUTH, 1);
	CHECK_INT(resolve(&c, why), 0);
	CHECK(strncmp(c.access_key_id, "ASIASTS", 7) == 0);
	CHECK_STR(c.token, "sts-token");
	CHECK_INT(c.expires, 4070908800LL);
	CHECK_STR(c.source, "web identity");
	CHECK_INT(ms.sts_posts, 1);
	CHECK_INT(ms.ecs_gets, 0);

	/* A configured source that fails is the reason given. */
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token", 1);
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	CHECK_INT(resolve(&c, why), -1);
	CHECK(strstr(why, "/nonexistent/token") != NULL);
}

static void test_container(void)
{
	struct aws_creds c;
	char why[256], tokfile[512];

	clean_env();
	url("AWS_CONTAINER_CREDENTIALS_FULL_URI", "/ecs-creds");
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", ECS_AUTH, 1);
	CHECK_INT(resolve(&c, why), 0);
	CHECK(strncmp(c.access_key_id, "ASIAECS", 7) == 0);
	CHECK_STR(c.secret, "s3cr3t");
	CHECK_STR(c.token, "tok");
	CHECK(c.expires > time(NULL) + 3500 && c.expires <= time(NULL) + 3600);
	CHECK_STR(c.source, "container credentials");

	/* The token file wins over the variable. */
	snprintf(tokfile, sizeof(tokfile), "%s/ecs-token", home);
	write_file(tokfile, ECS_AUTH "\n");
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong", 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokfile, 1);
	CHECK_INT(resolve(&c, why), 0);
	CHECK_INT(ms.ecs_gets, 2);
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	CHECK_INT(resolve(&c, why), -1);
	CHECK_INT(ms.ecs_rejected, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "bad\r\nX-Injected: 1", 1);
	CHECK_INT(resolve(&c, why), -1);
	CHECK(strstr(why, "line break") != NULL);

	/* Plain http only to loopback and the ECS/EKS link-local hosts. */
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", ECS_AUTH, 1);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
	CHECK_INT(resolve(&c, why), -1);
	CHECK(strstr(why, "FULL_URI") != NULL);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1.evil.com/creds", 1);
	CHECK_INT(resolve(&c, why), -1);

	/* The environment still comes first. */
	url("AWS_CONTAINER_CREDENTIALS_FULL_URI", "/ecs-creds");
	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "e", 1);
	CHECK_INT(resolve(&c, why), 0);
	CHECK_STR(c.source, "environment");
}

static void test_imds(void)
{
	struct aws_creds c;
	char why[256];
	int puts_before = ms.imds_puts;

	clean_env();
	url("AWS_EC2_METADATA_SERVICE_ENDPOINT", "/");
	CHECK_INT(resolve(&c, why), -1); /* disabled: never asked */
	CHECK_INT(ms.imds_puts, puts_before);

	unsetenv("AWS_EC2_METADATA_DISABLED");
	CHECK_INT(resolve(&c, why), 0);
	CHECK(strncmp(c.access_key_id, "ASIAIMDS", 8) == 0);
	CHECK_STR(c.source, "EC2 instance role");
	CHECK_INT(ms.imds_puts, puts_before + 1);
	CHECK_INT(ms.imds_role_gets, 1);
	CHECK_INT(ms.imds_cred_gets, 1);
	CHECK_INT(ms.imds_rejected, 0);

	/* Container credentials come before the instance role. */
	url("AWS_CONTAINER_CREDENTIALS_FULL_URI", "/ecs-creds");
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", ECS_AUTH, 1);
	CHECK_INT(resolve(&c, why), 0);
	CHECK_STR(c.source, "container credentials");
}

/* Temporary keys inside the refresh window are replaced from the provider's thread. */
static void test_provider_refresh(void)
{
	struct aws_creds_provider *p;
	struct aws_creds a, b;
	int gets;

	clean_env();
	unsetenv("AWS_EC2_METADATA_DISABLED");
	url("AWS_EC2_METADATA_SERVICE_ENDPOINT", "");
	ms.expires_in = 200; /* inside the 300 s refresh-ahead window */
	gets = ms.imds_cred_gets;
	p = aws_creds_provider_new("us-east-1");
	CHECK(p != NULL);
	CHECK_INT(aws_creds_get(p, &a), 0);
	ms.expires_in = 3600;
	for (int i = 0; i < 40 && ms.imds_cred_gets < gets + 2; i++)
		usleep(100 * 1000);
	CHECK_INT(aws_creds_get(p, &b), 0);
	CHECK(ms.imds_cred_gets >= gets + 2);
	CHECK(strcmp(a.access_key_id, b.access_key_id) != 0);
	CHECK(b.expires > time(NULL) + 3000);
	aws_creds_provider_free(p);

	/* Without any source the provider has nothing to give, and says so without crashing. */
	clean_env();
	p = aws_creds_provider_new("us-east-1");
	CHECK_INT(aws_creds_get(p, &a), -1);
	aws_creds_provider_free(p);
}

int main(void)
{
	char dir[300];

	snprintf(home, sizeof(home), "/tmp/pyspan-creds-XXXXXX");
	if (!mkdtemp(home))
		return 1;
	snprintf(dir, sizeof(dir), "%s/.aws", home);
	mkdir(dir, 0700);
	if (ms_start(&ms)) {
		fprintf(stderr, "cannot start the loopback metadata server\n");
		return 1;
	}
	test_env_and_files();
	test_web_identity();
	test_container();
	test_imds();
	test_provider_refresh();
	ms_stop(&ms);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", home);
	}
	return check_summary("aws_creds");
}
