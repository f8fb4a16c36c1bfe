/* Redis RESP2/RESP3 client side: request and reply byte streams in, one call per command out. */
#ifndef PYSPAN_PROTO_RESP_H
#define PYSPAN_PROTO_RESP_H

#include <stddef.h>
#include <stdint.h>

/* One command and its reply. Values are never stored: only the command, its key and counts. */
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

typedef void (*redis_call_fn)(void *arg, const struct redis_call *c);

struct redis_conn;

struct redis_conn *redis_conn_new(redis_call_fn fn, void *arg);
int redis_feed_request(struct redis_conn *c, const uint8_t *p, size_t n, uint64_t ts_ns);
int redis_feed_reply(struct redis_conn *c, const uint8_t *p, size_t n, uint64_t ts_ns);
void redis_conn_free(struct redis_conn *c);
int redis_sniff(const uint8_t *p, size_t n); /* a RESP array of bulk strings, or an inline command */

#endif
