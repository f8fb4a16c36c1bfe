// SPDX-License-Identifier: BSD-2-Clause
/* Redis RESP2/RESP3 client-side follower: two incremental byte-at-a-time state machines (requests,
 * replies) and a FIFO that pairs them; values are skipped, never buffered. */
#include "proto/resp.h"

#include <stdlib.h>
#include <string.h>

#define RESP_MAX_DEPTH	 64	     /* nesting beyond this is not a server we can follow */
#define RESP_MAX_PENDING 4096	     /* requests waiting for replies that are kept in full */
#define RESP_MAX_QUEUED	 1024	     /* MULTI commands held until EXEC */
#define RESP_MAX_INLINE	 65536	     /* Redis' own limit for an inline command line */
#define RESP_MAX_AGG	 (1LL << 40) /* larger counts or lengths are garbage, not data */
#define RESP_LINE_CAP	 64	     /* numbers and the captured part of a short line */

enum kind {
	K_PLAIN,
	K_MULTI,
	K_EXEC,
	K_DISCARD,
	K_SUB,	     /* SUBSCRIBE family with channels: one confirmation per channel */
	K_UNSUB_ALL, /* UNSUBSCRIBE family without channels: until none of that family is left */
	K_HELLO,
	K_RESET,
};

/* Subscription families: channels, patterns, shard channels. */
enum { F_CHAN, F_PAT, F_SHARD, F_NONE };

struct pending {
	struct redis_call call;
	enum kind kind;
	int family;
	long confirmations; /* K_SUB: still to come */
	int hello_proto;
};

/* ---- the request side ------------------------------------------------------------------ */

enum rq_state {
	RQ_START,
	RQ_ARRAY_LINE,
	RQ_BULK_TYPE,
	RQ_BULK_LINE,
	RQ_BULK_DATA,
	RQ_BULK_CR,
	RQ_BULK_LF,
	RQ_INLINE,
	RQ_DEAD,
};

/* Where a command's first key is: at argument n (n > 0), or found from other arguments: after
 * a numkeys at argument 2 (EVAL script numkeys key...), after one at argument 1 (ZUNION
 * numkeys key...), after the STREAMS word (XREAD). */
enum { KEY_NONE = 0, KEY_NUMKEYS = -1, KEY_STREAMS = -2, KEY_NUMKEYS_FIRST = -3 };

struct rq {
	enum rq_state st;
	char line[RESP_LINE_CAP];
	unsigned line_len;
	int line_long;
	long long args_left; /* in the array */
	long long arg;	     /* index of the argument being read */
	long long bulk_left;
	char cur[256]; /* the start of the argument being read */
	size_t cur_len;
	/* inline parsing */
	size_t inline_len;
	int in_token, quote, escaped;
	/* the command being read */
	struct pending p;
	int key_pos;
	int started;
};

/* ---- the reply side -------------------------------------------------------------------- */

enum rp_state {
	RP_TYPE,
	RP_LINE,
	RP_BULK_DATA,
	RP_BULK_CR,
	RP_BULK_LF,
	RP_DEAD,
};

struct frame {
	long long total, left;
	char type;
};

/* What is kept of one top-level reply: enough to tell a push from a reply, to read
 * subscription confirmations and errors, and the errors inside an EXEC array. */
struct reply {
	char type; /* of the value itself, attributes before it skipped */
	int is_error;
	int is_null;	/* *-1, $-1 or _ at the top */
	char text[256]; /* the error line, or a short simple string ("QUEUED", "OK") */
	size_t text_len;
	char first[16]; /* the first element of an aggregate, when a string */
	size_t first_len;
	int first_set;
	int second_nil;
	long long third;
	int third_set;
	/* the element of a top-level aggregate being read */
	int elem_error;
	char elem_text[256];
	size_t elem_text_len;
	uint64_t bytes;
};

struct rp {
	enum rp_state st;
	char type; /* of the value whose line or payload is being read */
	char line[RESP_LINE_CAP];
	unsigned line_len;
	int line_long;
	uint64_t line_total;
	uint8_t line_last;
	long long bulk_left;
	int capture; /* where the payload of this value goes, CAP_* */
	struct frame stack[RESP_MAX_DEPTH];
	int sp;
	int in_value;
	struct reply r;
};

enum { CAP_NONE, CAP_TEXT, CAP_FIRST, CAP_ELEM };

struct redis_conn {
	redis_call_fn fn;
	void *arg;
	struct rq rq;
	struct rp rp;
	struct pending *q; /* ring of requests waiting for replies */
	size_t q_cap, q_head, q_len;
	uint64_t q_untracked;	/* requests past RESP_MAX_PENDING: replies are consumed unmatched */
	struct pending *queued; /* MULTI commands, in order */
	size_t n_queued;
	int in_multi;
	int proto; /* 2 or 3, from HELLO */
	long subs[3];
	long long sub_total; /* the server's count in the last confirmation */
	int dead;
};

/* Commands that have keys, and where the first one is. Everything else reports no key. */
/* clang-format off */
static const struct {
	const char *name;
	int pos;
} key_table[] = {
	{ "APPEND", 1 },	 { "BITCOUNT", 1 },	  { "BITFIELD", 1 },	  { "BITFIELD_RO", 1 },
	{ "BITOP", 2 },		 { "BITPOS", 1 },	  { "BLMOVE", 1 },	  { "BLMPOP", KEY_NUMKEYS },
	{ "BLPOP", 1 },		 { "BRPOP", 1 },	  { "BRPOPLPUSH", 1 },	  { "BZMPOP", KEY_NUMKEYS },
	{ "BZPOPMAX", 1 },	 { "BZPOPMIN", 1 },	  { "COPY", 1 },	  { "DECR", 1 },
	{ "DECRBY", 1 },	 { "DEL", 1 },		  { "DUMP", 1 },	  { "EVAL", KEY_NUMKEYS },
	{ "EVALSHA", KEY_NUMKEYS }, { "EVALSHA_RO", KEY_NUMKEYS }, { "EVAL_RO", KEY_NUMKEYS },
	{ "EXISTS", 1 },	 { "EXPIRE", 1 },	  { "EXPIREAT", 1 },	  { "EXPIRETIME", 1 },
	{ "FCALL", KEY_NUMKEYS }, { "FCALL_RO", KEY_NUMKEYS }, { "GEOADD", 1 },	  { "GEODIST", 1 },
	{ "GEOHASH", 1 },	 { "GEOPOS", 1 },	  { "GEORADIUS", 1 },	  { "GEORADIUSBYMEMBER", 1 },
	{ "GEOSEARCH", 1 },	 { "GEOSEARCHSTORE", 1 }, { "GET", 1 },		  { "GETBIT", 1 },
	{ "GETDEL", 1 },	 { "GETEX", 1 },	  { "GETRANGE", 1 },	  { "GETSET", 1 },
	{ "HDEL", 1 },		 { "HEXISTS", 1 },	  { "HGET", 1 },	  { "HGETALL", 1 },
	{ "HINCRBY", 1 },	 { "HINCRBYFLOAT", 1 },	  { "HKEYS", 1 },	  { "HLEN", 1 },
	{ "HMGET", 1 },		 { "HMSET", 1 },	  { "HRANDFIELD", 1 },	  { "HSCAN", 1 },
	{ "HSET", 1 },		 { "HSETNX", 1 },	  { "HSTRLEN", 1 },	  { "HVALS", 1 },
	{ "INCR", 1 },		 { "INCRBY", 1 },	  { "INCRBYFLOAT", 1 },	  { "LCS", 1 },
	{ "LINDEX", 1 },	 { "LINSERT", 1 },	  { "LLEN", 1 },	  { "LMOVE", 1 },
	{ "LMPOP", KEY_NUMKEYS_FIRST }, { "LPOP", 1 },	  { "LPOS", 1 },	  { "LPUSH", 1 },
	{ "LPUSHX", 1 },	 { "LRANGE", 1 },	  { "LREM", 1 },	  { "LSET", 1 },
	{ "LTRIM", 1 },		 { "MGET", 1 },		  { "MOVE", 1 },	  { "MSET", 1 },
	{ "MSETNX", 1 },	 { "OBJECT", 2 },	  { "PERSIST", 1 },	  { "PEXPIRE", 1 },
	{ "PEXPIREAT", 1 },	 { "PEXPIRETIME", 1 },	  { "PFADD", 1 },	  { "PFCOUNT", 1 },
	{ "PFMERGE", 1 },	 { "PSETEX", 1 },	  { "PTTL", 1 },	  { "RENAME", 1 },
	{ "RENAMENX", 1 },	 { "RESTORE", 1 },	  { "RPOP", 1 },	  { "RPOPLPUSH", 1 },
	{ "RPUSH", 1 },		 { "RPUSHX", 1 },	  { "SADD", 1 },	  { "SCARD", 1 },
	{ "SDIFF", 1 },		 { "SDIFFSTORE", 1 },	  { "SET", 1 },		  { "SETBIT", 1 },
	{ "SETEX", 1 },		 { "SETNX", 1 },	  { "SETRANGE", 1 },	  { "SINTER", 1 },
	{ "SINTERCARD", KEY_NUMKEYS_FIRST }, { "SINTERSTORE", 1 }, { "SISMEMBER", 1 }, { "SMEMBERS", 1 },
	{ "SMISMEMBER", 1 },	 { "SMOVE", 1 },	  { "SORT", 1 },	  { "SORT_RO", 1 },
	{ "SPOP", 1 },		 { "SRANDMEMBER", 1 },	  { "SREM", 1 },	  { "SSCAN", 1 },
	{ "STRLEN", 1 },	 { "SUBSTR", 1 },	  { "SUNION", 1 },	  { "SUNIONSTORE", 1 },
	{ "TOUCH", 1 },		 { "TTL", 1 },		  { "TYPE", 1 },	  { "UNLINK", 1 },
	{ "WATCH", 1 },		 { "XACK", 1 },		  { "XADD", 1 },	  { "XAUTOCLAIM", 1 },
	{ "XCLAIM", 1 },	 { "XDEL", 1 },		  { "XGROUP", 2 },	  { "XINFO", 2 },
	{ "XLEN", 1 },		 { "XPENDING", 1 },	  { "XRANGE", 1 },	  { "XREAD", KEY_STREAMS },
	{ "XREADGROUP", KEY_STREAMS }, { "XREVRANGE", 1 }, { "XSETID", 1 },	  { "XTRIM", 1 },
	{ "ZADD", 1 },		 { "ZCARD", 1 },	  { "ZCOUNT", 1 },	  { "ZDIFF", KEY_NUMKEYS_FIRST },
	{ "ZDIFFSTORE", 1 },	 { "ZINCRBY", 1 },	  { "ZINTER", KEY_NUMKEYS_FIRST },
	{ "ZINTERCARD", KEY_NUMKEYS_FIRST }, { "ZINTERSTORE", 1 }, { "ZLEXCOUNT", 1 },
	{ "ZMPOP", KEY_NUMKEYS_FIRST }, { "ZMSCORE", 1 },  { "ZPOPMAX", 1 },	  { "ZPOPMIN", 1 },
	{ "ZRANDMEMBER", 1 },	 { "ZRANGE", 1 },	  { "ZRANGEBYLEX", 1 },	  { "ZRANGEBYSCORE", 1 },
	{ "ZRANGESTORE", 1 },	 { "ZRANK", 1 },	  { "ZREM", 1 },	  { "ZREMRANGEBYLEX", 1 },
	{ "ZREMRANGEBYRANK", 1 }, { "ZREMRANGEBYSCORE", 1 }, { "ZREVRANGE", 1 },  { "ZREVRANGEBYLEX", 1 },
	{ "ZREVRANGEBYSCORE", 1 }, { "ZREVRANK", 1 },	  { "ZSCAN", 1 },	  { "ZSCORE", 1 },
	{ "ZUNION", KEY_NUMKEYS_FIRST }, { "ZUNIONSTORE", 1 },
};

/* Commands known without keys, for sniffing inline commands; the key table covers the rest. */
static const char *const keyless[] = {
	"PING",	  "ECHO",    "AUTH",	 "SELECT",  "MULTI",	   "EXEC",	 "DISCARD",
	"INFO",	  "CLIENT",  "CONFIG",	 "HELLO",   "FLUSHDB",	   "FLUSHALL",	 "DBSIZE",
	"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE",
	"PUBLISH", "SPUBLISH", "PUBSUB", "SCRIPT", "FUNCTION", "KEYS", "SCAN", "TIME",
	"QUIT",	  "RESET",   "COMMAND",	 "DEBUG",   "WAIT",	   "SAVE",	 "BGSAVE",
	"LASTSAVE", "MONITOR", "SLOWLOG", "ROLE",   "REPLICAOF",   "SLAVEOF",	 "CLUSTER",
	"READONLY", "READWRITE", "UNWATCH", "RANDOMKEY", "SWAPDB",  "MEMORY",	 "LATENCY",
	"ACL",	  "SHUTDOWN", "LOLWUT",	 "FAILOVER", "BGREWRITEAOF", "MODULE",	 "SYNC",
	"PSYNC",
};
/* clang-format on */

static int key_position(const char *cmd)
{
	for (size_t i = 0; i < sizeof(key_table) / sizeof(key_table[0]); i++)
		if (strcmp(key_table[i].name, cmd) == 0)
			return key_table[i].pos;
	return KEY_NONE;
}

static int known_command(const char *cmd)
{
	if (key_position(cmd) != KEY_NONE)
		return 1;
	for (size_t i = 0; i < sizeof(keyless) / sizeof(keyless[0]); i++)
		if (strcmp(keyless[i], cmd) == 0)
			return 1;
	return 0;
}

static void copy_str(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int ieq(const char *a, size_t n, const char *b)
{
	if (strlen(b) != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = a[i];

		if (c >= 'a' && c <= 'z')
			c -= 32;
		if (c != b[i])
			return 0;
	}
	return 1;
}

/* A whole decimal integer with an optional sign, or -1 (no digits, junk, or too long). */
static int parse_ll(const char *s, size_t n, long long *out)
{
	size_t i = 0;
	int neg = 0;
	long long v = 0;

	if (n > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n || n - i > 18)
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? -v : v;
	return 0;
}

/* ---- the FIFO ---------------------------------------------------------------------------- */

static int q_push(struct redis_conn *c, const struct pending *p)
{
	if (c->q_untracked || c->q_len >= RESP_MAX_PENDING) {
		c->q_untracked++;
		return 0;
	}
	if (c->q_len == c->q_cap) {
		size_t cap = c->q_cap ? c->q_cap * 2 : 16;
		struct pending *n = malloc(cap * sizeof(*n));

		if (!n) {
			c->q_untracked++;
			return 0;
		}
		for (size_t i = 0; i < c->q_len; i++)
			n[i] = c->q[(c->q_head + i) % c->q_cap];
		free(c->q);
		c->q = n;
		c->q_cap = cap;
		c->q_head = 0;
	}
	c->q[(c->q_head + c->q_len) % c->q_cap] = *p;
	c->q_len++;
	return 0;
}

static struct pending *q_front(struct redis_conn *c)
{
	return c->q_len ? &c->q[c->q_head] : NULL;
}

static void q_pop(struct redis_conn *c)
{
	c->q_head = (c->q_head + 1) % c->q_cap;
	c->q_len--;
}

/* ---- requests ---------------------------------------------------------------------------- */

static void rq_begin(struct redis_conn *c, uint64_t ts)
{
	struct rq *r = &c->rq;

	memset(&r->p, 0, sizeof(r->p));
	r->p.call.start_ns = ts;
	r->key_pos = KEY_NONE;
	r->arg = 0;
	r->cur_len = 0;
	r->started = 1;
}

/* One whole argument (its first 256 bytes in cur) of the command being read. */
static void rq_arg_done(struct redis_conn *c)
{
	struct rq *r = &c->rq;
	struct pending *p = &r->p;

	if (r->arg == 0) {
		size_t n = r->cur_len < sizeof(p->call.command) - 1 ? r->cur_len
								    : sizeof(p->call.command) - 1;

		for (size_t i = 0; i < n; i++) {
			char ch = r->cur[i];

			p->call.command[i] = ch >= 'a' && ch <= 'z' ? ch - 32 : ch;
		}
		p->call.command[n] = '\0';
		r->key_pos = key_position(p->call.command);
		const char *cmd = p->call.command;

		if (!strcmp(cmd, "MULTI"))
			p->kind = K_MULTI;
		else if (!strcmp(cmd, "EXEC"))
			p->kind = K_EXEC;
		else if (!strcmp(cmd, "DISCARD"))
			p->kind = K_DISCARD;
		else if (!strcmp(cmd, "HELLO"))
			p->kind = K_HELLO;
		else if (!strcmp(cmd, "RESET"))
			p->kind = K_RESET;
		else if (!strcmp(cmd, "SUBSCRIBE") || !strcmp(cmd, "UNSUBSCRIBE"))
			p->family = F_CHAN;
		else if (!strcmp(cmd, "PSUBSCRIBE") || !strcmp(cmd, "PUNSUBSCRIBE"))
			p->family = F_PAT;
		else if (!strcmp(cmd, "SSUBSCRIBE") || !strcmp(cmd, "SUNSUBSCRIBE"))
			p->family = F_SHARD;
		if (!strstr(cmd, "SUBSCRIBE"))
			p->family = F_NONE;
	} else {
		if (r->arg == r->key_pos)
			copy_str(p->call.key, sizeof(p->call.key), r->cur, r->cur_len);
		if (r->arg == 1 && p->kind == K_HELLO) {
			long long v;

			if (parse_ll(r->cur, r->cur_len, &v) == 0)
				p->hello_proto = (int)v;
		}
		/* EVAL script numkeys key...; ZUNION numkeys key...: a key only if numkeys > 0. */
		long long nk;

		if ((r->key_pos == KEY_NUMKEYS && r->arg == 2) ||
		    (r->key_pos == KEY_NUMKEYS_FIRST && r->arg == 1))
			r->key_pos = parse_ll(r->cur, r->cur_len, &nk) == 0 && nk > 0
					 ? (int)r->arg + 1
					 : KEY_NONE;
		else if (r->key_pos == KEY_STREAMS && ieq(r->cur, r->cur_len, "STREAMS"))
			r->key_pos = (int)r->arg + 1;
	}
	r->arg++;
	r->cur_len = 0;
}

static void rq_command_done(struct redis_conn *c, uint64_t req_bytes)
{
	struct pending *p = &c->rq.p;

	p->call.nargs = (int)c->rq.arg;
	p->call.request_bytes = req_bytes;
	if (p->family != F_NONE) {
		int unsub = strstr(p->call.command, "UNSUBSCRIBE") != NULL;

		p->kind = unsub && p->call.nargs == 1 ? K_UNSUB_ALL : K_SUB;
		p->confirmations = p->call.nargs - 1;
		if (p->kind == K_SUB && p->confirmations == 0)
			p->kind = K_PLAIN; /* SUBSCRIBE without a channel: an error reply */
	}
	q_push(c, p);
	c->rq.started = 0;
}

static void rq_cur_add(struct rq *r, const uint8_t *p, size_t n)
{
	size_t room = sizeof(r->cur) - r->cur_len;

	if (n > room)
		n = room;
	memcpy(r->cur + r->cur_len, p, n);
	r->cur_len += n;
}

int redis_feed_request(struct redis_conn *c, const uint8_t *p, size_t n, uint64_t ts_ns)
{
	struct rq *r = &c->rq;
	size_t i = 0;

	if (c->dead)
		return -1;
	while (i < n) {
		uint8_t ch = p[i];

		if (r->st == RQ_START) {
			rq_begin(c, ts_ns);
			if (ch == '*') {
				r->st = RQ_ARRAY_LINE;
				r->line_len = 0;
				r->line_long = 0;
				r->p.call.request_bytes = 1;
				i++;
			} else {
				r->st = RQ_INLINE;
				r->inline_len = 0;
				r->in_token = r->quote = r->escaped = 0;
			}
			continue;
		}
		r->p.call.request_bytes++;
		switch (r->st) {
		case RQ_ARRAY_LINE:
		case RQ_BULK_LINE:
			i++;
			if (ch != '\n') {
				if (r->line_len < sizeof(r->line))
					r->line[r->line_len++] = (char)ch;
				else
					r->line_long = 1;
				break;
			}
			long long v;
			size_t len = r->line_len;

			if (len && r->line[len - 1] == '\r')
				len--;
			if (r->line_long || parse_ll(r->line, len, &v) < 0)
				goto dead;
			r->line_len = 0;
			if (r->st == RQ_ARRAY_LINE) {
				/* *0 and *-1 are no command and get no reply. */
				if (v <= 0) {
					r->st = RQ_START;
					r->started = 0;
					break;
				}
				if (v > 0x7fffffff)
					goto dead;
				r->args_left = v;
				r->st = RQ_BULK_TYPE;
			} else {
				if (v < 0 || v > RESP_MAX_AGG)
					goto dead;
				r->bulk_left = v;
				r->st = v ? RQ_BULK_DATA : RQ_BULK_CR;
			}
			break;
		case RQ_BULK_TYPE:
			i++;
			if (ch != '$')
				goto dead;
			r->st = RQ_BULK_LINE;
			r->line_len = 0;
			r->line_long = 0;
			break;
		case RQ_BULK_DATA: {
			/* Values are skipped in place, whatever their size: only the start of an
			 * argument is kept (the command and key need no more). */
			size_t take = n - i < (uint64_t)r->bulk_left ? n - i : (size_t)r->bulk_left;

			rq_cur_add(r, p + i, take);
			r->bulk_left -= take;
			r->p.call.request_bytes += take - 1; /* one was counted above */
			i += take;
			if (r->bulk_left == 0)
				r->st = RQ_BULK_CR;
			break;
		}
		case RQ_BULK_CR:
			i++;
			if (ch != '\r')
				goto dead;
			r->st = RQ_BULK_LF;
			break;
		case RQ_BULK_LF:
			i++;
			if (ch != '\n')
				goto dead;
			rq_arg_done(c);
			if (--r->args_left == 0) {
				rq_command_done(c, r->p.call.request_bytes);
				r->st = RQ_START;
			} else {
				r->st = RQ_BULK_TYPE;
			}
			break;
		case RQ_INLINE:
			/* Redis splits an inline line as sdssplitargs does: blanks separate, quotes
			 * group, a backslash escapes inside double quotes. The line ends at '\n'
			 * whatever the quotes (unbalanced ones get an error reply). */
			i++;
			if (++r->inline_len > RESP_MAX_INLINE)
				goto dead;
			if (ch == '\n') {
				if (r->in_token)
					rq_arg_done(c);
				/* A blank line is no command and gets no reply. */
				if (r->arg)
					rq_command_done(c, r->p.call.request_bytes);
				r->started = 0;
				r->st = RQ_START;
			} else if (r->quote) {
				if (r->escaped) {
					r->escaped = 0;
					rq_cur_add(r, &ch, 1);
				} else if (ch == '\\' && r->quote == '"') {
					r->escaped = 1;
				} else if (ch == r->quote) {
					r->quote = 0;
				} else {
					rq_cur_add(r, &ch, 1);
				}
			} else if (ch == ' ' || ch == '\t' || ch == '\r') {
				if (r->in_token)
					rq_arg_done(c);
				r->in_token = 0;
			} else if ((ch == '"' || ch == '\'') && !r->in_token) {
				r->in_token = 1;
				r->quote = ch;
			} else {
				r->in_token = 1;
				rq_cur_add(r, &ch, 1);
			}
			break;
		case RQ_START:
		case RQ_DEAD:
			return -1;
		}
	}
	return 0;
dead:
	r->st = RQ_DEAD;
	c->dead = 1;
	return -1;
}

/* ---- replies ----------------------------------------------------------------------------- */

static void emit(struct redis_conn *c, struct redis_call *call)
{
	if (c->fn)
		c->fn(c->arg, call);
}

static void set_error(struct redis_call *call, const char *text, size_t n)
{
	size_t w = 0;

	call->is_error = 1;
	while (w < n && text[w] != ' ')
		w++;
	copy_str(call->error_type, sizeof(call->error_type), text, w);
	copy_str(call->error_message, sizeof(call->error_message), text, n);
}

static int family_of(const char *w, size_t n, int *unsub)
{
	static const char *const words[] = {"SUBSCRIBE",   "PSUBSCRIBE",   "SSUBSCRIBE",
					    "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"};

	for (int i = 0; i < 6; i++)
		if (ieq(w, n, words[i])) {
			*unsub = i >= 3;
			return i % 3;
		}
	return F_NONE;
}

/* A subscription confirmation ([p|s][un]subscribe, channel, count) for the request at the head. */
static void confirmation(struct redis_conn *c, int fam, int unsub, uint64_t ts)
{
	struct reply *rep = &c->rp.r;
	struct pending *h = q_front(c);
	long long total = rep->third_set ? rep->third : c->sub_total;

	if (!unsub && total > c->sub_total)
		c->subs[fam]++;
	if (unsub && total < c->sub_total && c->subs[fam] > 0)
		c->subs[fam]--;
	c->sub_total = total;
	h->call.response_bytes += rep->bytes;
	h->call.end_ns = ts;
	if ((h->kind == K_SUB && --h->confirmations <= 0) ||
	    (h->kind == K_UNSUB_ALL && c->subs[fam] == 0)) {
		struct redis_call call = h->call;

		q_pop(c);
		emit(c, &call);
	}
}

static void drop_queued(struct redis_conn *c)
{
	c->n_queued = 0;
	c->in_multi = 0;
}

/* One whole top-level value has been read. */
static void reply_done(struct redis_conn *c, uint64_t ts)
{
	struct reply *rep = &c->rp.r;
	struct pending *h = q_front(c);
	int unsub = 0;
	int fam = rep->first_set ? family_of(rep->first, rep->first_len, &unsub) : F_NONE;

	if ((rep->type == '>' || rep->type == '*') && fam != F_NONE && h && h->family == fam &&
	    (h->kind == K_SUB || h->kind == K_UNSUB_ALL)) {
		confirmation(c, fam, unsub, ts);
		return;
	}
	if (rep->type == '>')
		return; /* out-of-band: messages, invalidations */
	if (rep->type == '*' && c->proto != 3 && c->sub_total > 0 && rep->first_set &&
	    (ieq(rep->first, rep->first_len, "MESSAGE") ||
	     ieq(rep->first, rep->first_len, "PMESSAGE") ||
	     ieq(rep->first, rep->first_len, "SMESSAGE")))
		return; /* a RESP2 message while subscribed */
	if (!h) {
		if (c->q_untracked)
			c->q_untracked--;
		return;
	}

	struct pending p = *h;

	q_pop(c);
	p.call.response_bytes += rep->bytes;
	p.call.end_ns = ts;
	if (rep->is_error)
		set_error(&p.call, rep->text, rep->text_len);

	switch (p.kind) {
	case K_MULTI:
		if (!rep->is_error)
			c->in_multi = 1, c->n_queued = 0;
		break;
	case K_EXEC:
		/* The queued commands ran only when EXEC answers with an array. */
		if (c->in_multi && rep->type == '*' && !rep->is_null)
			for (size_t i = 0; i < c->n_queued; i++) {
				c->queued[i].call.end_ns = ts;
				emit(c, &c->queued[i].call);
			}
		drop_queued(c);
		break;
	case K_DISCARD:
		drop_queued(c);
		break;
	case K_HELLO:
		if (!rep->is_error && (p.hello_proto == 2 || p.hello_proto == 3))
			c->proto = p.hello_proto;
		break;
	case K_RESET:
		c->proto = 2;
		c->subs[0] = c->subs[1] = c->subs[2] = 0;
		c->sub_total = 0;
		drop_queued(c);
		break;
	default:
		break;
	}
	if (c->in_multi && p.kind != K_MULTI && !rep->is_error && rep->type == '+' &&
	    ieq(rep->text, rep->text_len, "QUEUED")) {
		if (!c->queued)
			c->queued = malloc(RESP_MAX_QUEUED * sizeof(*c->queued));
		if (c->queued && c->n_queued < RESP_MAX_QUEUED) {
			c->queued[c->n_queued++] = p;
			return;
		}
	}
	emit(c, &p.call);
}

/* A value nested in a top-level aggregate has been read: the hooks that look at elements. */
static void element_done(struct redis_conn *c, long long idx)
{
	struct rp *rp = &c->rp;
	struct pending *h = q_front(c);

	/* An error inside EXEC's array belongs to the queued command at that index. */
	if (rp->r.elem_error && h && h->kind == K_EXEC && c->in_multi &&
	    idx < (long long)c->n_queued)
		set_error(&c->queued[idx].call, rp->r.elem_text, rp->r.elem_text_len);
	rp->r.elem_error = 0;
	rp->r.elem_text_len = 0;
}

/* A value at the current depth is complete; climb while that completes aggregates. */
static void value_done(struct redis_conn *c, int was_attr, uint64_t ts)
{
	struct rp *rp = &c->rp;

	for (;;) {
		if (rp->sp == 0) {
			if (!was_attr) {
				reply_done(c, ts);
				rp->in_value = 0;
			}
			return;
		}
		if (was_attr)
			return; /* an attribute annotates the value that follows it in the same slot
				 */
		struct frame *f = &rp->stack[rp->sp - 1];

		if (rp->sp == 1 && f->type != '|')
			element_done(c, f->total - f->left);
		if (--f->left > 0)
			return;
		was_attr = f->type == '|';
		rp->sp--;
	}
}

/* Index of the element being read in a top-level aggregate (not an attribute), or -1. */
static long long top_idx(const struct rp *rp)
{
	if (rp->sp != 1 || rp->stack[0].type == '|')
		return -1;
	return rp->stack[0].total - rp->stack[0].left;
}

/* Where the text of a value starting now goes: a top-level error or simple string, an error in
 * a top-level aggregate, the first element of one when it is a string. Nothing under an
 * attribute. */
static int capture_for(const struct rp *rp, char type)
{
	for (int i = 0; i < rp->sp; i++)
		if (rp->stack[i].type == '|')
			return CAP_NONE;
	if (rp->sp == 0)
		return strchr("+-!", type) ? CAP_TEXT : CAP_NONE;
	if (top_idx(rp) >= 0 && (type == '-' || type == '!'))
		return CAP_ELEM;
	if (top_idx(rp) == 0 && (type == '+' || type == '$'))
		return CAP_FIRST;
	return CAP_NONE;
}

static size_t *capture_len(struct rp *rp)
{
	switch (rp->capture) {
	case CAP_TEXT:
		return &rp->r.text_len;
	case CAP_FIRST:
		return &rp->r.first_len;
	case CAP_ELEM:
		return &rp->r.elem_text_len;
	}
	return NULL;
}

static void rp_capture(struct rp *rp, const uint8_t *p, size_t n)
{
	size_t *len = capture_len(rp);
	char *dst;
	size_t cap;

	if (!len)
		return;
	if (rp->capture == CAP_TEXT)
		dst = rp->r.text, cap = sizeof(rp->r.text) - 1;
	else if (rp->capture == CAP_FIRST)
		dst = rp->r.first, cap = sizeof(rp->r.first);
	else
		dst = rp->r.elem_text, cap = sizeof(rp->r.elem_text) - 1;
	if (n > cap - *len)
		n = cap - *len;
	memcpy(dst + *len, p, n);
	*len += n;
}

/* A type byte and its line are read: decide what the value is. */
static int rp_line_done(struct redis_conn *c, uint64_t ts)
{
	struct rp *rp = &c->rp;
	size_t len = rp->line_len;
	long long v = 0;
	char t = rp->type;

	if (len && rp->line[len - 1] == '\r')
		len--;
	switch (t) {
	case '+':
	case '-':
	case ',':
	case '(':
		if (rp->capture == CAP_ELEM)
			rp->r.elem_error = 1;
		if (rp->capture == CAP_FIRST)
			rp->r.first_set = 1;
		value_done(c, 0, ts);
		return 0;
	case ':':
		if (rp->line_long || parse_ll(rp->line, len, &v) < 0)
			return -1;
		if (top_idx(rp) == 2) {
			rp->r.third = v;
			rp->r.third_set = 1;
		}
		value_done(c, 0, ts);
		return 0;
	case '_':
		if (len != 0)
			return -1;
		rp->r.is_null |= rp->sp == 0;
		if (top_idx(rp) == 1)
			rp->r.second_nil = 1;
		value_done(c, 0, ts);
		return 0;
	case '#':
		if (len != 1 || (rp->line[0] != 't' && rp->line[0] != 'f'))
			return -1;
		value_done(c, 0, ts);
		return 0;
	}
	/* Everything else has a length or a count; RESP3 streamed ones ('?') are not followed. */
	if (rp->line_long || parse_ll(rp->line, len, &v) < 0)
		return -1;
	if (v == -1 && (t == '$' || t == '*')) { /* RESP2 nulls */
		rp->r.is_null |= rp->sp == 0;
		if (top_idx(rp) == 1)
			rp->r.second_nil = 1;
		value_done(c, 0, ts);
		return 0;
	}
	if (v < 0 || v > RESP_MAX_AGG)
		return -1;
	if (t == '$' || t == '!' || t == '=') {
		if (rp->capture == CAP_FIRST)
			rp->r.first_set = 1;
		if (rp->capture == CAP_ELEM)
			rp->r.elem_error = 1;
		rp->bulk_left = v;
		rp->st = v ? RP_BULK_DATA : RP_BULK_CR;
		return 0;
	}
	if (t == '%' || t == '|')
		v *= 2;
	if (v == 0) {
		value_done(c, t == '|', ts);
		return 0;
	}
	if (rp->sp == RESP_MAX_DEPTH)
		return -1;
	rp->stack[rp->sp].type = t;
	rp->stack[rp->sp].total = rp->stack[rp->sp].left = v;
	rp->sp++;
	return 0;
}

int redis_feed_reply(struct redis_conn *c, const uint8_t *p, size_t n, uint64_t ts_ns)
{
	struct rp *rp = &c->rp;
	size_t i = 0;

	if (c->dead)
		return -1;
	while (i < n) {
		uint8_t ch = p[i];

		if (!rp->in_value) {
			memset(&rp->r, 0, sizeof(rp->r));
			rp->in_value = 1;
		}
		switch (rp->st) {
		case RP_TYPE:
			if (ch == 0 || !strchr("+-:$*_#,(!=%~>|", ch))
				goto dead;
			/* The first type at the top that is not an attribute names the reply. */
			if (rp->sp == 0 && ch != '|') {
				rp->r.type = (char)ch;
				rp->r.is_error = ch == '-' || ch == '!';
			}
			rp->type = (char)ch;
			rp->capture = capture_for(rp, (char)ch);
			rp->line_len = 0;
			rp->line_long = 0;
			rp->line_total = 0;
			rp->st = RP_LINE;
			rp->r.bytes++;
			i++;
			break;
		case RP_LINE: {
			const uint8_t *nl = memchr(p + i, '\n', n - i);
			size_t take = nl ? (size_t)(nl - (p + i)) : n - i;

			/* Simple strings and errors may be long: keep their start, skip the rest.
			 */
			if (rp->type == '+' || rp->type == '-')
				rp_capture(rp, p + i, take);
			for (size_t k = 0; k < take && rp->line_len < sizeof(rp->line); k++)
				rp->line[rp->line_len++] = (char)p[i + k];
			if (take) {
				rp->line_long |= rp->line_total + take > sizeof(rp->line);
				rp->line_last = p[i + take - 1];
			}
			rp->line_total += take;
			rp->r.bytes += take;
			i += take;
			if (!nl)
				break;
			i++;
			rp->r.bytes++;
			rp->st = RP_TYPE;
			/* The '\r' before '\n' is not text; it was captured only if all of it was.
			 */
			size_t *cl = capture_len(rp);

			if (cl && rp->line_total && rp->line_last == '\r' && *cl == rp->line_total)
				(*cl)--;
			if (rp_line_done(c, ts_ns) < 0)
				goto dead;
			break;
		}
		case RP_BULK_DATA: {
			size_t take =
			    n - i < (uint64_t)rp->bulk_left ? n - i : (size_t)rp->bulk_left;

			rp_capture(rp, p + i, take);
			rp->bulk_left -= take;
			rp->r.bytes += take;
			i += take;
			if (rp->bulk_left == 0)
				rp->st = RP_BULK_CR;
			break;
		}
		case RP_BULK_CR:
			if (ch != '\r')
				goto dead;
			rp->r.bytes++;
			i++;
			rp->st = RP_BULK_LF;
			break;
		case RP_BULK_LF:
			if (ch != '\n')
				goto dead;
			rp->r.bytes++;
			i++;
			rp->st = RP_TYPE;
			value_done(c, 0, ts_ns);
			break;
		case RP_DEAD:
			return -1;
		}
	}
	return 0;
dead:
	rp->st = RP_DEAD;
	c->dead = 1;
	return -1;
}

/* ---- connection -------------------------------------------------------------------------- */

struct redis_conn *redis_conn_new(redis_call_fn fn, void *arg)
{
	struct redis_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fn = fn;
	c->arg = arg;
	c->proto = 2;
	return c;
}

void redis_conn_free(struct redis_conn *c)
{
	if (!c)
		return;
	free(c->q);
	free(c->queued);
	free(c);
}

int redis_sniff(const uint8_t *p, size_t n)
{
	size_t i = 1;

	if (n == 0)
		return 0;
	if (p[0] == '*') {
		/* "*<count>\r\n$": as much of it as the chunk holds. */
		if (i < n && (p[i] < '1' || p[i] > '9'))
			return 0;
		while (i < n && i < 12 && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i < n && p[i++] != '\r')
			return 0;
		if (i < n && p[i++] != '\n')
			return 0;
		return i >= n || p[i] == '$';
	}
	/* Inline: a known command word, then a blank or the end of the line. */
	char word[24];
	size_t w = 0;

	for (i = 0; i < n && w < sizeof(word) - 1; i++) {
		char ch = (char)p[i];

		if (ch == ' ' || ch == '\r' || ch == '\n')
			break;
		word[w++] = ch >= 'a' && ch <= 'z' ? ch - 32 : ch;
	}
	word[w] = '\0';
	if (i == n || w == 0 || !known_command(word))
		return 0;
	/* "GET / HTTP/1.1" is a web request, not Redis. */
	const uint8_t *nl = memchr(p, '\n', n);
	size_t line = nl ? (size_t)(nl - p) : n;

	for (size_t k = 0; k + 7 <= line; k++)
		if (memcmp(p + k, "HTTP/1.", 7) == 0 || memcmp(p + k, "HTTP/2", 6) == 0)
			return 0;
	return 1;
}
