// SPDX-License-Identifier: BSD-2-Clause
/* Python traceback parser: finds the last complete report in stderr text and structures it. */
#include "proto/pytraceback.h"

#include <limits.h>
#include <string.h>

#define HEADER "Traceback (most recent call last):"
#define GROUP_HEADER "  + Exception Group Traceback (most recent call last):"
#define CAUSE_SEP "The above exception was the direct cause of the following exception:"
#define CONTEXT_SEP "During handling of the above exception, another exception occurred:"
#define FILE_PREFIX "  File \""
#define LINE_INFIX "\", line "
#define REPEAT_PREFIX "  [Previous line repeated "

#define NO_POS ((size_t)-1)

enum status {
	ST_OK,
	ST_MORE, /* ran out of complete lines: a later write may finish it */
	ST_BAD,  /* cannot be a traceback; parser.fail says where it stopped making sense */
};

/* One complete line: its text without the \n (and a \r before it), and where the next starts. */
struct line {
	const char *s;
	size_t n;
	size_t start;
	size_t next;
};

struct parser {
	const char *buf;
	size_t len;
	struct pytb_report *out;    /* NULL while only locating reports */
	struct pytb_exception *exc; /* the exception being filled; NULL when out is */
	size_t ftotal;              /* frames seen for exc, kept or not */
	size_t ctotal;              /* exceptions seen in the report, kept or not */
	size_t mlen;                /* bytes of exc->message in use */
	size_t fail;                /* line where an ST_BAD parse gave up */
};

static int get_line(const char *buf, size_t len, size_t pos, struct line *l)
{
	const char *nl;

	if (pos >= len)
		return 0;
	nl = memchr(buf + pos, '\n', len - pos);
	if (!nl)
		return 0;
	l->s = buf + pos;
	l->n = (size_t)(nl - l->s);
	if (l->n && l->s[l->n - 1] == '\r')
		l->n--;
	l->start = pos;
	l->next = (size_t)(nl - buf) + 1;
	return 1;
}

static int starts_with(const struct line *l, const char *lit)
{
	size_t n = strlen(lit);

	return l->n >= n && memcmp(l->s, lit, n) == 0;
}

static int line_is(const struct line *l, const char *lit)
{
	return l->n == strlen(lit) && memcmp(l->s, lit, l->n) == 0;
}

static int is_blank(const struct line *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->s[i] != ' ' && l->s[i] != '\t')
			return 0;
	return 1;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Python 3 identifiers may be non-ASCII; any byte >= 0x80 is let through as part of one. */
static int ident_start(char c)
{
	unsigned char u = (unsigned char)c;

	return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}

static int ident_char(char c)
{
	return ident_start(c) || is_digit(c);
}

/* Reads decimal digits at *p (at least one), saturating at INT_MAX: counts come from text. */
static int read_int(const char **p, const char *end, int *v)
{
	const char *c = *p;
	int x = 0;

	if (c == end || !is_digit(*c))
		return 0;
	for (; c < end && is_digit(*c); c++) {
		int d = *c - '0';

		x = x > (INT_MAX - d) / 10 ? INT_MAX : x * 10 + d;
	}
	*p = c;
	*v = x;
	return 1;
}

static int sat_add(int a, size_t b)
{
	return b > (size_t)(INT_MAX - a) ? INT_MAX : a + (int)b;
}

/* Copies up to cap-1 bytes and a NUL. A cut backs off over at most three UTF-8 continuation
 * bytes so exported strings stay valid text. Returns the bytes copied; *cut says if any were
 * left out. */
static size_t copy_text(char *dst, size_t cap, const char *s, size_t n, int *cut)
{
	size_t k = n;
	int back = 0;

	*cut = 0;
	if (cap == 0)
		return 0;
	if (k > cap - 1) {
		k = cap - 1;
		*cut = 1;
		while (k > 0 && back < 3 && ((unsigned char)s[k] & 0xc0) == 0x80) {
			k--;
			back++;
		}
	}
	memcpy(dst, s, k);
	dst[k] = '\0';
	return k;
}

static void swap_bytes(unsigned char *a, unsigned char *b, size_t n)
{
	while (n--) {
		unsigned char t = *a;

		*a++ = *b;
		*b++ = t;
	}
}

static void reverse(unsigned char *base, size_t size, size_t i, size_t j)
{
	while (i + 1 < j) {
		j--;
		swap_bytes(base + i * size, base + j * size, size);
		i++;
	}
}

/* Ring buffers are rotated in place once at the end (three reversals), so keeping the innermost
 * frames of a 1000-frame recursion costs no copying per frame and no scratch element. */
static void rotate_left(void *base, size_t count, size_t size, size_t k)
{
	if (count == 0 || (k %= count) == 0)
		return;
	reverse(base, size, 0, k);
	reverse(base, size, k, count);
	reverse(base, size, 0, count);
}

static enum status bad(struct parser *p, size_t at)
{
	p->fail = at;
	return ST_BAD;
}

/* Group blocks prefix their own lines with "  | "; strips that, or says the line lacks it. */
static int strip_margin(struct line *l)
{
	if (l->n < 3 || memcmp(l->s, "  |", 3) != 0 || (l->n > 3 && l->s[3] != ' '))
		return 0;
	if (l->n == 3) {
		l->s += 3;
		l->n = 0;
	} else {
		l->s += 4;
		l->n -= 4;
	}
	return 1;
}

struct frame_text {
	const char *file, *func;
	size_t file_len, func_len;
	int line;
	int has_func;
};

/* '  File "path", line N, in func', or without ", in func" for a SyntaxError's location. */
static int parse_frame_line(const struct line *l, struct frame_text *f)
{
	const char *end = l->s + l->n, *c, *infix = NULL;
	size_t plen = strlen(FILE_PREFIX), ilen = strlen(LINE_INFIX);

	if (!starts_with(l, FILE_PREFIX))
		return 0;
	/* The last '", line ' wins: a path may hold one, a function name cannot. */
	for (c = l->s + plen; (size_t)(end - c) >= ilen; c++)
		if (memcmp(c, LINE_INFIX, ilen) == 0)
			infix = c;
	if (!infix)
		return 0;
	f->file = l->s + plen;
	f->file_len = (size_t)(infix - f->file);
	c = infix + ilen;
	if (!read_int(&c, end, &f->line)) {
		/* 3.11+ prints "line None" when the position is unknown. */
		if (end - c < 4 || memcmp(c, "None", 4) != 0)
			return 0;
		c += 4;
		f->line = 0;
	}
	f->func = c;
	f->func_len = 0;
	f->has_func = 0;
	if (c == end)
		return 1;
	if (end - c < 5 || memcmp(c, ", in ", 5) != 0)
		return 0;
	f->func = c + 5;
	f->func_len = (size_t)(end - f->func);
	f->has_func = 1;
	return 1;
}

/* "  [Previous line repeated 996 more times]" (or "1 more time]"). */
static int parse_repeat(const struct line *l, int *count)
{
	const char *c, *end = l->s + l->n;

	if (!starts_with(l, REPEAT_PREFIX))
		return 0;
	c = l->s + strlen(REPEAT_PREFIX);
	if (!read_int(&c, end, count))
		return 0;
	return end - c >= 6 && memcmp(c, " more ", 6) == 0 && end[-1] == ']';
}

struct exc_text {
	const char *type, *msg;
	size_t type_len, msg_len;
};

/* "pkg.mod.Type: message", "Type:" or a bare "Type". */
static int parse_exc_line(const struct line *l, struct exc_text *e)
{
	const char *c = l->s, *end = l->s + l->n;

	for (;;) {
		if (c == end || !ident_start(*c))
			return 0;
		while (c < end && ident_char(*c))
			c++;
		if (c < end && *c == '.') {
			c++;
			continue;
		}
		break;
	}
	e->type = l->s;
	e->type_len = (size_t)(c - l->s);
	e->msg = end;
	e->msg_len = 0;
	if (c == end)
		return 1;
	if (*c != ':')
		return 0;
	c++;
	if (c == end)
		return 1;
	if (*c != ' ')
		return 0;
	e->msg = c + 1;
	e->msg_len = (size_t)(end - e->msg);
	return 1;
}

static int is_upper_word(const struct line *l, const char *word)
{
	size_t n = strlen(word);

	if (l->n < n || memcmp(l->s, word, n) != 0)
		return 0;
	return l->n == n || !(ident_char(l->s[n]));
}

/* Does a line after an exception look like the next log record rather than more message?
 * Multi-line messages are rarer than a log line right after a traceback, so anything with a
 * record's usual opening (timestamp, [bracket], level word, JSON, logfmt, client IP, syslog
 * priority) ends the message. */
static int looks_like_record(const struct line *l)
{
	static const char *const levels[] = { "DEBUG", "INFO", "WARNING", "WARN", "ERROR",
					      "CRITICAL", "FATAL", "NOTICE", "TRACE" };
	size_t i;

	if (l->n == 0)
		return 1;
	if (l->s[0] == '[' || l->s[0] == '{' || is_digit(l->s[0]))
		return 1;
	if (l->s[0] == '<' && l->n > 1 && is_digit(l->s[1]))
		return 1;
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (is_upper_word(l, levels[i]))
			return 1;
	/* logfmt: "time=... level=error msg=..." */
	for (i = 0; i < l->n && ident_char(l->s[i]); i++)
		;
	return i > 0 && i < l->n && l->s[i] == '=';
}

static int starts_block(const struct line *l)
{
	struct frame_text f;

	return line_is(l, HEADER) || line_is(l, GROUP_HEADER) || line_is(l, CAUSE_SEP) ||
	       line_is(l, CONTEXT_SEP) || parse_frame_line(l, &f) || starts_with(l, "  +") ||
	       starts_with(l, "  |") || starts_with(l, REPEAT_PREFIX);
}

static void begin_exception(struct parser *p, enum pytb_link link)
{
	p->ctotal++;
	p->ftotal = 0;
	p->mlen = 0;
	p->exc = NULL;
	if (!p->out)
		return;
	p->exc = &p->out->chain[(p->ctotal - 1) % PYTB_MAX_CHAIN];
	memset(p->exc, 0, sizeof(*p->exc));
	p->exc->link = link;
}

static void add_frame(struct parser *p, const struct frame_text *f)
{
	struct pytb_frame *fr;
	int cut;

	p->ftotal++;
	if (!p->exc)
		return;
	fr = &p->exc->frames[(p->ftotal - 1) % PYTB_MAX_FRAMES];
	copy_text(fr->file, sizeof(fr->file), f->file, f->file_len, &cut);
	copy_text(fr->function, sizeof(fr->function), f->func, f->func_len, &cut);
	fr->line = f->line;
}

static void end_exception(struct parser *p)
{
	struct pytb_exception *e = p->exc;

	if (!e)
		return;
	if (p->ftotal > PYTB_MAX_FRAMES) {
		rotate_left(e->frames, PYTB_MAX_FRAMES, sizeof(e->frames[0]),
			    p->ftotal % PYTB_MAX_FRAMES);
		e->nframes = PYTB_MAX_FRAMES;
		e->frames_omitted = sat_add(e->frames_omitted, p->ftotal - PYTB_MAX_FRAMES);
	} else {
		e->nframes = (int)p->ftotal;
	}
}

static void end_report(struct parser *p)
{
	struct pytb_report *r = p->out;

	if (!r)
		return;
	if (p->ctotal > PYTB_MAX_CHAIN) {
		rotate_left(r->chain, PYTB_MAX_CHAIN, sizeof(r->chain[0]),
			    p->ctotal % PYTB_MAX_CHAIN);
		r->nchain = PYTB_MAX_CHAIN;
		r->chain_omitted = sat_add(0, p->ctotal - PYTB_MAX_CHAIN);
	} else {
		r->nchain = (int)p->ctotal;
	}
}

static void append_message(struct parser *p, const char *s, size_t n)
{
	struct pytb_exception *e = p->exc;
	int cut;

	if (!e || e->message_truncated)
		return;
	p->mlen += copy_text(e->message + p->mlen, sizeof(e->message) - p->mlen, s, n, &cut);
	e->message_truncated = cut;
}

/* Frames, their source lines and position markers, and repeat notes, up to the first line that
 * is none of those: the exception line. */
static enum status parse_frames(struct parser *p, size_t *pos, int margin)
{
	struct line l;
	struct frame_text f;
	int count;

	for (;;) {
		if (!get_line(p->buf, p->len, *pos, &l))
			return ST_MORE;
		if (margin && !strip_margin(&l))
			return bad(p, l.start);
		if (parse_frame_line(&l, &f)) {
			add_frame(p, &f);
		} else if (l.n >= 4 && memcmp(l.s, "    ", 4) == 0) {
			/* source text, or 3.11+ ~~~^^^ markers, or a SyntaxError's caret */
		} else if (parse_repeat(&l, &count)) {
			if (p->exc)
				p->exc->frames_omitted = sat_add(p->exc->frames_omitted,
								 (size_t)count);
		} else {
			return ST_OK;
		}
		*pos = l.next;
	}
}

/* The exception line and any continuation lines of its message. */
static enum status parse_exception(struct parser *p, size_t *pos, int margin)
{
	struct line l;
	struct exc_text e;
	int cut;

	if (!get_line(p->buf, p->len, *pos, &l))
		return ST_MORE;
	if ((margin && !strip_margin(&l)) || !parse_exc_line(&l, &e))
		return bad(p, l.start);
	if (p->exc) {
		copy_text(p->exc->type, sizeof(p->exc->type), e.type, e.type_len, &cut);
		append_message(p, e.msg, e.msg_len);
	}
	*pos = l.next;
	/* An unterminated next line is left alone: the report may be extended by the next write. */
	while (get_line(p->buf, p->len, *pos, &l)) {
		if (margin && !strip_margin(&l))
			break;
		if (is_blank(&l) || starts_block(&l) || looks_like_record(&l))
			break;
		append_message(p, "\n", 1);
		append_message(p, l.s, l.n);
		*pos = l.next;
	}
	return ST_OK;
}

/* Leading spaces of a line, which places group box lines at their nesting level. */
static size_t indent_of(const struct line *l)
{
	size_t i = 0;

	while (i < l->n && l->s[i] == ' ')
		i++;
	return i;
}

static int all_dashes(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != '-')
			return 0;
	return n > 0;
}

/* A top-level group's sub-exceptions: "  +-+---- 1 ----" then lines boxed at indent 4 and
 * deeper, up to the first line outside the box. Children of this group are the numbered
 * separators with their '+' at column 4, plus "and N more exceptions" past max_group_width. */
static enum status parse_group_body(struct parser *p, size_t *pos)
{
	static const char sep[] = "+---------------- ";
	static const char more[] = "| and ";
	const size_t sep_len = sizeof(sep) - 1, more_len = sizeof(more) - 1;
	struct line l;
	int closed = 0, child, n;
	size_t size = 0;

	if (!get_line(p->buf, p->len, *pos, &l))
		return ST_MORE;
	if (!starts_with(&l, "  +-+"))
		return ST_OK; /* no box: take the group as it is */
	for (;;) {
		size_t col = indent_of(&l);
		const char *t = l.s + col, *end = l.s + l.n;
		size_t rest = l.n - col;

		if (col == 2 && starts_with(&l, "  +-+")) {
			/* "+-" opens the box; the first child's '+' sits at column 4 */
			t += 2;
			rest -= 2;
			child = 1;
		} else if (col >= 4 && rest > 0 && (*t == '|' || *t == '+')) {
			child = col == 4;
		} else {
			break;
		}
		if (child && rest > sep_len && memcmp(t, sep, sep_len) == 0 && is_digit(t[sep_len]))
			size++;
		if (child && rest > more_len && memcmp(t, more, more_len) == 0) {
			const char *c = t + more_len;

			if (read_int(&c, end, &n))
				size += (size_t)n;
		}
		closed = *t == '+' && all_dashes(t + 1, rest - 1);
		*pos = l.next;
		if (!get_line(p->buf, p->len, *pos, &l)) {
			/* The closing rule is the last line Python prints for the box; without it
			 * more sub-exceptions may follow. */
			if (!closed)
				return ST_MORE;
			break;
		}
	}
	if (p->exc)
		p->exc->group_size = sat_add(0, size);
	return ST_OK;
}

/* One exception: a "Traceback" block, a group block, a SyntaxError's File/caret block, or (in
 * a chain, for an exception that was never raised) just the exception line. */
static enum status parse_block(struct parser *p, size_t *pos, enum pytb_link link)
{
	struct line l;
	enum status st;
	int group = 0;

	if (!get_line(p->buf, p->len, *pos, &l))
		return ST_MORE;
	begin_exception(p, link);
	if (line_is(&l, HEADER)) {
		*pos = l.next;
	} else if (line_is(&l, GROUP_HEADER)) {
		group = 1;
		*pos = l.next;
	} else {
		/* a group that was never raised has no header, only its boxed exception line */
		group = strip_margin(&l);
	}
	if (group && p->exc)
		p->exc->is_group = 1;
	st = parse_frames(p, pos, group);
	if (st == ST_OK)
		st = parse_exception(p, pos, group);
	if (st == ST_OK && group)
		st = parse_group_body(p, pos);
	if (st == ST_OK)
		end_exception(p);
	return st;
}

static size_t skip_blank(const struct parser *p, size_t pos)
{
	struct line l;

	while (get_line(p->buf, p->len, pos, &l) && is_blank(&l))
		pos = l.next;
	return pos;
}

/* A report from start: blocks joined by chain separators. *end is just past its last line. */
static enum status parse_report(struct parser *p, size_t start, size_t *end)
{
	enum pytb_link link = PYTB_LINK_NONE;
	size_t pos = start, q;
	enum status st;
	struct line l;

	p->ctotal = 0;
	if (p->out)
		memset(p->out, 0, sizeof(*p->out));
	for (;;) {
		st = parse_block(p, &pos, link);
		if (st != ST_OK)
			return st;
		*end = pos;
		q = skip_blank(p, pos);
		if (!get_line(p->buf, p->len, q, &l))
			break;
		if (line_is(&l, CAUSE_SEP))
			link = PYTB_LINK_CAUSE;
		else if (line_is(&l, CONTEXT_SEP))
			link = PYTB_LINK_CONTEXT;
		else
			break;
		pos = skip_blank(p, l.next);
		if (!get_line(p->buf, p->len, pos, &l))
			return ST_MORE;
	}
	end_report(p);
	return ST_OK;
}

/* A line that opens a report when met outside one: a header, or a SyntaxError's location
 * (a File line without "in func", which Python prints with no header for a module that does
 * not compile). */
static int starts_report(const struct line *l)
{
	struct frame_text f;

	if (line_is(l, HEADER) || line_is(l, GROUP_HEADER))
		return 1;
	return parse_frame_line(l, &f) && !f.has_func;
}

struct scan_result {
	size_t start, end; /* the last complete report, if found */
	int found;
	int pending; /* a report started and ran out of lines */
};

/* Walks the lines once, trying a report at every line that can begin one and skipping past
 * each report (or failed attempt), so the work stays linear in len. */
static void scan(const char *buf, size_t len, struct scan_result *r)
{
	struct parser p = { .buf = buf, .len = len };
	size_t pos = 0, prev_exc = NO_POS, from, end = 0;
	struct line l;
	struct exc_text e;
	enum status st;

	memset(r, 0, sizeof(*r));
	while (get_line(buf, len, pos, &l)) {
		from = NO_POS;
		if (starts_report(&l))
			from = l.start;
		else if ((line_is(&l, CAUSE_SEP) || line_is(&l, CONTEXT_SEP)) && prev_exc != NO_POS)
			from = prev_exc; /* the chain opens with a never-raised, headerless cause */
		if (from != NO_POS) {
			st = parse_report(&p, from, &end);
			prev_exc = NO_POS;
			if (st == ST_OK) {
				r->found = 1;
				r->start = from;
				r->end = end;
				pos = end;
				continue;
			}
			if (st == ST_MORE) {
				r->pending = 1;
				return;
			}
			pos = p.fail > l.start ? p.fail : l.next;
			continue;
		}
		if (!is_blank(&l))
			prev_exc = parse_exc_line(&l, &e) ? l.start : NO_POS;
		pos = l.next;
	}
}

size_t pytb_parse_last(const char *buf, size_t len, struct pytb_report *out)
{
	struct scan_result r;
	struct parser p = { .buf = buf, .len = len, .out = out };
	size_t end = 0;

	if (buf && len > 0)
		scan(buf, len, &r);
	else
		r.found = 0;
	if (!out)
		return r.found ? r.end : 0;
	if (!r.found) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	/* parse_report zeroes *out before filling it */
	if (parse_report(&p, r.start, &end) != ST_OK || end != r.end) {
		memset(out, 0, sizeof(*out)); /* cannot happen: both passes read the same bytes */
		return 0;
	}
	return end;
}

/* Could the unterminated tail still turn into lit (or already begin with it)? */
static int tail_could_be(const char *s, size_t n, const char *lit)
{
	size_t k = strlen(lit);

	return memcmp(s, lit, n < k ? n : k) == 0;
}

int pytb_incomplete(const char *buf, size_t len)
{
	static const char *const starts[] = { HEADER, GROUP_HEADER, FILE_PREFIX, CAUSE_SEP,
					      CONTEXT_SEP };
	struct scan_result r;
	size_t tail = len, i;

	if (!buf || len == 0)
		return 0;
	scan(buf, len, &r);
	if (r.pending)
		return 1;
	while (tail > 0 && buf[tail - 1] != '\n')
		tail--;
	if (tail == len)
		return 0;
	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
		if (tail_could_be(buf + tail, len - tail, starts[i]))
			return 1;
	return 0;
}
