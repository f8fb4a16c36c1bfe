// SPDX-License-Identifier: BSD-2-Clause
/* Interpreter-read exceptions: line tables, chain order, and merging with traceback text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proto/pytraceback.h"
#include "python/pyexc.h"
#include "span/exception.h"

/* A fixture written by fixtures/make_linetables.py: a real co_linetable and, for every
 * instruction offset, the line CPython itself gives (co_lines). */
static void check_linetable_fixture(const char *path)
{
	char line[8192], hex[4096] = "";
	uint8_t table[2048];
	int firstlineno = -1, offsets = 0, wrong = 0;
	size_t tlen = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "FAIL missing fixture %s\n", path);
		check_failed++;
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		int off, want;

		if (sscanf(line, "firstlineno %d", &firstlineno) == 1)
			continue;
		if (sscanf(line, "linetable %4095s", hex) == 1) {
			for (tlen = 0; hex[2 * tlen] && hex[2 * tlen + 1] && tlen < sizeof(table);
			     tlen++) {
				unsigned b;

				sscanf(hex + 2 * tlen, "%2x", &b);
				table[tlen] = (uint8_t)b;
			}
			continue;
		}
		if (sscanf(line, "at %d %d", &off, &want) == 2) {
			int got = pyexc_line_from_locations(table, tlen, firstlineno, off);

			offsets++;
			if (got != want) {
				wrong++;
				fprintf(stderr, "  %s: offset %d: line %d, want %d\n", path, off, got,
					want);
			}
		}
	}
	fclose(f);
	CHECK(offsets > 20);
	CHECK_INT(wrong, 0);
}

static void test_line_tables(void)
{
	check_linetable_fixture("tests/unit/fixtures/linetables/3.11.txt");
	check_linetable_fixture("tests/unit/fixtures/linetables/3.11-debian.txt");
	check_linetable_fixture("tests/unit/fixtures/linetables/3.12.txt");
	check_linetable_fixture("tests/unit/fixtures/linetables/3.13.txt");

	/* malformed tables never read past their end and say "no line" */
	{
		static const uint8_t bad[] = { 0x00, 0x01, 0x02 };
		static const uint8_t cut[] = { 0xf0 }; /* long form with its varints missing */

		CHECK_INT(pyexc_line_from_locations(bad, sizeof(bad), 10, 0), -1);
		CHECK_INT(pyexc_line_from_locations(cut, sizeof(cut), 10, 4), -1);
		CHECK_INT(pyexc_line_from_locations(NULL, 0, 10, 0), -1);
		CHECK_INT(pyexc_line_from_locations(bad, sizeof(bad), 10, -1), -1);
	}
	/* deltas that would carry the line past int (found by fuzzing): no line, no overflow */
	{
		static const uint8_t up[] = { 0xe8, 0x7e, 0x7f, 0x7f, 0x7f, 0x3f };
		static const uint8_t down[] = { 0xe8, 0x7f, 0x7f, 0x7f, 0x7f, 0x3f };

		CHECK_INT(pyexc_line_from_locations(up, sizeof(up), 2000000000, 0), -1);
		CHECK_INT(pyexc_line_from_locations(down, sizeof(down), -2000000000, 0), -1);
		CHECK_INT(pyexc_line_from_locations(up, sizeof(up), 1, 0), 536870912);
	}
}

static void fill_item(struct py_exc_item *it, const char *type, const char *msg, uint32_t link)
{
	memset(it, 0, sizeof(*it));
	snprintf(it->type_name, sizeof(it->type_name), "%s", type);
	snprintf(it->message, sizeof(it->message), "%s", msg);
	it->message_len = (uint32_t)strlen(msg);
	it->link = link;
}

static void test_chain_order(void)
{
	struct ev_pyexc *e = calloc(1, sizeof(*e));
	struct pytb_report *r = calloc(1, sizeof(*r));

	/* BPF reports newest first: RuntimeError, caused by ValueError, raised while handling
	 * a KeyError. The report lists them oldest first, each linked to the one before. */
	e->h.pid = 0; /* no such process: frames cannot be resolved */
	e->nchain = 3;
	fill_item(&e->chain[0], "RuntimeError", "conversion failed", 1);
	fill_item(&e->chain[1], "ValueError", "invalid literal", 2);
	fill_item(&e->chain[2], "KeyError", "", 0);
	e->chain[0].nframes = 40; /* a long traceback: the ring kept the last 32 */
	e->chain[0].flags = PYEXC_F_MORE_FRAMES;
	pyexc_to_report(e, r);
	CHECK_INT(r->nchain, 3);
	CHECK_STR(r->chain[0].type, "KeyError");
	CHECK_STR(r->chain[1].type, "ValueError");
	CHECK_INT(r->chain[1].link, PYTB_LINK_CONTEXT);
	CHECK_STR(r->chain[2].type, "RuntimeError");
	CHECK_STR(r->chain[2].message, "conversion failed");
	CHECK_INT(r->chain[2].link, PYTB_LINK_CAUSE);
	/* 8 beyond the ring, 1 beyond the walk, 32 that could not be resolved */
	CHECK_INT(r->chain[2].nframes, 0);
	CHECK_INT(r->chain[2].frames_omitted, 41);

	/* a message cut at the BPF copy says so */
	fill_item(&e->chain[0], "ValueError", "x", 0);
	e->chain[0].message_len = 5000;
	e->nchain = 1;
	pyexc_to_report(e, r);
	CHECK_INT(r->nchain, 1);
	CHECK_INT(r->chain[0].message_truncated, 1);
	free(e);
	free(r);
}

static void test_merge_text(void)
{
	struct pytb_report *in = calloc(1, sizeof(*in)), *tx = calloc(1, sizeof(*tx));

	in->nchain = 2;
	snprintf(in->chain[0].type, PYTB_TYPE_MAX, "ValueError");
	snprintf(in->chain[1].type, PYTB_TYPE_MAX, "InventoryError");
	in->chain[1].nframes = 3;
	tx->nchain = 2;
	snprintf(tx->chain[0].type, PYTB_TYPE_MAX, "ValueError");
	snprintf(tx->chain[0].message, PYTB_MESSAGE_MAX, "from text");
	snprintf(tx->chain[1].type, PYTB_TYPE_MAX, "shop.errors.InventoryError");
	snprintf(tx->chain[1].message, PYTB_MESSAGE_MAX, "out of stock");
	tx->chain[1].nframes = 1;
	snprintf(in->chain[1].message, PYTB_MESSAGE_MAX, "out of stock (interp)");

	exception_merge_text(in, tx);
	/* the module comes from the text; the interpreter's message and frames stay */
	CHECK_STR(in->chain[1].type, "shop.errors.InventoryError");
	CHECK_STR(in->chain[1].message, "out of stock (interp)");
	CHECK_INT(in->chain[1].nframes, 3);
	/* a message the interpreter could not read (not a str) comes from the text */
	CHECK_STR(in->chain[0].message, "from text");

	/* different exceptions are not merged */
	snprintf(in->chain[1].type, PYTB_TYPE_MAX, "OtherError");
	in->chain[0].message[0] = '\0';
	exception_merge_text(in, tx);
	CHECK_STR(in->chain[1].type, "OtherError");
	CHECK_STR(in->chain[0].message, "");
	free(in);
	free(tx);
}

int main(void)
{
	test_line_tables();
	test_chain_order();
	test_merge_text();
	return check_summary("pyexc");
}
