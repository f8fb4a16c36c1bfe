// SPDX-License-Identifier: BSD-2-Clause
/* PostgreSQL protocol v3 follower: frames both directions incrementally (bodies skipped, only the
 * few fields a span needs are kept) and pairs responses with requests FIFO, as the server does. */
#include "proto/pgwire.h"
#include "proto/sql_sanitize.h"

#include <stdlib.h>
#include <string.h>

#define PG_MAX_MSG     0x3fffffffu /* the server's own limit for one message (1 GB) */
#define PG_MAX_STARTUP 10000u	   /* MAX_STARTUP_PACKET_LENGTH */
#define PG_QUERY_CAP   8192 /* statement text kept for sanitizing; longer is cut with "..." */
#define PG_NAME_CAP    64   /* statement and portal names (NAMEDATALEN) */
#define PG_MAX_STMTS   256  /* named prepared statements remembered; the oldest is forgotten */
#define PG_MAX_PORTALS 16
#define PG_MAX_PENDING 4096 /* requests in flight; a longer pipeline is not followed */

#define PG_PROTO_3	  196608u
#define PG_SSL_REQUEST	  80877103u
#define PG_GSSENC_REQUEST 80877104u
#define PG_CANCEL_REQUEST 80877102u

/* One framed message being read: a header (type byte unless startup, then int32 length), then
 * a body of which only the first `cap` bytes are kept. */
struct reader {
	uint8_t hdr[5];
	unsigned hdr_len;
	int untyped; /* startup-phase messages have no type byte */
	char type;
	uint32_t body_len, body_read;
	size_t cap, kept;
	uint64_t start_ns; /* when the message's first byte arrived */
	uint8_t *buf;
};

/* Statement text as a call reports it. */
struct stmt {
	char name[PG_NAME_CAP];
	char op[32];
	char query[sizeof(((struct pg_call *)0)->query)];
};

enum pend_kind {
	PK_QUERY,
	PK_PARSE,
	PK_BIND,
	PK_DESC_STMT,
	PK_DESC_PORTAL,
	PK_EXECUTE,
	PK_CLOSE,
	PK_SYNC,
	PK_FUNC
};

struct pending {
	enum pend_kind kind;
	int got_paramdesc;    /* Describe of a statement: 't' seen, 'T' or 'n' still to come */
	struct pg_call *call; /* Query, Execute, FunctionCall */
	struct stmt *parsed;  /* Parse: its statement, reported if the Parse itself fails */
};

struct pg_conn {
	pg_call_fn fn;
	void *arg;
	struct reader fe, be;
	uint8_t fe_buf[PG_NAME_CAP + PG_QUERY_CAP + 8];
	uint8_t be_buf[1024];
	int startup_done; /* frontend: typed messages from now on */
	int await_answer; /* backend: a single-byte answer to SSLRequest/GSSENCRequest comes next */
	int is_pg, dead, terminated;
	char user[64], database[64];

	struct pending *q; /* ring */
	size_t q_cap, q_head, q_len;
	uint64_t q_seq;	     /* sequence number of the entry at q_head */
	uint64_t last_exec;  /* seq + 1 of the last Execute before a Sync, 0 none */
	uint64_t last_query; /* seq + 1 of the last Query/FunctionCall, for COPY data */
	int discarding;	     /* the server skips extended messages until the client's Sync */

	uint64_t fe_acc, fe_acc_ns; /* request bytes not yet given to a call, and their start */
	uint64_t be_acc;	    /* response bytes since the last call completed */

	struct stmt *stmts[PG_MAX_STMTS];
	unsigned stmt_next;
	struct stmt *portals[PG_MAX_PORTALS];
	unsigned portal_next;
};

/* Is type one of set? (strchr alone would also match the NUL byte.) */
static int in_set(char type, const char *set)
{
	return type && strchr(set, type) != NULL;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void copy_cstr(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	size_t k = 0;

	while (k < n && src[k] && k + 1 < cap) {
		dst[k] = (char)src[k];
		k++;
	}
	dst[k] = '\0';
}

/* The length of the NUL-terminated string at p (at most n: a string the capture cut). */
static size_t cstr_len(const uint8_t *p, size_t n)
{
	const uint8_t *z = memchr(p, 0, n);

	return z ? (size_t)(z - p) : n;
}

/* ---- statements and portals ------------------------------------------------------------ */

static struct stmt **find_named(struct stmt **tab, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (tab[i] && strcmp(tab[i]->name, name) == 0)
			return &tab[i];
	return NULL;
}

/* Store under name, replacing an entry of that name or the oldest one. */
static struct stmt *put_named(struct stmt **tab, unsigned n, unsigned *next, const char *name)
{
	struct stmt **slot = find_named(tab, n, name);

	if (!slot) {
		for (unsigned i = 0; i < n && !slot; i++)
			if (!tab[i])
				slot = &tab[i];
		if (!slot) {
			slot = &tab[*next % n];
			*next = (*next + 1) % n;
		}
	}
	if (!*slot)
		*slot = malloc(sizeof(**slot));
	if (*slot)
		copy_cstr((*slot)->name, sizeof((*slot)->name), (const uint8_t *)name,
			  strlen(name));
	return *slot;
}

static void drop_named(struct stmt **tab, unsigned n, const char *name)
{
	struct stmt **slot = find_named(tab, n, name);

	if (slot) {
		free(*slot);
		*slot = NULL;
	}
}

/* Sanitize statement text that may have been cut at the capture bound. */
static void set_query(char *op, size_t opcap, char *out, size_t outcap, const uint8_t *q, size_t n,
		      int cut)
{
	sql_sanitize((const char *)q, n, out, outcap, op, opcap);
	if (cut) {
		size_t l = strlen(out);

		if (l < 3 || strcmp(out + l - 3, "...") != 0) {
			if (l + 3 >= outcap)
				l = outcap - 4;
			memcpy(out + l, "...", 4);
		}
	}
}

/* ---- the FIFO ---------------------------------------------------------------------------- */

static struct pending *q_at(struct pg_conn *c, size_t i)
{
	return &c->q[(c->q_head + i) % c->q_cap];
}

static struct pending *q_by_seq(struct pg_conn *c, uint64_t seq1)
{
	if (seq1 == 0 || seq1 - 1 < c->q_seq || seq1 - 1 >= c->q_seq + c->q_len)
		return NULL;
	return q_at(c, seq1 - 1 - c->q_seq);
}

static int q_push(struct pg_conn *c, struct pending *p)
{
	if (c->q_len >= PG_MAX_PENDING)
		return -1;
	if (c->q_len == c->q_cap) {
		size_t cap = c->q_cap ? c->q_cap * 2 : 16;
		struct pending *n = malloc(cap * sizeof(*n));

		if (!n)
			return -1;
		for (size_t i = 0; i < c->q_len; i++)
			n[i] = *q_at(c, i);
		free(c->q);
		c->q = n;
		c->q_cap = cap;
		c->q_head = 0;
	}
	c->q[(c->q_head + c->q_len) % c->q_cap] = *p;
	c->q_len++;
	return 0;
}

static void pending_free(struct pending *p)
{
	free(p->call);
	free(p->parsed);
}

static void q_pop(struct pg_conn *c)
{
	pending_free(q_at(c, 0));
	c->q_head = (c->q_head + 1) % c->q_cap;
	c->q_len--;
	c->q_seq++;
}

/* ---- frontend messages ------------------------------------------------------------------- */

static struct pg_call *new_call(struct pg_conn *c, uint64_t msg_bytes, uint64_t msg_ns)
{
	struct pg_call *call = calloc(1, sizeof(*call));

	if (!call)
		return NULL;
	call->request_bytes = c->fe_acc + msg_bytes;
	call->start_ns = c->fe_acc ? c->fe_acc_ns : msg_ns;
	c->fe_acc = 0;
	return call;
}

static void acc_request(struct pg_conn *c, uint64_t bytes, uint64_t ns)
{
	if (c->fe_acc == 0)
		c->fe_acc_ns = ns;
	c->fe_acc += bytes;
}

static int startup_message(struct pg_conn *c, const uint8_t *b, size_t kept, uint32_t len)
{
	uint32_t code;

	if (len < 4)
		return -1;
	code = be32(b);
	if (code == PG_SSL_REQUEST || code == PG_GSSENC_REQUEST) {
		if (len != 4)
			return -1;
		c->await_answer = 1;
		c->is_pg = 1;
		return 0;
	}
	if (code == PG_CANCEL_REQUEST) {
		/* A cancel connection carries nothing else. */
		c->is_pg = 1;
		c->terminated = 1;
		return len == 12 ? 0 : -1;
	}
	if (code >> 16 != 3)
		return -1;
	/* key\0value\0 ... \0 */
	for (size_t i = 4; i < kept && b[i];) {
		size_t kl = cstr_len(b + i, kept - i);
		size_t vi = i + kl + 1;

		if (vi >= kept)
			break;
		size_t vl = cstr_len(b + vi, kept - vi);

		if (kl == 4 && memcmp(b + i, "user", 4) == 0)
			copy_cstr(c->user, sizeof(c->user), b + vi, vl);
		else if (kl == 8 && memcmp(b + i, "database", 8) == 0)
			copy_cstr(c->database, sizeof(c->database), b + vi, vl);
		i = vi + vl + 1;
	}
	if (!c->database[0])
		memcpy(c->database, c->user, sizeof(c->database)); /* the server's default */
	c->is_pg = 1;
	c->startup_done = 1;
	return 0;
}

/* A frontend message that the server answers. */
static int push_extended(struct pg_conn *c, struct pending *p)
{
	if (q_push(c, p) < 0) {
		pending_free(p);
		return -1;
	}
	return 0;
}

static int frontend_message(struct pg_conn *c, char type, const uint8_t *b, size_t kept,
			    uint32_t len, uint64_t ns)
{
	uint64_t bytes = (uint64_t)len + 5;
	struct pending p = {0};
	struct pending *last;
	char name[PG_NAME_CAP];

	/* While the server skips to Sync after an extended-protocol error it ignores every message,
	 * a simple Query included (ignore_till_sync in postgres.c). */
	if (c->discarding && in_set(type, "QFPBDCEHdcf"))
		return 0;
	switch (type) {
	case 'Q': {
		size_t ql = cstr_len(b, kept);

		p.kind = PK_QUERY;
		p.call = new_call(c, bytes, ns);
		if (!p.call)
			return -1;
		set_query(p.call->operation, sizeof(p.call->operation), p.call->query,
			  sizeof(p.call->query), b, ql, ql == kept && kept < len);
		if (q_push(c, &p) < 0) {
			pending_free(&p);
			return -1;
		}
		c->last_query = c->q_seq + c->q_len;
		return 0;
	}
	case 'F':
		p.kind = PK_FUNC;
		p.call = new_call(c, bytes, ns);
		if (!p.call || q_push(c, &p) < 0) {
			pending_free(&p);
			return -1;
		}
		c->last_query = c->q_seq + c->q_len;
		return 0;
	case 'P': {
		size_t nl = cstr_len(b, kept);
		size_t qi = nl + 1 < kept ? nl + 1 : kept;
		size_t ql = cstr_len(b + qi, kept - qi);
		struct stmt *s;

		acc_request(c, bytes, ns);
		copy_cstr(name, sizeof(name), b, nl);
		s = put_named(c->stmts, PG_MAX_STMTS, &c->stmt_next, name);
		if (!s)
			return -1;
		set_query(s->op, sizeof(s->op), s->query, sizeof(s->query), b + qi, ql,
			  qi + ql == kept && kept < len);
		p.kind = PK_PARSE;
		p.parsed = malloc(sizeof(*p.parsed));
		if (!p.parsed)
			return -1;
		*p.parsed = *s;
		return push_extended(c, &p);
	}
	case 'B': {
		size_t pl = cstr_len(b, kept);
		size_t si = pl + 1 < kept ? pl + 1 : kept;
		char sname[PG_NAME_CAP];
		struct stmt **s, *portal;

		acc_request(c, bytes, ns);
		copy_cstr(name, sizeof(name), b, pl);
		copy_cstr(sname, sizeof(sname), b + si, cstr_len(b + si, kept - si));
		s = find_named(c->stmts, PG_MAX_STMTS, sname);
		portal = put_named(c->portals, PG_MAX_PORTALS, &c->portal_next, name);
		if (!portal)
			return -1;
		if (s) {
			memcpy(portal->op, (*s)->op, sizeof(portal->op));
			memcpy(portal->query, (*s)->query, sizeof(portal->query));
		} else {
			portal->op[0] = portal->query[0] = '\0';
		}
		p.kind = PK_BIND;
		return push_extended(c, &p);
	}
	case 'D':
		acc_request(c, bytes, ns);
		if (kept < 1 || (b[0] != 'S' && b[0] != 'P'))
			return -1;
		p.kind = b[0] == 'S' ? PK_DESC_STMT : PK_DESC_PORTAL;
		return push_extended(c, &p);
	case 'C':
		acc_request(c, bytes, ns);
		if (kept < 1 || (b[0] != 'S' && b[0] != 'P'))
			return -1;
		copy_cstr(name, sizeof(name), b + 1, cstr_len(b + 1, kept - 1));
		if (b[0] == 'S')
			drop_named(c->stmts, PG_MAX_STMTS, name);
		else
			drop_named(c->portals, PG_MAX_PORTALS, name);
		p.kind = PK_CLOSE;
		return push_extended(c, &p);
	case 'E': {
		struct stmt **portal;

		copy_cstr(name, sizeof(name), b, cstr_len(b, kept));
		portal = find_named(c->portals, PG_MAX_PORTALS, name);
		p.kind = PK_EXECUTE;
		p.call = new_call(c, bytes, ns);
		if (!p.call)
			return -1;
		if (portal) {
			memcpy(p.call->operation, (*portal)->op, sizeof(p.call->operation));
			memcpy(p.call->query, (*portal)->query, sizeof(p.call->query));
		}
		if (q_push(c, &p) < 0) {
			pending_free(&p);
			return -1;
		}
		c->last_exec = c->q_seq + c->q_len;
		return 0;
	}
	case 'S':
	case 'H':
		/* Sync and Flush close the batch: their bytes go to its last Execute. */
		last = q_by_seq(c, c->last_exec);
		if (last && last->call)
			last->call->request_bytes += bytes;
		if (type == 'H')
			return 0;
		c->last_exec = 0;
		c->discarding = 0;
		p.kind = PK_SYNC;
		if (q_push(c, &p) < 0)
			return -1;
		return 0;
	case 'd':
	case 'c':
	case 'f':
		/* COPY FROM STDIN data belongs to the query that asked for it. */
		last = q_by_seq(c, c->last_query);
		if (last && last->call)
			last->call->request_bytes += bytes;
		return 0;
	case 'p': /* password, SASL: not a call */
		return 0;
	case 'X':
		c->terminated = 1;
		return 0;
	}
	return -1;
}

/* ---- backend messages -------------------------------------------------------------------- */

static void emit(struct pg_conn *c, struct pg_call *call, uint64_t ns)
{
	call->response_bytes = c->be_acc;
	call->end_ns = ns;
	c->be_acc = 0;
	if (c->fn)
		c->fn(c->arg, call);
}

static void error_fields(struct pg_call *call, const uint8_t *b, size_t kept)
{
	call->is_error = 1;
	for (size_t i = 0; i < kept && b[i];) {
		char code = (char)b[i++];
		size_t l = cstr_len(b + i, kept - i);

		if (code == 'C')
			copy_cstr(call->sqlstate, sizeof(call->sqlstate), b + i, l);
		else if (code == 'M')
			copy_cstr(call->message, sizeof(call->message), b + i, l);
		i += l + 1;
	}
}

/* An ErrorResponse to an extended-protocol message: the server drops everything up to the
 * client's Sync. The call that failed is the first Execute before that Sync (its Parse or Bind
 * may be what failed); a Parse that fails with no Execute after it is reported for its own
 * statement. The Executes skipped after it are not calls: they never ran. */
static void extended_error(struct pg_conn *c, const uint8_t *b, size_t kept, uint64_t ns)
{
	struct pg_call *call = NULL;
	struct pending *head = q_at(c, 0);
	size_t i;

	for (i = 0; i < c->q_len && q_at(c, i)->kind != PK_SYNC; i++)
		if (!call && q_at(c, i)->kind == PK_EXECUTE) {
			call = q_at(c, i)->call;
			q_at(c, i)->call = NULL;
		}
	if (!call && head->kind == PK_PARSE && head->parsed) {
		call = calloc(1, sizeof(*call));
		if (call) {
			memcpy(call->operation, head->parsed->op, sizeof(call->operation));
			memcpy(call->query, head->parsed->query, sizeof(call->query));
		}
	}
	if (call) {
		error_fields(call, b, kept);
		emit(c, call, ns);
		free(call);
	}
	/* Nothing of the rest up to the Sync gets an answer. */
	while (c->q_len && q_at(c, 0)->kind != PK_SYNC)
		q_pop(c);
	if (c->q_len == 0)
		c->discarding = 1;
}

static int backend_message(struct pg_conn *c, char type, const uint8_t *b, size_t kept,
			   uint32_t len, uint64_t ns)
{
	struct pending *h = c->q_len ? q_at(c, 0) : NULL;

	/* Asynchronous at any time: notices, notifications, parameter changes. */
	if (type == 'N' || type == 'A' || type == 'S')
		return 0;
	if (!h) {
		/* Startup (authentication, key data, the first ReadyForQuery, a FATAL error)
		 * answers no call. */
		c->be_acc = 0;
		return in_set(type, "RKZEv") ? 0 : -1;
	}
	switch (h->kind) {
	case PK_QUERY:
	case PK_FUNC:
		switch (type) {
		case 'C':
			if (!h->call->command_tag[0])
				copy_cstr(h->call->command_tag, sizeof(h->call->command_tag), b,
					  kept);
			return 0;
		case 'E':
			if (!h->call->is_error)
				error_fields(h->call, b, kept);
			return 0;
		case 'Z':
			emit(c, h->call, ns);
			q_pop(c);
			return 0;
		}
		return in_set(type, "TDIGHWdcV") ? 0 : -1;
	case PK_EXECUTE:
		switch (type) {
		case 'C':
			copy_cstr(h->call->command_tag, sizeof(h->call->command_tag), b, kept);
			/* fall through */
		case 'I':
		case 's':
			emit(c, h->call, ns);
			q_pop(c);
			return 0;
		case 'E':
			extended_error(c, b, kept, ns);
			return 0;
		}
		return in_set(type, "DGHWdc") ? 0 : -1;
	case PK_SYNC:
		if (type == 'Z') {
			q_pop(c);
			c->be_acc = 0;
			return 0;
		}
		/* An error at Sync (the implicit COMMIT failing) has no Execute left to blame. */
		return type == 'E' ? 0 : -1;
	default:
		break;
	}
	if (type == 'E') {
		extended_error(c, b, kept, ns);
		return 0;
	}
	switch (h->kind) {
	case PK_PARSE:
		if (type != '1')
			return -1;
		break;
	case PK_BIND:
		if (type != '2')
			return -1;
		break;
	case PK_CLOSE:
		if (type != '3')
			return -1;
		break;
	case PK_DESC_STMT:
		if (type == 't' && !h->got_paramdesc) {
			h->got_paramdesc = 1;
			return 0;
		}
		if (!h->got_paramdesc || (type != 'T' && type != 'n'))
			return -1;
		break;
	case PK_DESC_PORTAL:
		if (type != 'T' && type != 'n')
			return -1;
		break;
	default:
		return -1;
	}
	q_pop(c);
	return 0;
}

/* ---- framing ----------------------------------------------------------------------------- */

/* Feed bytes to one direction's reader; calls on_msg for each whole message. Returns 0 or -1. */
static int read_messages(struct pg_conn *c, struct reader *r, int frontend, const uint8_t *p,
			 size_t n, uint64_t ns)
{
	size_t i = 0;

	while (i < n) {
		if (c->dead)
			return -1;
		if (!frontend && c->await_answer) {
			/* 'N': go on in plaintext. 'S'/'G': TLS or GSSAPI encryption follows. */
			c->await_answer = 0;
			if (p[i++] != 'N')
				return -1;
			continue;
		}
		if (frontend && c->terminated)
			return -1;
		unsigned hdr_need = r->untyped ? 4 : 5;

		if (r->hdr_len < hdr_need) {
			if (r->hdr_len == 0)
				r->start_ns = ns;
			r->hdr[r->hdr_len++] = p[i++];
			if (r->hdr_len < hdr_need)
				continue;
			uint32_t len = be32(r->hdr + hdr_need - 4);

			r->type = r->untyped ? 0 : (char)r->hdr[0];
			if (len < 4 || len > (r->untyped ? PG_MAX_STARTUP : PG_MAX_MSG) ||
			    (r->untyped && len < 8))
				return -1;
			r->body_len = len - 4;
			r->body_read = 0;
			r->kept = 0;
			/* Keep only what the handlers read: statement text, names, the tag and the
			 * error fields; row data, parameters and COPY data pass uncopied. */
			switch (r->type) {
			case 0:
				r->cap = frontend ? sizeof(c->fe_buf) : 0;
				break;
			case 'Q':
			case 'P':
				r->cap = frontend ? sizeof(c->fe_buf) : 0;
				break;
			case 'B':
			case 'D':
				r->cap = frontend ? 4 * PG_NAME_CAP : 0;
				break;
			case 'E':
			case 'C':
				r->cap = frontend ? 4 * PG_NAME_CAP : sizeof(c->be_buf);
				break;
			default:
				r->cap = 0;
			}
		} else {
			size_t take = n - i;

			if (take > r->body_len - r->body_read)
				take = r->body_len - r->body_read;
			if (r->kept < r->cap) {
				size_t k = take < r->cap - r->kept ? take : r->cap - r->kept;

				memcpy(r->buf + r->kept, p + i, k);
				r->kept += k;
			}
			r->body_read += take;
			i += take;
		}
		if (r->body_read < r->body_len)
			continue;
		/* A whole message. */
		int rc;
		char type = r->type;

		r->hdr_len = 0;
		if (r->untyped) {
			rc = startup_message(c, r->buf, r->kept, r->body_len);
			if (c->startup_done)
				r->untyped = 0;
		} else if (frontend) {
			rc = frontend_message(c, type, r->buf, r->kept, r->body_len, r->start_ns);
		} else {
			if (c->q_len)
				c->be_acc += (uint64_t)r->body_len + 5;
			rc = backend_message(c, type, r->buf, r->kept, r->body_len, ns);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

int pg_feed_frontend(struct pg_conn *c, const uint8_t *p, size_t n, uint64_t ts_ns)
{
	if (c->dead)
		return -1;
	if (read_messages(c, &c->fe, 1, p, n, ts_ns) < 0) {
		c->dead = 1;
		return -1;
	}
	return 0;
}

int pg_feed_backend(struct pg_conn *c, const uint8_t *p, size_t n, uint64_t ts_ns)
{
	if (c->dead)
		return -1;
	if (read_messages(c, &c->be, 0, p, n, ts_ns) < 0) {
		c->dead = 1;
		return -1;
	}
	return 0;
}

struct pg_conn *pg_conn_new(pg_call_fn fn, void *arg)
{
	struct pg_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fn = fn;
	c->arg = arg;
	c->fe.untyped = 1;
	c->fe.buf = c->fe_buf;
	c->be.buf = c->be_buf;
	return c;
}

void pg_conn_free(struct pg_conn *c)
{
	if (!c)
		return;
	while (c->q_len)
		q_pop(c);
	free(c->q);
	for (unsigned i = 0; i < PG_MAX_STMTS; i++)
		free(c->stmts[i]);
	for (unsigned i = 0; i < PG_MAX_PORTALS; i++)
		free(c->portals[i]);
	free(c);
}

const char *pg_conn_database(const struct pg_conn *c)
{
	return c->database;
}

const char *pg_conn_user(const struct pg_conn *c)
{
	return c->user;
}

int pg_conn_is_pg(const struct pg_conn *c)
{
	return c->is_pg;
}

int pg_sniff(const uint8_t *p, size_t n)
{
	uint32_t len, code;

	if (n < 8)
		return 0;
	len = be32(p);
	code = be32(p + 4);
	if (code == PG_SSL_REQUEST || code == PG_GSSENC_REQUEST)
		return len == 8;
	if (code != PG_PROTO_3 || len <= 8 || len > PG_MAX_STARTUP)
		return 0;
	/* Parameter names are lower-case words: "user", "database", "application_name"... */
	return n == 8 || (p[8] >= 'a' && p[8] <= 'z');
}
