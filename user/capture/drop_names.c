// SPDX-License-Identifier: BSD-2-Clause
/* Names of the BPF side's drop causes: one table for the summary, --stats and /metrics. */
#include "capture/capture.h"
#include "pyspan_events.h"

static const char *const drop_names[DROP__COUNT] = {
	[DROP_RINGBUF_DATA] = "ringbuf_data",	[DROP_RINGBUF_CONN] = "ringbuf_conn",
	[DROP_RINGBUF_PROC] = "ringbuf_proc",	[DROP_PIDS_FULL] = "pids_full",
	[DROP_ARGS_FULL] = "args_full",		[DROP_CONNS_FULL] = "conns_full",
	[DROP_READ_FAULT] = "read_fault",	[DROP_RINGBUF_PYEXC] = "ringbuf_pyexc",
	[DROP_TLS_NO_SOCKET] = "tls_no_socket",
};

const char *capture_drop_name(int cause)
{
	return cause >= 0 && cause < DROP__COUNT && drop_names[cause] ? drop_names[cause] :
									 "unknown";
}
