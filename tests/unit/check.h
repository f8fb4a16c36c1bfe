/* SPDX-License-Identifier: BSD-2-Clause */
/* Minimal unit-test harness: CHECK macros and the "N passed, N failed" closing line. */
#ifndef PYSPAN_TESTS_CHECK_H
#define PYSPAN_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed;
static int check_failed;

/* One CHECK is one assertion; a failure prints where and why and the run goes on. */
#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (cond) {                                                               \
			check_passed++;                                                   \
		} else {                                                                  \
			check_failed++;                                                   \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);   \
		}                                                                         \
	} while (0)

#define CHECK_INT(got, want)                                                              \
	do {                                                                              \
		long long g_ = (long long)(got), w_ = (long long)(want);                  \
		if (g_ == w_) {                                                           \
			check_passed++;                                                   \
		} else {                                                                  \
			check_failed++;                                                   \
			fprintf(stderr, "FAIL %s:%d: %s == %lld, want %lld\n", __FILE__,  \
				__LINE__, #got, g_, w_);                                  \
		}                                                                         \
	} while (0)

#define CHECK_STR(got, want)                                                              \
	do {                                                                              \
		const char *g_ = (got), *w_ = (want);                                     \
		if (g_ && w_ && strcmp(g_, w_) == 0) {                                    \
			check_passed++;                                                   \
		} else {                                                                  \
			check_failed++;                                                   \
			fprintf(stderr, "FAIL %s:%d: %s == \"%s\", want \"%s\"\n",        \
				__FILE__, __LINE__, #got, g_ ? g_ : "(null)",             \
				w_ ? w_ : "(null)");                                      \
		}                                                                         \
	} while (0)

/* Compares a (pointer, length) slice with a C string. */
#define CHECK_MEM(p, n, want)                                                             \
	do {                                                                              \
		const char *w_ = (want);                                                  \
		size_t n_ = (n);                                                          \
		if ((p) && strlen(w_) == n_ && memcmp((p), w_, n_) == 0) {                \
			check_passed++;                                                   \
		} else {                                                                  \
			check_failed++;                                                   \
			fprintf(stderr, "FAIL %s:%d: %s == \"%.*s\", want \"%s\"\n",      \
				__FILE__, __LINE__, #p, (int)n_, (p) ? (p) : "", w_);     \
		}                                                                         \
	} while (0)

/* Prints the closing line that tests/run.sh adds up; exit status says whether all passed. */
static inline int check_summary(const char *suite)
{
	printf("%s: %d passed, %d failed\n", suite, check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
