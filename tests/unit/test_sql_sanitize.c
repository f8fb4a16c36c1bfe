// SPDX-License-Identifier: BSD-2-Clause
/* SQL sanitizer: every kind of literal goes, names and placeholders stay, bounds hold, and no
 * literal leaks from any prefix of the text. */
#include "check.h"
#include "proto/sql_sanitize.h"

#include <stdlib.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *sql, *out, *op;
} cases[] = {
	{ "SELECT * FROM users WHERE id = 42", "SELECT * FROM users WHERE id = ?", "SELECT" },
	{ "select  a,\n\tb from t1 where x='O''Brien'", "select a, b from t1 where x=?", "SELECT" },
	{ "SELECT E'it\\'s secret', e'x\\\\'", "SELECT ?, ?", "SELECT" },
	{ "SELECT 'a\\' , 'b'", "SELECT ? , ?", "SELECT" }, /* standard strings: '\' is a char */
	{ "SELECT $$secret 'q' $$, $tag$ x $$ secret $tag$", "SELECT ?, ?", "SELECT" },
	{ "SELECT $a$ $b$ secret $b$ $a$", "SELECT ?", "SELECT" },
	{ "UPDATE t SET a = $1 WHERE id = $2", "UPDATE t SET a = $1 WHERE id = $2", "UPDATE" },
	{ "SELECT 1.5, .5, 1e10, 1E-3, 1e+5, 0x1F, 0b101, 1_000", "SELECT ?, ?, ?, ?, ?, ?, ?, ?",
	  "SELECT" },
	{ "SELECT X'1F', B'101', x'ab', N'secret', U&'d\\0061t'", "SELECT ?, ?, ?, ?, ?", "SELECT" },
	{ "SELECT \"Weird \"\"Name\"\"\", \"t1\" FROM \"S\".\"T\"",
	  "SELECT \"Weird \"\"Name\"\"\", \"t1\" FROM \"S\".\"T\"", "SELECT" },
	{ "/* hi */ SELECT 1 -- secret", "SELECT ?", "SELECT" },
	{ "SELECT /* a /* nested */ secret */ 1", "SELECT ?", "SELECT" },
	{ "SELECT a--secret\n FROM t", "SELECT a FROM t", "SELECT" },
	{ "x = -5", "x = -?", "X" },
	{ "SELECT '2020-01-01'::date, 3::int", "SELECT ?::date, ?::int", "SELECT" },
	{ "DELETE FROM t WHERE id IN (1, 2, 3)", "DELETE FROM t WHERE id IN (?, ?, ?)", "DELETE" },
	{ "SELECT 'secret", "SELECT ?", "SELECT" },
	{ "SELECT $$secret", "SELECT ?", "SELECT" },
	{ "SELECT \"unterminated", "SELECT \"unterminated", "SELECT" },
	{ "(SELECT 1) UNION (SELECT 2)", "(SELECT ?) UNION (SELECT ?)", "SELECT" },
	{ "with recursive r as (select 1) select * from r", "with recursive r as (select ?) select * from r",
	  "WITH" },
	{ "", "", "" },
	{ " \t\n ", "", "" },
	{ "'secret' AS x", "? AS x", "" },
	{ "SELECT a$b, t1.c2, _x9 FROM s1.t2", "SELECT a$b, t1.c2, _x9 FROM s1.t2", "SELECT" },
	{ "insert into t values (1)", "insert into t values (?)", "INSERT" },
	{ "BEGIN; SELECT 1; COMMIT", "BEGIN; SELECT ?; COMMIT", "BEGIN" },
	{ "SELECT größe FROM t", "SELECT größe FROM t", "SELECT" },
	{ "SELECT\0001\x01\x7f;", "SELECT ? ;", "SELECT" },
	{ "SELECT $1abc, $, $9", "SELECT $1abc, $, $9", "SELECT" },
	{ "E'secret' SELECT", "? SELECT", "" },
	{ "SELECT 1a", "SELECT ?", "SELECT" },
	{ "select/**/1", "select ?", "SELECT" },
	{ "a-1 b/2", "a-? b/?", "A" },
	{ "SELECT \"a\tb\nc\"", "SELECT \"a b c\"", "SELECT" },
};

/* Literals in the cases above spell "secret" so a leak is easy to see. */
static void test_cases(void)
{
	for (size_t i = 0; i < N(cases); i++) {
		char out[256], op[32];
		size_t len = strlen(cases[i].sql);

		if (i == 28) /* the case with a NUL inside */
			len = sizeof("SELECT\0001\x01\x7f;") - 1;
		sql_sanitize(cases[i].sql, len, out, sizeof(out), op, sizeof(op));
		if (strcmp(out, cases[i].out) || strcmp(op, cases[i].op))
			fprintf(stderr, "  case %zu: %s\n", i, cases[i].sql);
		CHECK_STR(out, cases[i].out);
		CHECK_STR(op, cases[i].op);
	}
}

/* Every prefix of every case, as an exact heap copy: no over-read, a terminated result within
 * the bound, and never the secret (which only ever appears inside literals and comments). */
static void test_prefixes(void)
{
	size_t leaks = 0, unterminated = 0;

	for (size_t i = 0; i < N(cases); i++) {
		size_t len = i == 28 ? sizeof("SELECT\0001\x01\x7f;") - 1 : strlen(cases[i].sql);

		for (size_t n = 0; n <= len; n++) {
			char *p = malloc(n ? n : 1);
			char out[64], op[8];

			memcpy(p, cases[i].sql, n);
			memset(out, 'X', sizeof(out));
			sql_sanitize(p, n, out, sizeof(out), op, sizeof(op));
			if (!memchr(out, 0, sizeof(out)) || !memchr(op, 0, sizeof(op)))
				unterminated++;
			else if (strstr(out, "secret") || strstr(out, "secre") || strstr(out, "sec"))
				leaks++;
			free(p);
		}
	}
	CHECK_INT(unterminated, 0);
	CHECK_INT(leaks, 0);
}

static void test_bounds(void)
{
	char out[16], op[4], big[64];
	const char *sql = "SELECT column_one, column_two FROM t";

	/* Cut with "..." at the bound. */
	sql_sanitize(sql, strlen(sql), out, sizeof(out), op, sizeof(op));
	CHECK_STR(out, "SELECT colum...");
	CHECK_STR(op, "SEL");

	/* Exactly fitting: no dots. */
	sql_sanitize("SELECT abcdefgh", 15, out, sizeof(out), op, sizeof(op));
	CHECK_STR(out, "SELECT abcdefgh");
	sql_sanitize("SELECT abcdefghi", 16, out, sizeof(out), op, sizeof(op));
	CHECK_STR(out, "SELECT abcde...");

	/* Never half a UTF-8 character before the dots. */
	sql_sanitize("SELECT ééééééé", strlen("SELECT ééééééé"), out, sizeof(out), op, sizeof(op));
	CHECK_STR(out, "SELECT éé..."); /* the third é would be cut: dropped whole */
	sql_sanitize("SELECT aééééééé", strlen("SELECT aééééééé"), out, sizeof(out), op, sizeof(op));
	CHECK_STR(out, "SELECT aéé...");

	/* Tiny and empty buffers are written within their size. */
	memset(big, 'Z', sizeof(big));
	sql_sanitize(sql, strlen(sql), big, 3, big + 10, 1);
	CHECK_STR(big, "SE");
	CHECK_STR(big + 10, "");
	CHECK_INT(big[11], 'Z');
	memset(big, 'Z', sizeof(big));
	sql_sanitize(sql, strlen(sql), big, 0, big + 10, 0);
	CHECK_INT(big[0], 'Z');
	CHECK_INT(big[10], 'Z');
	sql_sanitize(sql, strlen(sql), big, 4, op, sizeof(op));
	CHECK_STR(big, "...");

	/* A long statement into the size a pg_call keeps. */
	size_t n = 100000;
	char *s = malloc(n);
	char q[2048];

	memcpy(s, "SELECT ", 7);
	for (size_t i = 7; i < n; i++)
		s[i] = "'x', "[(i - 7) % 5];
	sql_sanitize(s, n, q, sizeof(q), op, sizeof(op));
	CHECK_INT(strlen(q), sizeof(q) - 1);
	CHECK_STR(q + sizeof(q) - 4, "...");
	CHECK(strncmp(q, "SELECT ?, ?, ?", 14) == 0);
	free(s);
}

int main(void)
{
	test_cases();
	test_prefixes();
	test_bounds();
	return check_summary("test_sql_sanitize");
}
