// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for tracectx.c: traceparent and X-Ray parsing, id generation, hex. */
#include "check.h"
#include "span/tracectx.h"

#include <stdlib.h>
#include <time.h>

#define TID "4bf92f3577b34da6a3ce929d0e0e4736"
#define PID "00f067aa0ba902b7"
#define ROOT "1-5759e988-bd862e3fe1be46a994272793"
#define ROOT_HEX "5759e988bd862e3fe1be46a994272793"
#define PARENT "53995c3f42cd8ad8"

/* Each value is parsed from an exact-size heap copy with no NUL after it, so ASan reports any
 * read past len. */
static int tp_len(const char *s, size_t len, struct trace_ctx *c)
{
	char *buf = malloc(len ? len : 1);
	int r;

	memcpy(buf, s, len);
	r = tracectx_parse_traceparent(buf, len, c);
	free(buf);
	return r;
}

static int tp(const char *s, struct trace_ctx *c)
{
	return tp_len(s, strlen(s), c);
}

static int xr(const char *s, struct trace_ctx *c)
{
	size_t len = strlen(s);
	char *buf = malloc(len ? len : 1);
	int r;

	memcpy(buf, s, len);
	r = tracectx_parse_xray(buf, len, c);
	free(buf);
	return r;
}

static const char *hex16(const uint8_t id[16])
{
	static char s[33];

	tracectx_hex(id, 16, s);
	return s;
}

static const char *hex8(const uint8_t id[8])
{
	static char s[17];

	tracectx_hex(id, 8, s);
	return s;
}

static void test_traceparent_valid(void)
{
	struct trace_ctx c;

	memset(&c, 0xaa, sizeof(c));
	CHECK_INT(tp("00-" TID "-" PID "-01", &c), 0);
	CHECK_STR(hex16(c.trace_id), TID);
	CHECK_STR(hex8(c.parent_id), PID);
	CHECK_INT(c.has_parent, 1);
	CHECK_INT(c.sampled, 1);

	CHECK_INT(tp("00-" TID "-" PID "-00", &c), 0);
	CHECK_INT(c.sampled, 0);
	/* Only bit 0 means sampled; other flag bits neither set nor clear it. */
	CHECK_INT(tp("00-" TID "-" PID "-03", &c), 0);
	CHECK_INT(c.sampled, 1);
	CHECK_INT(tp("00-" TID "-" PID "-02", &c), 0);
	CHECK_INT(c.sampled, 0);
	CHECK_INT(tp("00-" TID "-" PID "-ff", &c), 0);
	CHECK_INT(c.sampled, 1);

	/* Every nibble value decodes to the right byte. */
	CHECK_INT(tp("00-0123456789abcdeffedcba9876543210-0123456789abcdef-01", &c), 0);
	CHECK_INT(c.trace_id[0], 0x01);
	CHECK_INT(c.trace_id[7], 0xef);
	CHECK_INT(c.trace_id[8], 0xfe);
	CHECK_INT(c.trace_id[15], 0x10);
	CHECK_INT(c.parent_id[0], 0x01);
	CHECK_INT(c.parent_id[7], 0xef);

	/* A single non-zero byte anywhere makes an id valid. */
	CHECK_INT(tp("00-00000000000000000000000000000001-0000000000000001-01", &c), 0);
	CHECK_INT(tp("00-10000000000000000000000000000000-1000000000000000-01", &c), 0);

	/* Surrounding OWS is tolerated. */
	CHECK_INT(tp("  00-" TID "-" PID "-01", &c), 0);
	CHECK_INT(tp("00-" TID "-" PID "-01 \t", &c), 0);
	CHECK_INT(tp("\t00-" TID "-" PID "-00\t", &c), 0);
	CHECK_INT(c.sampled, 0);
	CHECK_STR(hex16(c.trace_id), TID);

	/* len, not the NUL, ends the value. */
	CHECK_INT(tp_len("00-" TID "-" PID "-01garbage", 55, &c), 0);
	CHECK_INT(tp_len("00-" TID "-" PID "-01", 54, &c), -1);
}

static void test_traceparent_invalid(void)
{
	struct trace_ctx c, before;

	memset(&c, 0x5a, sizeof(c));
	before = c;

	/* Uppercase hex anywhere. */
	CHECK_INT(tp("00-4BF92F3577B34DA6A3CE929D0E0E4736-" PID "-01", &c), -1);
	CHECK_INT(tp("00-4bf92f3577b34da6a3ce929d0e0e473A-" PID "-01", &c), -1);
	CHECK_INT(tp("00-" TID "-00F067AA0BA902B7-01", &c), -1);
	CHECK_INT(tp("00-" TID "-" PID "-0A", &c), -1);
	CHECK_INT(tp("0A-" TID "-" PID "-01", &c), -1);
	/* Version ff is forbidden. */
	CHECK_INT(tp("ff-" TID "-" PID "-01", &c), -1);
	CHECK_INT(tp("ff-" TID "-" PID "-01-extra", &c), -1);
	/* All-zero ids. */
	CHECK_INT(tp("00-00000000000000000000000000000000-" PID "-01", &c), -1);
	CHECK_INT(tp("00-" TID "-0000000000000000-01", &c), -1);
	/* Short fields. */
	CHECK_INT(tp("00-4bf92f3577b34da6a3ce929d0e0e473-" PID "-01", &c), -1);
	CHECK_INT(tp("00-" TID "-00f067aa0ba902b-01", &c), -1);
	CHECK_INT(tp("00-" TID "-" PID "-1", &c), -1);
	CHECK_INT(tp("0-" TID "-" PID "-01", &c), -1);
	/* Long fields keep the length at 55 or more but move the separators. */
	CHECK_INT(tp("00-" TID "0-" PID "-01", &c), -1);
	CHECK_INT(tp("00-" TID "-" PID "0-01", &c), -1);
	CHECK_INT(tp("000-" TID "-" PID "-01", &c), -1);
	/* Trailing data is not allowed for version 00. */
	CHECK_INT(tp("00-" TID "-" PID "-01.", &c), -1);
	CHECK_INT(tp("00-" TID "-" PID "-01-", &c), -1);
	CHECK_INT(tp("00-" TID "-" PID "-01-extra", &c), -1);
	CHECK_INT(tp("00-" TID "-" PID "-010", &c), -1);
	/* Bad separators. */
	CHECK_INT(tp("00_" TID "-" PID "-01", &c), -1);
	CHECK_INT(tp("00-" TID "_" PID "-01", &c), -1);
	CHECK_INT(tp("00-" TID "-" PID "_01", &c), -1);
	CHECK_INT(tp("00 " TID " " PID " 01", &c), -1);
	/* Non-hex. */
	CHECK_INT(tp("00-" TID "-" PID "-0g", &c), -1);
	CHECK_INT(tp("00-" TID "-" PID "-zz", &c), -1);
	CHECK_INT(tp("00-" TID "-" PID "- 1", &c), -1);
	CHECK_INT(tp("00-4bf92f3577b34da6a3ce929d0e0e473g-" PID "-01", &c), -1);
	CHECK_INT(tp("00-" TID "-00f067aa0ba902b x-01", &c), -1);
	CHECK_INT(tp("0g-" TID "-" PID "-01", &c), -1);
	CHECK_INT(tp("-0-" TID "-" PID "-01", &c), -1);
	/* OWS inside the value is not OWS. */
	CHECK_INT(tp("00- " TID "-" PID "-01", &c), -1);
	/* Empty and blank. */
	CHECK_INT(tp("", &c), -1);
	CHECK_INT(tp("   ", &c), -1);
	CHECK_INT(tracectx_parse_traceparent(NULL, 0, &c), -1);

	/* A rejected header leaves *out alone. */
	CHECK(memcmp(&c, &before, sizeof(c)) == 0);
}

static void test_traceparent_future_version(void)
{
	struct trace_ctx c;

	/* A later version is read by its 00-compatible prefix... */
	CHECK_INT(tp("cc-" TID "-" PID "-01-what-the-future-will-be-like", &c), 0);
	CHECK_STR(hex16(c.trace_id), TID);
	CHECK_STR(hex8(c.parent_id), PID);
	CHECK_INT(c.sampled, 1);
	CHECK_INT(tp("01-" TID "-" PID "-00", &c), 0);
	CHECK_INT(c.sampled, 0);
	CHECK_INT(tp("fe-" TID "-" PID "-01-", &c), 0);
	/* ...but fields after the flags must still be '-'-separated, */
	CHECK_INT(tp("cc-" TID "-" PID "-01.what-the-future", &c), -1);
	CHECK_INT(tp("cc-" TID "-" PID "-010", &c), -1);
	/* and the prefix rules still apply. */
	CHECK_INT(tp("cc-" TID "-" PID "-0", &c), -1);
	CHECK_INT(tp("cc-4BF92F3577B34DA6A3CE929D0E0E4736-" PID "-01-x", &c), -1);
	CHECK_INT(tp("cc-00000000000000000000000000000000-" PID "-01-x", &c), -1);
	CHECK_INT(tp("cc-" TID "-0000000000000000-01-x", &c), -1);
	CHECK_INT(tp("cC-" TID "-" PID "-01", &c), -1);
}

static void test_xray(void)
{
	struct trace_ctx c, before;

	memset(&c, 0x77, sizeof(c));
	CHECK_INT(xr("Root=" ROOT ";Parent=" PARENT ";Sampled=1", &c), 0);
	CHECK_STR(hex16(c.trace_id), ROOT_HEX);
	CHECK_STR(hex8(c.parent_id), PARENT);
	CHECK_INT(c.has_parent, 1);
	CHECK_INT(c.sampled, 1);

	/* Fields in any order. */
	memset(&c, 0x77, sizeof(c));
	CHECK_INT(xr("Sampled=0;Parent=" PARENT ";Root=" ROOT, &c), 0);
	CHECK_STR(hex16(c.trace_id), ROOT_HEX);
	CHECK_STR(hex8(c.parent_id), PARENT);
	CHECK_INT(c.has_parent, 1);
	CHECK_INT(c.sampled, 0);
	CHECK_INT(xr("Parent=" PARENT ";Root=" ROOT ";Sampled=1", &c), 0);
	CHECK_STR(hex16(c.trace_id), ROOT_HEX);
	CHECK_INT(c.sampled, 1);

	/* Lineage, Self and CalledFrom are ignored; Self looks like a Root but is not one. */
	CHECK_INT(xr("Self=1-aaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbb;Root=" ROOT ";Parent=" PARENT
		     ";Sampled=1;Lineage=a87bd80c:1|68fd508a:5;CalledFrom=Foo",
		     &c),
		  0);
	CHECK_STR(hex16(c.trace_id), ROOT_HEX);
	CHECK_STR(hex8(c.parent_id), PARENT);
	CHECK_INT(c.sampled, 1);
	CHECK_INT(xr("Root=" ROOT ";Self=1-aaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbb", &c), 0);
	CHECK_STR(hex16(c.trace_id), ROOT_HEX);
	CHECK_INT(xr("Self=1-aaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbb;Parent=" PARENT, &c), -1);
	/* Keys match whole, not by prefix or suffix. */
	CHECK_INT(xr("XRoot=" ROOT, &c), -1);
	CHECK_INT(xr("Rooted=" ROOT, &c), -1);
	CHECK_INT(xr("Root=" ROOT ";Parents=" PARENT ";Sampledx=1", &c), 0);
	CHECK_INT(c.has_parent, 0);
	CHECK_INT(c.sampled, -1);

	/* Root alone: no parent, no sampling decision. */
	memset(&c, 0x77, sizeof(c));
	CHECK_INT(xr("Root=" ROOT, &c), 0);
	CHECK_STR(hex16(c.trace_id), ROOT_HEX);
	CHECK_INT(c.has_parent, 0);
	CHECK_INT(c.sampled, -1);

	/* Sampled values. */
	CHECK_INT(xr("Root=" ROOT ";Sampled=1", &c), 0);
	CHECK_INT(c.sampled, 1);
	CHECK_INT(xr("Root=" ROOT ";Sampled=0", &c), 0);
	CHECK_INT(c.sampled, 0);
	CHECK_INT(xr("Root=" ROOT ";Sampled=?", &c), 0);
	CHECK_INT(c.sampled, -1);
	CHECK_INT(xr("Root=" ROOT ";Sampled=", &c), 0);
	CHECK_INT(c.sampled, -1);
	CHECK_INT(xr("Root=" ROOT ";Sampled=2", &c), 0);
	CHECK_INT(c.sampled, -1);
	CHECK_INT(xr("Root=" ROOT ";Sampled=10", &c), 0);
	CHECK_INT(c.sampled, -1);

	/* Spaces around pairs, keys and values. */
	memset(&c, 0x77, sizeof(c));
	CHECK_INT(xr(" Root = " ROOT " ; Parent= " PARENT " ;\tSampled =1 ", &c), 0);
	CHECK_STR(hex16(c.trace_id), ROOT_HEX);
	CHECK_STR(hex8(c.parent_id), PARENT);
	CHECK_INT(c.has_parent, 1);
	CHECK_INT(c.sampled, 1);
	/* Empty pairs and a trailing ';' are harmless. */
	CHECK_INT(xr(";;Root=" ROOT ";;Sampled=0;", &c), 0);
	CHECK_INT(c.sampled, 0);

	/* X-Ray ids may come in either case; the bytes are what counts. */
	CHECK_INT(xr("Root=1-5759E988-BD862E3FE1BE46A994272793;Parent=53995C3F42CD8AD8", &c), 0);
	CHECK_STR(hex16(c.trace_id), ROOT_HEX);
	CHECK_STR(hex8(c.parent_id), PARENT);
	CHECK_INT(c.has_parent, 1);

	/* A bad Parent is dropped but the Root is kept. */
	memset(&c, 0x77, sizeof(c));
	CHECK_INT(xr("Root=" ROOT ";Parent=xyz;Sampled=1", &c), 0);
	CHECK_STR(hex16(c.trace_id), ROOT_HEX);
	CHECK_INT(c.has_parent, 0);
	CHECK_INT(c.sampled, 1);
	CHECK_INT(xr("Root=" ROOT ";Parent=53995c3f42cd8ad", &c), 0);
	CHECK_INT(c.has_parent, 0);
	CHECK_INT(xr("Root=" ROOT ";Parent=53995c3f42cd8ad8a", &c), 0);
	CHECK_INT(c.has_parent, 0);
	CHECK_INT(xr("Root=" ROOT ";Parent=53995c3f42cd8adg", &c), 0);
	CHECK_INT(c.has_parent, 0);
	CHECK_INT(xr("Root=" ROOT ";Parent=0000000000000000", &c), 0);
	CHECK_INT(c.has_parent, 0);

	/* Missing or malformed Root rejects the header and leaves *out alone. */
	memset(&c, 0x33, sizeof(c));
	before = c;
	CHECK_INT(xr("Parent=" PARENT ";Sampled=1", &c), -1);
	CHECK_INT(xr("", &c), -1);
	CHECK_INT(xr(";;", &c), -1);
	CHECK_INT(xr("Root", &c), -1);
	CHECK_INT(xr("Root=", &c), -1);
	CHECK_INT(xr(ROOT, &c), -1);
	CHECK_INT(xr("Root=1-5759e988-bd862e3fe1be46a99427279", &c), -1);
	CHECK_INT(xr("Root=1-5759e988-bd862e3fe1be46a9942727930", &c), -1);
	CHECK_INT(xr("Root=1-5759e98-bd862e3fe1be46a9942727930", &c), -1);
	CHECK_INT(xr("Root=1-5759e9888-bd862e3fe1be46a99427279", &c), -1);
	CHECK_INT(xr("Root=2-5759e988-bd862e3fe1be46a994272793", &c), -1);
	CHECK_INT(xr("Root=1_5759e988-bd862e3fe1be46a994272793", &c), -1);
	CHECK_INT(xr("Root=1-5759e988_bd862e3fe1be46a994272793", &c), -1);
	CHECK_INT(xr("Root=1-5759e98g-bd862e3fe1be46a994272793", &c), -1);
	CHECK_INT(xr("Root=1-5759e988-bd862e3fe1be46a99427279z", &c), -1);
	CHECK_INT(xr("Root=1-00000000-000000000000000000000000", &c), -1);
	CHECK_INT(tracectx_parse_xray(NULL, 0, &c), -1);
	CHECK(memcmp(&c, &before, sizeof(c)) == 0);

	/* len, not the NUL, ends the value. */
	{
		const char *s = "Root=" ROOT ";Sampled=1";

		CHECK_INT(tracectx_parse_xray(s, 5 + 35, &c), 0);
		CHECK_INT(c.sampled, -1);
		CHECK_INT(tracectx_parse_xray(s, 5 + 34, &c), -1);
	}
}

static int is_lower_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

static void test_hex(void)
{
	const uint8_t b[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff };
	char out[2 * sizeof(b) + 2];

	memset(out, 'X', sizeof(out));
	tracectx_hex(b, sizeof(b), out);
	CHECK_STR(out, "00017f80abcdefff");
	/* Exactly 2n+1 bytes are written. */
	CHECK_INT(out[2 * sizeof(b) + 1], 'X');

	memset(out, 'X', sizeof(out));
	tracectx_hex(b, 0, out);
	CHECK_STR(out, "");
	CHECK_INT(out[1], 'X');

	tracectx_hex(b + 4, 1, out);
	CHECK_STR(out, "ab");
}

static void test_ids(void)
{
	uint8_t a[16], b[16], s[8], prev[8] = { 0 };
	uint32_t now = (uint32_t)time(NULL);
	int zero_span = 0, repeat_span = 0, trace_same = 0;
	unsigned set_or[8] = { 0 }, set_and[8], tset_or[16] = { 0 }, tset_and[16];
	char hex[33], header[64];
	struct trace_ctx c;

	tracectx_new_trace_id(a, 0x5759e988u);
	CHECK_INT(a[0], 0x57);
	CHECK_INT(a[1], 0x59);
	CHECK_INT(a[2], 0xe9);
	CHECK_INT(a[3], 0x88);
	tracectx_new_trace_id(b, 0x5759e988u);
	CHECK(memcmp(a, b, 4) == 0);
	CHECK(memcmp(a + 4, b + 4, 12) != 0);

	tracectx_new_trace_id(a, now);
	CHECK_INT(((uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3]), now);
	tracectx_hex(a, 16, hex);
	CHECK_INT(strlen(hex), 32);
	CHECK(is_lower_hex(hex));

	/* A zero epoch still never gives the all-zero (invalid) trace id. */
	tracectx_new_trace_id(a, 0);
	CHECK_INT(a[0] | a[1] | a[2] | a[3], 0);
	CHECK(memcmp(a, (uint8_t[16]){ 0 }, 16) != 0);

	/* Every random byte of the trace id varies, none is left constant. */
	memset(tset_and, 0xff, sizeof(tset_and));
	for (int i = 0; i < 2000; i++) {
		tracectx_new_trace_id(a, 0x01020304u);
		for (int j = 0; j < 16; j++) {
			tset_or[j] |= a[j];
			tset_and[j] &= a[j];
		}
		tracectx_new_trace_id(b, 0x01020304u);
		trace_same += memcmp(a, b, 16) == 0;
	}
	CHECK_INT(trace_same, 0);
	CHECK_INT(tset_or[0], 0x01);
	CHECK_INT(tset_and[3], 0x04);
	for (int j = 4; j < 16; j++) {
		CHECK_INT(tset_or[j], 0xff);
		CHECK_INT(tset_and[j], 0);
	}

	/* Span ids: never zero, no immediate repeats, and every bit takes both values. */
	memset(set_and, 0xff, sizeof(set_and));
	for (int i = 0; i < 200000; i++) {
		tracectx_new_span_id(s);
		zero_span += memcmp(s, (uint8_t[8]){ 0 }, 8) == 0;
		repeat_span += memcmp(s, prev, 8) == 0;
		memcpy(prev, s, 8);
		for (int j = 0; j < 8; j++) {
			set_or[j] |= s[j];
			set_and[j] &= s[j];
		}
	}
	CHECK_INT(zero_span, 0);
	CHECK_INT(repeat_span, 0);
	for (int j = 0; j < 8; j++) {
		CHECK_INT(set_or[j], 0xff);
		CHECK_INT(set_and[j], 0);
	}

	/* New ids survive a round trip through a traceparent header. */
	tracectx_new_trace_id(a, now);
	tracectx_new_span_id(s);
	strcpy(header, "00-");
	tracectx_hex(a, 16, header + 3);
	strcat(header, "-");
	tracectx_hex(s, 8, header + 36);
	strcat(header, "-01");
	CHECK_INT(strlen(header), 55);
	CHECK_INT(tp(header, &c), 0);
	CHECK(memcmp(c.trace_id, a, 16) == 0);
	CHECK(memcmp(c.parent_id, s, 8) == 0);
}

int main(void)
{
	test_traceparent_valid();
	test_traceparent_invalid();
	test_traceparent_future_version();
	test_xray();
	test_hex();
	test_ids();
	return check_summary("tracectx");
}
