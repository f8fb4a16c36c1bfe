/* SPDX-License-Identifier: BSD-2-Clause */
/* The AWS credential chain (https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html) and a provider that refreshes ahead of expiry. */
#ifndef PYSPAN_NET_AWS_CREDS_H
#define PYSPAN_NET_AWS_CREDS_H

struct aws_creds {
	char access_key_id[128];
	char secret[256];
	char token[4096];   /* empty without a session */
	long long expires;  /* Unix seconds; 0 for long-lived keys */
	char source[48];    /* which link of the chain: "environment", "profile default", ... */
};

/* The region: AWS_REGION, AWS_DEFAULT_REGION, else the profile's region in the config file.
 * out holds 64 bytes; returns 0, or -1 when none is set. */
int aws_region(char out[64]);

/* Walk the chain once, in order: environment; shared credentials then config file for
 * AWS_PROFILE; web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, or the profile's
 * keys) through STS AssumeRoleWithWebIdentity; ECS container credentials; EC2 IMDSv2.
 * Blocking, each network source with a short timeout. Returns 0 and fills *out, or -1 with a
 * reason in why (never a secret). */
int aws_creds_resolve(const char *region, struct aws_creds *out, char *why, int whylen);

struct aws_creds_provider;

/* Resolve now (blocking) and keep temporary credentials fresh from a thread, so the export
 * loop never waits on a metadata service. Never NULL unless out of memory; without
 * credentials it keeps trying. */
struct aws_creds_provider *aws_creds_provider_new(const char *region);
/* A copy of the current credentials; -1 when there are none (yet). */
int aws_creds_get(struct aws_creds_provider *p, struct aws_creds *out);
void aws_creds_provider_free(struct aws_creds_provider *p);

/* Scrub a copy of credentials. */
void aws_creds_wipe(struct aws_creds *c);

#endif
