/* SPDX-License-Identifier: BSD-2-Clause */
/* Redis RESP2/RESP3 client side: request and reply byte streams in, one call per command out. */
#ifndef PYSPAN_PROTO_RESP_H
#define PYSPAN_PROTO_RESP_H

#include <stddef.h>
#include <stdint.h>

/* One command and its reply. Values are never stored: only the command, its key and counts.
 * nargs counts the command name, as Redis' arity does ("GET k" is 2). error_message is the whole
 * error line ("WRONGTYPE Operation against ..."), error_type its first word. */
struct redis_call {
	char command[32];	   /* upper-case: "GET", "SET", "CLIENT SETNAME" is "CLIENT" */
	char key[256];		   /* first key argument when the command has one (by command
				      table), "" else */
	int nargs;
	int is_error;
	char error_type[64];	   /* first word of an error reply: "WRONGTYPE", "ERR" */
	char error_message[256];
	uint64_t request_bytes, response_bytes;
	uint64_t start_ns, end_ns;
};

/* Calls come in request order. Out-of-band data is no reply: RESP3 pushes ('>'), RESP2 pub/sub
 * messages while subscribed. [P|S]SUBSCRIBE completes at its last channel's confirmation,
 * [P|S]UNSUBSCRIBE without channels when none of its kind is left. Commands queued in MULTI
 * are emitted when EXEC answers with an array (end_ns is EXEC's, an error element makes them
 * is_error, response_bytes is their QUEUED reply); when the transaction is discarded (DISCARD,
 * EXECABORT, a WATCH abort) they never ran and are not calls. A command refused at queueing
 * time is an error call at once. Attribute ('|') prefixes are counted in the reply they
 * annotate. RESP3 streamed strings and aggregates ('?' lengths, never sent by Redis) and
 * nesting deeper than 64 make the reply stream unfollowable. */
typedef void (*redis_call_fn)(void *arg, const struct redis_call *c);

struct redis_conn;

struct redis_conn *redis_conn_new(redis_call_fn fn, void *arg);
/* Bytes the client sent / received, in any chunking. Returns 0, or -1 once the stream cannot be
 * followed (then it ignores the rest). */
int redis_feed_request(struct redis_conn *c, const uint8_t *p, size_t n, uint64_t ts_ns);
int redis_feed_reply(struct redis_conn *c, const uint8_t *p, size_t n, uint64_t ts_ns);
void redis_conn_free(struct redis_conn *c);
int redis_sniff(const uint8_t *p, size_t n); /* a RESP array of bulk strings, or an inline command */

#endif
