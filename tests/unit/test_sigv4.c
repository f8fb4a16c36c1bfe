// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for SigV4 against the AWS signature test suite (https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html). */
#include <stdlib.h>

#include "check.h"
#include "net/aws/sigv4.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define DATE "20150830T123600Z"
#define CRED "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "

static const struct sigv4_scope scope = { DATE, "us-east-1", "service" };

static void check_sig(const char *name, const struct sigv4_request *r, const char *want)
{
	char auth[512];

	CHECK_INT(sigv4_authorization(r, &scope, AKID, SECRET, auth, sizeof(auth)), 0);
	if (strcmp(auth, want))
		fprintf(stderr, "%s:\n  got  %s\n  want %s\n", name, auth, want);
	CHECK_STR(auth, want);
}

/* Pinned: get-vanilla, post-vanilla, get-vanilla-query-order-key-case, get-header-value-trim
 * (whitespace rules), post-x-www-form-urlencoded variant (A) of the 2015 suite (no
 * content-length, no x-amz-content-sha256). */
static void test_suite(void)
{
	struct sigv4_header h[] = { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", DATE } };
	struct sigv4_request r = { "GET", "/", NULL, h, 2, NULL, 0 };
	char *creq;

	creq = sigv4_canonical_request(&r);
	CHECK_STR(creq, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
			"host;x-amz-date\n"
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	free(creq);
	check_sig("get-vanilla", &r,
		  CRED "SignedHeaders=host;x-amz-date, Signature="
		       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");

	r.method = "POST";
	check_sig("post-vanilla", &r,
		  CRED "SignedHeaders=host;x-amz-date, Signature="
		       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");

	r.method = "GET";
	r.query = "Param2=value2&Param1=value1";
	check_sig("get-vanilla-query-order-key-case", &r,
		  CRED "SignedHeaders=host;x-amz-date, Signature="
		       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");

	{
		struct sigv4_header f[] = { { "Content-Type", "application/x-www-form-urlencoded" },
					    { "Host", "example.amazonaws.com" },
					    { "X-Amz-Date", DATE } };
		struct sigv4_request p = { "POST", "/", NULL, f, 3, "Param1=value1", 13 };

		check_sig("post-x-www-form-urlencoded (A)", &p,
			  CRED "SignedHeaders=content-type;host;x-amz-date, Signature="
			       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
	}
	{
		/* get-header-value-trim: leading/trailing spaces go, inner runs become one. */
		struct sigv4_header t[] = { { "Host", "example.amazonaws.com" },
					    { "My-Header1", " value1" },
					    { "My-Header2", " \"a   b   c\"" },
					    { "X-Amz-Date", DATE } };
		struct sigv4_request g = { "GET", "/", NULL, t, 4, NULL, 0 };

		creq = sigv4_canonical_request(&g);
		CHECK(creq && strstr(creq, "\nmy-header1:value1\nmy-header2:\"a b c\"\n"));
		free(creq);
		check_sig("get-header-value-trim", &g,
			  CRED "SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature="
			       "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
	}
	{
		/* get-header-value-order: repeated headers join with ',' in their given order. */
		struct sigv4_header o[] = { { "Host", "example.amazonaws.com" },
					    { "My-Header1", "value4" },
					    { "My-Header1", "value1" },
					    { "My-Header1", "value3" },
					    { "My-Header1", "value2" },
					    { "X-Amz-Date", DATE } };
		struct sigv4_request g = { "GET", "/", NULL, o, 6, NULL, 0 };

		creq = sigv4_canonical_request(&g);
		CHECK(creq && strstr(creq, "\nmy-header1:value4,value1,value3,value2\n"));
		free(creq);
		check_sig("get-header-value-order", &g,
			  CRED "SignedHeaders=host;my-header1;x-amz-date, Signature="
			       "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01");
	}
	{
		struct sigv4_header s[] = { { "Host", "example.amazonaws.com" },
					    { "X-Amz-Date", DATE } };
		struct sigv4_request g = { "GET", "/example space/", NULL, s, 2, NULL, 0 };

		creq = sigv4_canonical_request(&g);
		CHECK(creq && strncmp(creq, "GET\n/example%20space/\n", 22) == 0);
		free(creq);
	}
}

/* A PutTraceSegments request with a session token, as botocore 1.43 signs it (recomputed
 * with botocore.auth.SigV4Auth at the suite's time). */
static void test_xray_with_token(void)
{
	static const char body[] = "{\"TraceSegmentDocuments\":[\"{}\"]}";
	struct sigv4_header h[] = { { "Content-Type", "application/json" },
				    { "Host", "xray.us-east-1.amazonaws.com" },
				    { "X-Amz-Date", DATE },
				    { "X-Amz-Security-Token", "FQoGZXIvYXdzEXAMPLETOKEN" } };
	struct sigv4_request r = { "POST", "/TraceSegments", NULL, h, 4, body, sizeof(body) - 1 };
	struct sigv4_scope sc = { DATE, "us-east-1", "xray" };
	char auth[512];

	CHECK_INT(sigv4_authorization(&r, &sc, AKID, SECRET, auth, sizeof(auth)), 0);
	CHECK_STR(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/xray/"
			"aws4_request, SignedHeaders=content-type;host;x-amz-date;"
			"x-amz-security-token, Signature="
			"bc49bb425837be695c6a93942563a55d74af06eaab7af08bf5cfdb0c18ea8b5a");
	CHECK_INT(sigv4_authorization(&r, &sc, AKID, SECRET, auth, 40), -1);
}

static void test_helpers(void)
{
	char key[65], d[17], h[65];

	sigv4_signing_key_hex(SECRET, &scope, key);
	CHECK_STR(key, "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75");
	sigv4_amz_date(1440938160, d);
	CHECK_STR(d, DATE);
	sigv4_sha256_hex("", 0, h);
	CHECK_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

int main(void)
{
	test_suite();
	test_xray_with_token();
	test_helpers();
	return check_summary("sigv4");
}
