// SPDX-License-Identifier: BSD-2-Clause
/* Python traceback parser against real interpreter output (fixtures), cut, mutated and fuzzed. */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proto/pytraceback.h"

#define FIXTURE_DIR "tests/unit/fixtures/tracebacks/"
#define APP "/tmp/pyspan-tb/app.py"

/* Every call gets an exact-size heap copy without a trailing NUL, so ASan sees any read
 * past len. */
static size_t parse(const char *s, size_t n, struct pytb_report *r)
{
	char *b = malloc(n ? n : 1);
	size_t off;

	memcpy(b, s, n);
	off = pytb_parse_last(b, n, r);
	free(b);
	return off;
}

static int incomplete(const char *s, size_t n)
{
	char *b = malloc(n ? n : 1);
	int v;

	memcpy(b, s, n);
	v = pytb_incomplete(b, n);
	free(b);
	return v;
}

static size_t parse_str(const char *s, struct pytb_report *r)
{
	return parse(s, strlen(s), r);
}

/* The fixture's bytes NUL-terminated for convenience (the NUL is never passed to the parser);
 * NULL when the file is missing, which fails the test rather than skipping it. */
static char *load(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	char *b;
	long n;

	snprintf(path, sizeof(path), FIXTURE_DIR "%s", name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "missing fixture %s (run the tests from the repo root)\n", path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	if (fread(b, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	b[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* Structural invariants any parse result must keep, whatever the input. */
static int report_sane(const struct pytb_report *r)
{
	int i, j;

	if (r->nchain < 0 || r->nchain > PYTB_MAX_CHAIN || r->chain_omitted < 0)
		return 0;
	for (i = 0; i < PYTB_MAX_CHAIN; i++) {
		const struct pytb_exception *e = &r->chain[i];

		if (e->nframes < 0 || e->nframes > PYTB_MAX_FRAMES || e->frames_omitted < 0 ||
		    e->group_size < 0 || (unsigned)e->link > PYTB_LINK_CONTEXT)
			return 0;
		if (!memchr(e->type, 0, sizeof(e->type)) ||
		    !memchr(e->message, 0, sizeof(e->message)))
			return 0;
		for (j = 0; j < PYTB_MAX_FRAMES; j++)
			if (!memchr(e->frames[j].file, 0, sizeof(e->frames[j].file)) ||
			    !memchr(e->frames[j].function, 0, sizeof(e->frames[j].function)))
				return 0;
		if (i < r->nchain && e->type[0] == '\0')
			return 0;
	}
	return 1;
}

/* ---- fixtures ------------------------------------------------------------------------ */

struct want_exc {
	const char *type;
	const char *message; /* NULL: the long message, checked on its own */
	int nframes;
	int omitted;
	const char *file; /* innermost frame; NULL when the exception has no frames */
	int line;
	const char *func;
	enum pytb_link link;
	int group; /* sub-exceptions of a group, 0 for a plain exception */
};

struct want {
	const char *name;
	int min, max;      /* interpreter versions, major * 100 + minor */
	const char *after; /* fixture text after the report, if any */
	int nchain;
	int chain_omitted;
	struct want_exc exc[PYTB_MAX_CHAIN];
};

#define PY3 300, 399
#define PY311 311, 399
#define ALL 207, 399

static const struct want wants[] = {
	{ "builtin", ALL, NULL, 1, 0,
	  { { "KeyError", "'missing'", 4, 0, APP, 10, "inner", PYTB_LINK_NONE, 0 } } },
	{ "custom", ALL, NULL, 1, 0,
	  { { "demo_errors.ActivityStoreError", "activity 42 not found", 3, 0, APP, 5,
	      "save_activity", PYTB_LINK_NONE, 0 } } },
	{ "cause", PY3, NULL, 2, 0,
	  { { "ValueError", "invalid literal for int() with base 10: 'abc'", 1, 0, APP, 3,
	      "parse_port", PYTB_LINK_NONE, 0 },
	    { "RuntimeError", "bad port setting", 2, 0, APP, 5, "parse_port", PYTB_LINK_CAUSE,
	      0 } } },
	{ "cause-unraised", PY3, NULL, 2, 0,
	  { { "OSError", "[Errno 5] disk gone", 0, 0, NULL, 0, NULL, PYTB_LINK_NONE, 0 },
	    { "RuntimeError", "write failed", 2, 0, APP, 2, "write_block", PYTB_LINK_CAUSE,
	      0 } } },
	{ "context", PY3, NULL, 2, 0,
	  { { "KeyError", "'user:1'", 1, 0, APP, 7, "load", PYTB_LINK_NONE, 0 },
	    { "ConnectionError", "store unreachable: user:1", 3, 0, APP, 2, "fetch",
	      PYTB_LINK_CONTEXT, 0 } } },
	{ "longchain", PY3, NULL, 4, 2,
	  { { "ValueError", "step 2", 2, 0, APP, 7, "step", PYTB_LINK_CONTEXT, 0 },
	    { "ValueError", "step 3", 2, 0, APP, 7, "step", PYTB_LINK_CONTEXT, 0 },
	    { "ValueError", "step 4", 2, 0, APP, 7, "step", PYTB_LINK_CONTEXT, 0 },
	    { "ValueError", "step 5", 2, 0, APP, 7, "step", PYTB_LINK_CONTEXT, 0 } } },
	{ "syntax", ALL, NULL, 1, 0,
	  { { "SyntaxError", "invalid syntax", 3, 0, "config.py", 2, "", PYTB_LINK_NONE,
	      0 } } },
	{ "syntax-direct", ALL, NULL, 1, 0,
	  { { "SyntaxError", "invalid syntax", 1, 0, APP, 3, "", PYTB_LINK_NONE, 0 } } },
	{ "recursion", PY3, NULL, 1, 0,
	  { { "RecursionError", "maximum recursion depth exceeded", 5, 995, APP, 2, "countdown",
	      PYTB_LINK_NONE, 0 } } },
	/* 2.7 prints all 1000 frames: only the bound trims them */
	{ "recursion", 207, 207, NULL, 1, 0,
	  { { "RuntimeError", "maximum recursion depth exceeded", 32, 968, APP, 2, "countdown",
	      PYTB_LINK_NONE, 0 } } },
	{ "deep", ALL, NULL, 1, 0,
	  { { "ValueError", "deep", 32, 8, "/tmp/pyspan-tb/chain.py", 78, "f38", PYTB_LINK_NONE,
	      0 } } },
	{ "multiline", ALL, NULL, 1, 0,
	  { { "ValueError", "invalid config:\n  missing key 'db'\n  bad port 'abc'", 2, 0, APP,
	      2, "parse_config", PYTB_LINK_NONE, 0 } } },
	{ "longmsg", ALL, NULL, 1, 0,
	  { { "ValueError", NULL, 2, 0, APP, 2, "report", PYTB_LINK_NONE, 0 } } },
	{ "bare", ALL, NULL, 1, 0,
	  { { "KeyboardInterrupt", "", 2, 0, APP, 2, "serve", PYTB_LINK_NONE, 0 } } },
	{ "logprefix", 300, 399,
	  "127.0.0.1 - - [25/Nov/2026 10:00:00] \"GET /api/fail HTTP/1.1\" 500 -\n", 1, 0,
	  { { "demo_errors.ActivityStoreError", "activity 42 not found", 4, 0, APP, 39, "fail",
	      PYTB_LINK_NONE, 0 } } },
	/* 2.7's traceback module prints the class name without its module */
	{ "logprefix", 207, 207,
	  "127.0.0.1 - - [25/Nov/2026 10:00:00] \"GET /api/fail HTTP/1.1\" 500 -\n", 1, 0,
	  { { "ActivityStoreError", "activity 42 not found", 4, 0, APP, 39, "fail",
	      PYTB_LINK_NONE, 0 } } },
	{ "group", PY311, NULL, 1, 0,
	  { { "ExceptionGroup", "many (2 sub-exceptions)", 2, 0, APP, 16, "validate",
	      PYTB_LINK_NONE, 2 } } },
	{ "group-nested", PY311, NULL, 2, 0,
	  { { "KeyError", "'session'", 1, 0, APP, 23, "validate", PYTB_LINK_NONE, 0 },
	    { "ExceptionGroup", "outer (2 sub-exceptions)", 2, 0, APP, 25, "validate",
	      PYTB_LINK_CONTEXT, 2 } } },
	{ "group-wide", PY311, NULL, 1, 0,
	  { { "ExceptionGroup", "wide (17 sub-exceptions)", 2, 0, APP, 2, "check_all",
	      PYTB_LINK_NONE, 17 } } },
	{ "markers", PY311, NULL, 1, 0,
	  { { "TypeError", "unsupported operand type(s) for +: 'int' and 'str'", 3, 0, APP, 6,
	      "total", PYTB_LINK_NONE, 0 } } },
};

static const struct {
	const char *label;
	int code;
} versions[] = { { "2.7", 207 },  { "3.8", 308 },  { "3.9", 309 },  { "3.10", 310 },
		 { "3.11", 311 }, { "3.12", 312 }, { "3.13", 313 } };

#define NVERSIONS (int)(sizeof(versions) / sizeof(versions[0]))
#define NWANTS (int)(sizeof(wants) / sizeof(wants[0]))

/* The long message is "row " + 1992 x's + " end": 2000 characters, cut to the bound. */
static void check_long_message(const struct pytb_exception *e)
{
	char want[PYTB_MESSAGE_MAX];

	memset(want, 'x', sizeof(want));
	memcpy(want, "row ", 4);
	want[PYTB_MESSAGE_MAX - 1] = '\0';
	CHECK_STR(e->message, want);
	CHECK_INT(e->message_truncated, 1);
}

static void check_report(const char *what, const struct pytb_report *r, const struct want *w)
{
	int i, failed = check_failed;

	CHECK(report_sane(r));
	CHECK_INT(r->nchain, w->nchain);
	CHECK_INT(r->chain_omitted, w->chain_omitted);
	for (i = 0; i < w->nchain && i < r->nchain; i++) {
		const struct want_exc *x = &w->exc[i];
		const struct pytb_exception *e = &r->chain[i];

		CHECK_STR(e->type, x->type);
		if (x->message) {
			CHECK_STR(e->message, x->message);
			CHECK_INT(e->message_truncated, 0);
		} else {
			check_long_message(e);
		}
		CHECK_INT(e->nframes, x->nframes);
		CHECK_INT(e->frames_omitted, x->omitted);
		CHECK_INT(e->link, x->link);
		CHECK_INT(e->is_group, x->group > 0);
		CHECK_INT(e->group_size, x->group);
		if (x->file && e->nframes > 0) {
			const struct pytb_frame *f = &e->frames[e->nframes - 1];

			CHECK_STR(f->file, x->file);
			CHECK_INT(f->line, x->line);
			CHECK_STR(f->function, x->func);
		}
	}
	if (check_failed != failed)
		fprintf(stderr, "  (while checking %s)\n", what);
}

/* Where the text first becomes recognizable as a traceback: its header after any log lines,
 * or for a chain opening with a never-raised cause (a bare "OSError: ..." line, which could as
 * well be a log line) the separator after it. */
static size_t report_start(const char *s, size_t n)
{
	const char *t = strstr(s, "Traceback (most recent call last):");

	if (strncmp(s, "OSError", 7) == 0)
		t = strstr(s, "The above exception");
	if (!t || strncmp(s, "  ", 2) == 0)
		return 0;
	return (size_t)(t - s);
}

/* Every prefix: never past its own length, never mid-line, never a crash; inside the report
 * the caller is always told to keep the bytes (incomplete) or handed a provisional report, and
 * for a single exception with a one-line message it is always the former. The last complete
 * prefix yields exactly the full result. */
static void check_prefixes(const char *name, const char *s, size_t n, size_t end,
			   const struct pytb_report *full, int single)
{
	size_t start = report_start(s, n), k;
	int bad_off = 0, bad_keep = 0, bad_single = 0, bad_sane = 0;
	struct pytb_report r;

	for (k = 0; k <= n; k++) {
		size_t off;
		int inc;

		/* Behaviour changes at line breaks, where every cut is tried; inside lines a
		 * sample keeps the run short. 2.7's 80 KB recursion fixture is only sampled. */
		if (n > 8192 ? (k % 97 != 0 && k + 200 < n)
			     : (k > 2 && k + 2 < n && k != end &&
				memchr(s + k - 2, '\n', 4) == NULL && k % 5 != 0))
			continue;
		off = parse(s, k, &r);
		inc = incomplete(s, k);

		if (off > k || (off > 0 && s[off - 1] != '\n'))
			bad_off++;
		if (!report_sane(&r))
			bad_sane++;
		if (k > start && k < end && !inc && off == 0)
			bad_keep++;
		if (single && k > start && k < end && (!inc || off != 0))
			bad_single++;
		if (k == end && (off != end || memcmp(&r, full, sizeof(r)) != 0))
			bad_off++;
	}
	CHECK_INT(bad_off, 0);
	CHECK_INT(bad_sane, 0);
	CHECK_INT(bad_keep, 0);
	CHECK_INT(bad_single, 0);
	if (bad_off || bad_sane || bad_keep || bad_single)
		fprintf(stderr, "  (prefixes of %s)\n", name);
}

/* The same text with \r\n line ends parses to the same report. */
static void check_crlf(const char *s, size_t n, size_t end, const struct pytb_report *full)
{
	char *c = malloc(2 * n + 1);
	size_t i, m = 0, cend = 0;
	struct pytb_report r;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			c[m++] = '\r';
		c[m++] = s[i];
		if (i + 1 == end)
			cend = m;
	}
	CHECK_INT(parse(c, m, &r), cend);
	CHECK(memcmp(&r, full, sizeof(r)) == 0);
	free(c);
}

/* A report after another one, with a log line between them: the later one wins, unchanged. */
static void check_after_other(const char *ver, const char *s, size_t n, size_t end,
			      const struct pytb_report *full)
{
	static const char between[] = "[2026-11-25 10:00:01,000] ERROR in app: Exception on "
				      "/api/other [GET]\n";
	char name[64];
	size_t blen, glen = strlen(between);
	char *b, *other;
	struct pytb_report r;

	snprintf(name, sizeof(name), "%s-builtin.txt", ver);
	other = load(name, &blen);
	CHECK(other != NULL);
	if (!other)
		return;
	b = malloc(blen + glen + n);
	memcpy(b, other, blen);
	memcpy(b + blen, between, glen);
	memcpy(b + blen + glen, s, n);
	CHECK_INT(parse(b, blen + glen + n, &r), blen + glen + end);
	CHECK(memcmp(&r, full, sizeof(r)) == 0);
	free(b);
	free(other);
}

static int tested_files;

static void test_fixture(const char *ver, const struct want *w)
{
	char name[96], what[128];
	size_t n, end, alen = w->after ? strlen(w->after) : 0;
	struct pytb_report r;
	char *s;
	int single = w->nchain == 1 && strchr(w->exc[0].message ? w->exc[0].message : "", '\n')
						== NULL;

	snprintf(name, sizeof(name), "%s-%s.txt", ver, w->name);
	s = load(name, &n);
	CHECK(s != NULL);
	if (!s)
		return;
	tested_files++;
	snprintf(what, sizeof(what), "fixture %s", name);
	end = n - alen;
	CHECK(w->after == NULL || (n >= alen && strcmp(s + end, w->after) == 0));
	CHECK_INT(parse(s, n, &r), end);
	check_report(what, &r, w);
	CHECK_INT(incomplete(s, n), 0);
	check_prefixes(name, s, n, end, &r, single);
	check_crlf(s, n, end, &r);
	check_after_other(ver, s, n, end, &r);
	free(s);
}

static void test_fixtures(void)
{
	int v, i, files = 0;
	DIR *d;
	struct dirent *de;

	for (v = 0; v < NVERSIONS; v++)
		for (i = 0; i < NWANTS; i++)
			if (versions[v].code >= wants[i].min && versions[v].code <= wants[i].max)
				test_fixture(versions[v].label, &wants[i]);
	/* Every fixture on disk has expectations: none is generated and then forgotten. */
	d = opendir(FIXTURE_DIR);
	CHECK(d != NULL);
	while (d && (de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".txt"))
			files++;
	if (d)
		closedir(d);
	CHECK_INT(files, tested_files);
	CHECK(tested_files >= 100);
}

/* The innermost 32 of 40 frames: f7 (the 9th frame printed) through f38. */
static void test_frame_bound(void)
{
	size_t n;
	char *s = load("3.12-deep.txt", &n);
	struct pytb_report r;
	const struct pytb_exception *e = &r.chain[0];

	CHECK(s != NULL);
	if (!s)
		return;
	parse(s, n, &r);
	CHECK_INT(e->nframes, 32);
	CHECK_INT(e->frames_omitted, 8);
	CHECK_STR(e->frames[0].function, "f7");
	CHECK_INT(e->frames[0].line, 16);
	CHECK_STR(e->frames[31].function, "f38");
	free(s);
}

/* ---- hand-made edge cases ------------------------------------------------------------ */

#define TB "Traceback (most recent call last):\n"
#define FRAME "  File \"/srv/app.py\", line 7, in handle\n    return run()\n"

static void test_two_reports(void)
{
	static const char two[] = "[2026-11-25 10:00:00,123] ERROR in app: Exception on /a [GET]\n"
		TB FRAME "KeyError: 'a'\n"
		"[2026-11-25 10:00:01,456] ERROR in app: Exception on /b [GET]\n"
		TB FRAME "psycopg2.errors.UniqueViolation: duplicate key value violates unique "
		"constraint \"users_pkey\"\nDETAIL:  Key (id)=(1) already exists.\n";
	struct pytb_report r;

	CHECK_INT(parse_str(two, &r), strlen(two));
	CHECK_INT(r.nchain, 1);
	CHECK_STR(r.chain[0].type, "psycopg2.errors.UniqueViolation");
	CHECK_STR(r.chain[0].message, "duplicate key value violates unique constraint "
		  "\"users_pkey\"\nDETAIL:  Key (id)=(1) already exists.");
	CHECK_INT(incomplete(two, strlen(two)), 0);
}

/* A complete report, then the start of another: the first is returned, and the caller is
 * told to keep buffering for the second. */
static void test_complete_then_partial(void)
{
	static const char s[] = TB FRAME "KeyError: 'a'\n" TB FRAME;
	struct pytb_report r;
	size_t first = strlen(TB FRAME "KeyError: 'a'\n");

	CHECK_INT(parse_str(s, &r), first);
	CHECK_STR(r.chain[0].type, "KeyError");
	CHECK_INT(incomplete(s, strlen(s)), 1);
	/* the exception line is there but its \n is not: maybe more of the message follows */
	CHECK_INT(parse_str(TB FRAME "KeyError: 'a'", &r), 0);
	CHECK_INT(incomplete(TB FRAME "KeyError: 'a'", strlen(TB FRAME "KeyError: 'a'")), 1);
	/* a separator promises another exception */
	static const char sep[] = TB FRAME "KeyError: 'a'\n\nDuring handling of the above "
				  "exception, another exception occurred:\n\n";
	CHECK_INT(parse_str(sep, &r), 0);
	CHECK_INT(incomplete(sep, strlen(sep)), 1);
}

static void test_incomplete_tail(void)
{
	CHECK_INT(incomplete("", 0), 0);
	CHECK_INT(incomplete("hello\n", 6), 0);
	CHECK_INT(incomplete("hello", 5), 0);
	CHECK_INT(incomplete("log\nTraceb", 10), 1);
	CHECK_INT(incomplete("log\nTraceback (most recent call last):", 38), 1);
	CHECK_INT(incomplete("log\n  + Exception Gr", 20), 1);
	CHECK_INT(incomplete("Traceback (most recent call last):\n", 35), 1);
	CHECK_INT(incomplete("Traceback (most recent call last):\nValueError\n", 46), 0);
	CHECK_INT(pytb_parse_last(NULL, 0, &(struct pytb_report){ 0 }), 0);
}

/* Lines after the exception that open the next log record do not join the message. */
static void test_message_stops(void)
{
	static const char *const next[] = {
		"[2026-11-25 10:00:00 +0000] [123] [INFO] Worker exiting (pid: 123)\n",
		"2026-11-25 10:00:00,123 ERROR request failed\n",
		"127.0.0.1 - - [25/Nov/2026 10:00:00] \"GET / HTTP/1.1\" 500 -\n",
		"INFO:werkzeug:127.0.0.1 - - \"GET / HTTP/1.1\" 500 -\n",
		"INFO:     127.0.0.1:51000 - \"GET / HTTP/1.1\" 500 Internal Server Error\n",
		"ERROR in app: Exception on /b [GET]\n",
		"{\"level\": \"error\", \"msg\": \"boom\"}\n",
		"time=2026-11-25T10:00:00Z level=error msg=boom\n",
		"<3>kernel style priority\n",
		"\n",
		TB,
		"  File \"/srv/x.py\", line 1, in f\n",
	};
	char buf[512];
	size_t i, head;
	struct pytb_report r;

	for (i = 0; i < sizeof(next) / sizeof(next[0]); i++) {
		head = (size_t)snprintf(buf, sizeof(buf), TB FRAME "ValueError: boom\n");
		snprintf(buf + head, sizeof(buf) - head, "%s", next[i]);
		CHECK_INT(parse_str(buf, &r), head);
		CHECK_STR(r.chain[0].message, "boom");
	}
	/* a continuation that looks like nothing else is part of the message */
	CHECK_INT(parse_str(TB FRAME "ValueError: boom\nmore detail\n", &r),
		  strlen(TB FRAME "ValueError: boom\nmore detail\n"));
	CHECK_STR(r.chain[0].message, "boom\nmore detail");
	/* "Type:" with nothing after it */
	CHECK(parse_str(TB FRAME "app.Fatal:\n", &r) > 0);
	CHECK_STR(r.chain[0].type, "app.Fatal");
	CHECK_STR(r.chain[0].message, "");
}

static void test_bounds(void)
{
	char buf[4096], longpath[400], longtype[300], utf8[1000];
	struct pytb_report r;
	size_t i;

	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	memset(longtype, 'T', sizeof(longtype) - 1);
	longtype[sizeof(longtype) - 1] = '\0';
	snprintf(buf, sizeof(buf), TB "  File \"%s\", line 99999999999, in f\n%s: x\n", longpath,
		 longtype);
	CHECK_INT(parse_str(buf, &r), strlen(buf));
	CHECK_INT(strlen(r.chain[0].frames[0].file), PYTB_FILE_MAX - 1);
	CHECK_INT(r.chain[0].frames[0].line, 2147483647);
	CHECK_INT(strlen(r.chain[0].type), PYTB_TYPE_MAX - 1);

	/* 2-byte characters: the cut lands on a character boundary, so 510 bytes, not 511 */
	for (i = 0; i + 2 < sizeof(utf8); i += 2)
		memcpy(utf8 + i, "\xc3\xa9", 2);
	utf8[i] = '\0';
	snprintf(buf, sizeof(buf), TB FRAME "ValueError: %s\n", utf8);
	CHECK(parse_str(buf, &r) > 0);
	CHECK_INT(strlen(r.chain[0].message), PYTB_MESSAGE_MAX - 2);
	CHECK_INT(r.chain[0].message_truncated, 1);

	/* repeat counts saturate instead of overflowing */
	snprintf(buf, sizeof(buf), TB FRAME "  [Previous line repeated 2147483647 more times]\n"
		 "  [Previous line repeated 99999999999 more times]\n"
		 "  [Previous line repeated 1 more time]\nRecursionError: deep\n");
	CHECK(parse_str(buf, &r) > 0);
	CHECK_INT(r.chain[0].frames_omitted, 2147483647);

	/* "line None" from 3.11+ when the line is unknown */
	CHECK(parse_str(TB "  File \"<frozen x>\", line None, in <module>\nKeyError: 1\n", &r) > 0);
	CHECK_INT(r.chain[0].nframes, 1);
	CHECK_INT(r.chain[0].frames[0].line, 0);
	CHECK_STR(r.chain[0].frames[0].function, "<module>");
}

/* A group that was never raised has no header: in a chain it is just its boxed lines. */
static void test_headerless_group(void)
{
	static const char s[] = "  | ExceptionGroup: batch (1 sub-exception)\n"
				"  +-+---------------- 1 ----------------\n"
				"    | ValueError: one\n"
				"    +------------------------------------\n"
				"\n"
				"The above exception was the direct cause of the following "
				"exception:\n\n" TB FRAME "RuntimeError: batch failed\n";
	static const char chained[] = TB FRAME "OSError: x\n\nDuring handling of the above "
				      "exception, another exception occurred:\n\n"
				      "  | ExceptionGroup: batch (1 sub-exception)\n"
				      "  +-+---------------- 1 ----------------\n"
				      "    | ValueError: one\n"
				      "    +------------------------------------\n";
	struct pytb_report r;

	/* as the first block nothing marks it as a traceback: the report starts at "Traceback" */
	CHECK_INT(parse_str(s, &r), strlen(s));
	CHECK_INT(r.nchain, 1);
	CHECK_STR(r.chain[0].type, "RuntimeError");
	CHECK_INT(parse_str(chained, &r), strlen(chained));
	CHECK_INT(r.nchain, 2);
	CHECK_INT(r.chain[1].is_group, 1);
	CHECK_INT(r.chain[1].group_size, 1);
	CHECK_INT(r.chain[1].link, PYTB_LINK_CONTEXT);
	CHECK_STR(r.chain[1].message, "batch (1 sub-exception)");
}

/* Text that only resembles a traceback yields nothing. */
static void test_malformed(void)
{
	static const char *const bad[] = {
		TB "\n" FRAME "ValueError: x\n",                  /* blank inside the frames */
		TB FRAME "this is not an exception line\n",       /* no Type: message */
		TB FRAME "  | ValueError: x\n",                    /* box line outside a group */
		"  + Exception Group Traceback (most recent call last):\nValueError: x\n",
		"  File \"x.py\", line 3\n    bad(\n        ^\n",     /* SyntaxError cut short */
		"The above exception was the direct cause of the following exception:\n\n" TB,
		"ValueError: x\n\nDuring handling of the above exception, another exception "
		"occurred:\n\nnot a block\n",
		"  File \"x.py\", line 3, in f\nValueError: frames alone are not a report\n",
	};
	struct pytb_report r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(parse_str(bad[i], &r), 0);
		CHECK_INT(r.nchain, 0);
	}
}

/* ---- fuzzing ------------------------------------------------------------------------- */

static uint32_t rng = 12345;

static uint32_t next_rand(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/* Fragments that steer random text into the parser's interesting states. */
static const char *const pieces[] = {
	TB, "  + Exception Group Traceback (most recent call last):\n", FRAME,
	"  File \"x.py\", line 3\n", "    ^^^^~~~~\n", "  [Previous line repeated 5 more times]\n",
	"ValueError: x\n", "KeyboardInterrupt\n", "a.b.C: multi\n", "more text\n", "\n",
	"The above exception was the direct cause of the following exception:\n",
	"During handling of the above exception, another exception occurred:\n",
	"  | ", "  |   File \"y.py\", line 1, in g\n", "  | ExceptionGroup: g (2 sub-exceptions)\n",
	"  +-+---------------- 1 ----------------\n", "    +---------------- 2 ----------------\n",
	"    | and 3 more exceptions\n", "    +------------------------------------\n",
	"    | TypeError: t\n", "[2026-11-25 10:00:00,123] ERROR in app: x\n", "\r\n", "  ",
	"\"", ", line ", ", in ", ": ",
};

static void check_fuzz(const char *s, size_t n, int *bad)
{
	struct pytb_report r;
	size_t off = parse(s, n, &r);

	incomplete(s, n);
	if (off > n || (off && s[off - 1] != '\n') || !report_sane(&r) || (off && r.nchain < 1))
		(*bad)++;
}

static void test_fuzz(void)
{
	char buf[2048];
	int iter, bad = 0;

	for (iter = 0; iter < 20000; iter++) {
		size_t n = 0, target = next_rand() % sizeof(buf);

		while (n < target) {
			uint32_t pick = next_rand() % 4;

			if (pick == 0) {
				buf[n++] = (char)next_rand();
			} else {
				const char *p = pieces[next_rand() % (sizeof(pieces) /
								     sizeof(pieces[0]))];
				size_t k = strlen(p);

				if (k > target - n)
					k = target - n;
				memcpy(buf + n, p, k);
				n += k;
			}
		}
		check_fuzz(buf, n, &bad);
	}
	CHECK_INT(bad, 0);
}

/* Real fixtures with bytes flipped, lines dropped and the text cut at random places. */
static void test_mutations(void)
{
	static const char *const names[] = { "3.13-group-nested.txt", "3.11-cause.txt",
					     "3.8-recursion.txt", "3.12-group-wide.txt",
					     "3.10-syntax.txt", "3.13-logprefix.txt" };
	size_t i, n, m, j;
	int iter, bad = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *s = load(names[i], &n), *b;

		CHECK(s != NULL);
		if (!s)
			continue;
		b = malloc(n + 1);
		for (iter = 0; iter < 300; iter++) {
			memcpy(b, s, n);
			m = n;
			for (j = next_rand() % 4 + 1; j > 0 && m > 0; j--) {
				size_t at = next_rand() % m, k = next_rand() % 40;

				switch (next_rand() % 3) {
				case 0:
					b[at] = (char)next_rand();
					break;
				case 1:
					if (k > m - at)
						k = m - at;
					memmove(b + at, b + at + k, m - at - k);
					m -= k;
					break;
				default:
					m = at;
				}
			}
			check_fuzz(b, m, &bad);
		}
		free(b);
		free(s);
	}
	CHECK_INT(bad, 0);
}

int main(void)
{
	test_fixtures();
	test_frame_bound();
	test_two_reports();
	test_complete_then_partial();
	test_incomplete_tail();
	test_message_stops();
	test_bounds();
	test_headerless_group();
	test_malformed();
	test_fuzz();
	test_mutations();
	return check_summary("pytraceback");
}
