// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for pyspan's messages: printf's formatting, and the filter on what they quote only. */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <unistd.h>

#include "check.h"
#include "lib/log.h"
#include "span/redact.h"

static char path[] = "/tmp/pyspan-test-log-XXXXXX";
static int saved_stderr;

/* What one log_msg call wrote to stderr, without its line end. */
#define LOGGED(...)                                                                                \
	({                                                                                         \
		static char got_[2048];                                                            \
		FILE *f_ = fopen(path, "w+");                                                      \
		size_t n_;                                                                         \
		fflush(stderr);                                                                    \
		dup2(fileno(f_), 2);                                                               \
		log_msg(__VA_ARGS__);                                                              \
		fflush(stderr);                                                                    \
		dup2(saved_stderr, 2);                                                             \
		rewind(f_);                                                                        \
		n_ = fread(got_, 1, sizeof(got_) - 1, f_);                                         \
		fclose(f_);                                                                        \
		got_[n_ && got_[n_ - 1] == '\n' ? n_ - 1 : n_] = '\0';                             \
		got_;                                                                              \
	})

/* Every conversion pyspan's messages use prints as printf prints it. */
static void test_format(void)
{
	char want[512];
	long long neg = -12345678901LL;

	snprintf(want, sizeof(want), "pyspan: %d %u %ld %lld %llu %zu %x %5.1f %c %% %-6s| %.3s %*d",
		 -7, 7u, -70L, neg, 18446744073709551615ull, (size_t)42, 255u, 3.14159, 'z', "ab",
		 "abcdef", 4, 9);
	CHECK_STR(LOGGED("%d %u %ld %lld %llu %zu %x %5.1f %c %% %-6s| %.3s %*d", -7, 7u, -70L, neg,
			 18446744073709551615ull, (size_t)42, 255u, 3.14159, 'z', "ab", "abcdef", 4,
			 9),
		  want);
	CHECK_STR(LOGGED("plain"), "pyspan: plain");
	CHECK_STR(LOGGED("%s", ""), "pyspan: ");
}

/* pyspan's own words stand; what a message quotes loses its secrets. */
static void test_filter(void)
{
	log_set_filter(redact_text);
	CHECK_STR(LOGGED("--export rollbar needs an access token: set ROLLBAR_ACCESS_TOKEN"),
		  "pyspan: --export rollbar needs an access token: set ROLLBAR_ACCESS_TOKEN");
	CHECK_STR(LOGGED("the endpoint is not a URL: '%s'", "token=abcdef"),
		  "pyspan: the endpoint is not a URL: 'token=REDACTED'");
	CHECK_STR(LOGGED("%s: refused: %.200s", "otlp", "HTTP 401 Bearer abc.def"),
		  "pyspan: otlp: refused: HTTP 401 Bearer REDACTED");
	CHECK_STR(LOGGED("key id %s, %d left", "AKIAABCDEFGHIJKLMNOP", 3),
		  "pyspan: key id REDACTED, 3 left");
	log_set_filter(NULL);
	CHECK_STR(LOGGED("%s", "token=abcdef"), "pyspan: token=abcdef");
}

int main(void)
{
	int fd = mkstemp(path);

	saved_stderr = dup(2);
	if (fd < 0 || saved_stderr < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	test_format();
	test_filter();
	unlink(path);
	redact_fini();
	return check_summary("log");
}
