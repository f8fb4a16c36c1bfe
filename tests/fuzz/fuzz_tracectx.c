// SPDX-License-Identifier: BSD-2-Clause
/* Fuzz the trace-context header parsers: W3C traceparent and X-Amzn-Trace-Id. */
#include <stdint.h>
#include <stdlib.h>

#include "span/tracectx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_ctx tc;

	if (tracectx_parse_traceparent((const char *)data, size, &tc) == 0 &&
	    tc.sampled != 0 && tc.sampled != 1 && tc.sampled != -1)
		abort();
	if (tracectx_parse_xray((const char *)data, size, &tc) == 0 && tc.sampled != 0 &&
	    tc.sampled != 1 && tc.sampled != -1)
		abort();
	return 0;
}
