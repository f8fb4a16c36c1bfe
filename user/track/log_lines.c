// SPDX-License-Identifier: BSD-2-Clause
/* The service's own output as log records: writes split into lines, tracebacks kept whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "track/proc.h"
#include "export/export.h"
#include "lib/clock.h"
#include "lib/u64map.h"
#include "track/http_server.h"
#include "track/log_lines.h"

/* What a record held back may still become. */
enum rstate {
	R_NONE = 0,
	R_LINE,   /* one line: logging's "ERROR ... Exception on /x" may be followed by its traceback */
	R_TB,     /* inside a traceback's frames */
	R_TB_END, /* after the exception line: a chained traceback may follow */
	R_TB_SEP, /* after "The above exception was the direct cause..." */
};

/* Where and when a line began: a line written in pieces belongs to its first write. */
struct origin {
	uint64_t time_unix_ns;
	uint64_t mono_ns;
	uint32_t tid;
	int has_trace;
	uint8_t trace_id[16];
	uint8_t span_id[8];
};

struct lstream {
	uint32_t pid, fd;
	enum logrec_stream kind;
	char source[256];
	uint64_t write_seq;    /* writes seen on this stream */
	/* The line being written (no newline yet). */
	char part[LOG_LINE_MAX];
	size_t plen;
	struct origin porigin;
	/* The record held back. */
	enum rstate state;
	char *rec;
	size_t rlen;
	int rcut;
	int is_tb;
	int blanks;            /* blank lines after an exception line, kept if a chain follows */
	uint64_t rec_last_seq; /* the write its last line came from */
	uint64_t rec_last_mono;
	struct origin rorigin;
	int severity;
	const char *severity_text;
};

int log_lines_enabled;
static struct u64map streams;
static struct log_lines_stats stats;
static void (*sink)(const struct log_record *r) = export_log;

void log_lines_set_sink(void (*fn)(const struct log_record *r))
{
	sink = fn;
}

const struct log_lines_stats *log_lines_stats(void)
{
	return &stats;
}

static const struct {
	const char *word;
	int severity;
} levels[] = {
	{ "CRITICAL", 21 }, { "FATAL", 21 }, { "ERROR", 17 }, { "WARNING", 13 }, { "WARN", 13 },
	{ "INFO", 9 },	    { "DEBUG", 5 },  { "TRACE", 1 },
};

static int is_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Only upper-case level words, standing alone near the start: "error" in prose is no level. */
int log_severity(const char *line, size_t len, const char **word)
{
	size_t n = len < 160 ? len : 160;

	for (size_t i = 0; i < n; i++) {
		if (line[i] < 'A' || line[i] > 'Z' || (i > 0 && is_alnum(line[i - 1])))
			continue;
		for (size_t k = 0; k < sizeof(levels) / sizeof(levels[0]); k++) {
			size_t wl = strlen(levels[k].word);

			if (i + wl > len || memcmp(line + i, levels[k].word, wl) ||
			    (i + wl < len && is_alnum(line[i + wl])))
				continue;
			*word = levels[k].word;
			return levels[k].severity;
		}
	}
	*word = NULL;
	return 0;
}

static int is_tb_header(const char *l, size_t n)
{
	static const char h[] = "Traceback (most recent call last):";
	size_t i = 0;

	/* Exception groups print "  + Exception Group Traceback (most recent call last):". */
	while (i < n && (l[i] == ' ' || l[i] == '+' || l[i] == '|'))
		i++;
	if (n - i >= 16 && memcmp(l + i, "Exception Group ", 16) == 0)
		i += 16;
	return n - i >= sizeof(h) - 1 && memcmp(l + i, h, sizeof(h) - 1) == 0;
}

static int is_chain_separator(const char *l, size_t n)
{
	static const char *const seps[] = {
		"The above exception was the direct cause of the following exception:",
		"During handling of the above exception, another exception occurred:",
	};

	for (size_t k = 0; k < 2; k++)
		if (n == strlen(seps[k]) && memcmp(l, seps[k], n) == 0)
			return 1;
	return 0;
}

static int is_indented(const char *l, size_t n)
{
	return n > 0 && (l[0] == ' ' || l[0] == '\t');
}

static int is_blank(const char *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] != ' ' && l[i] != '\t')
			return 0;
	return 1;
}

static void emit(struct lstream *s)
{
	struct log_record r = { 0 };

	if (s->state == R_NONE)
		return;
	if (s->rlen > 0) {
		r.time_unix_ns = s->rorigin.time_unix_ns;
		r.pid = s->pid;
		r.tid = s->rorigin.tid;
		r.stream = s->kind;
		r.source = s->source;
		r.text = s->rec;
		r.len = s->rlen;
		r.severity = s->severity;
		r.severity_text = s->severity_text;
		r.has_trace = s->rorigin.has_trace;
		memcpy(r.trace_id, s->rorigin.trace_id, 16);
		memcpy(r.span_id, s->rorigin.span_id, 8);
		r.service_name = proc_service_name(s->pid);
		stats.records++;
		stats.tracebacks += s->is_tb;
		stats.traced += r.has_trace;
		stats.cut += s->rcut;
		if (sink)
			sink(&r);
	}
	s->state = R_NONE;
	s->rlen = 0;
	s->rcut = 0;
	s->is_tb = 0;
	s->blanks = 0;
}

static void append(struct lstream *s, const char *l, size_t n)
{
	size_t need = (s->rlen ? 1 : 0) + n;

	if (!s->rec && !(s->rec = malloc(LOG_RECORD_MAX)))
		return;
	if (s->rlen + need > LOG_RECORD_MAX) {
		s->rcut = 1;
		return;
	}
	if (s->rlen)
		s->rec[s->rlen++] = '\n';
	memcpy(s->rec + s->rlen, l, n);
	s->rlen += n;
}

static void start(struct lstream *s, const char *l, size_t n, const struct origin *o)
{
	s->rorigin = *o;
	s->rlen = 0;
	s->severity = log_severity(l, n, &s->severity_text);
	append(s, l, n);
	if (is_tb_header(l, n)) {
		s->state = R_TB;
		s->is_tb = 1;
		if (!s->severity) {
			s->severity = 17; /* an uncaught exception's report */
			s->severity_text = "ERROR";
		}
	} else {
		s->state = R_LINE;
	}
}

/* One whole line (no newline) of stream s. */
static void on_line(struct lstream *s, const char *l, size_t n, const struct origin *o)
{
	if (n && l[n - 1] == '\r')
		n--;
	switch (s->state) {
	case R_NONE:
		break;
	case R_LINE:
		if (is_tb_header(l, n)) {
			/* logging.exception: the message, then the traceback, one record. */
			append(s, l, n);
			s->state = R_TB;
			s->is_tb = 1;
			s->rec_last_seq = s->write_seq;
			return;
		}
		emit(s);
		break;
	case R_TB:
		if (n == 0)
			return; /* no traceback has an empty line among its frames */
		append(s, l, n);
		if (!is_indented(l, n) && !is_tb_header(l, n))
			s->state = R_TB_END; /* the exception line */
		s->rec_last_seq = s->write_seq;
		return;
	case R_TB_END:
		if (is_blank(l, n)) {
			s->blanks++;
			return;
		}
		if (is_chain_separator(l, n)) {
			for (; s->blanks > 0; s->blanks--)
				append(s, "", 0);
			append(s, l, n);
			s->state = R_TB_SEP;
			s->rec_last_seq = s->write_seq;
			return;
		}
		/* A multi-line message continues the exception line in the same write; a line
		 * that states its own level is a new record. */
		if (!s->blanks && s->rec_last_seq == s->write_seq && !is_tb_header(l, n) &&
		    !log_severity(l, n, &(const char *){ NULL })) {
			append(s, l, n);
			return;
		}
		emit(s);
		break;
	case R_TB_SEP:
		if (is_blank(l, n)) {
			s->blanks++;
			return;
		}
		if (is_tb_header(l, n)) {
			for (; s->blanks > 0; s->blanks--)
				append(s, "", 0);
			append(s, l, n);
			s->state = R_TB;
			s->rec_last_seq = s->write_seq;
			return;
		}
		emit(s);
		break;
	}
	if (s->state == R_NONE && !is_blank(l, n)) {
		start(s, l, n, o);
		s->rec_last_seq = s->write_seq;
	}
}

static uint64_t stream_key(uint32_t pid, uint32_t fd)
{
	return (uint64_t)pid << 32 | fd;
}

static struct lstream *stream_for(const struct ev_data *e, enum logrec_stream kind,
				  const char *source)
{
	uint64_t key = stream_key(e->h.pid, e->h.fd);
	struct lstream *s;

	if (!streams.buckets && u64map_init(&streams, 64))
		return NULL;
	s = u64map_get(&streams, key);
	if (s) {
		if (s->kind != kind || strncmp(s->source, source, sizeof(s->source) - 1)) {
			/* The fd now names something else: the old text is finished. */
			log_lines_on_close(e->h.pid, e->h.fd);
			s = NULL;
		} else {
			return s;
		}
	}
	if (streams.count >= LOG_STREAMS_MAX) {
		stats.streams_full++;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->pid = e->h.pid;
	s->fd = e->h.fd;
	s->kind = kind;
	snprintf(s->source, sizeof(s->source), "%s", source);
	if (u64map_put(&streams, key, s)) {
		free(s);
		return NULL;
	}
	return s;
}

static void origin_of(const struct ev_data *e, struct origin *o)
{
	o->time_unix_ns = clock_mono_to_unix_ns(e->h.ts_ns);
	o->mono_ns = e->h.ts_ns;
	o->tid = e->h.tid;
	o->has_trace = http_server_inflight_trace(e->h.pid, e->h.tid, o->trace_id,
						  o->span_id) == 0;
}

/* The partial line, ended by a newline, a bound or the stream's end. */
static void flush_part(struct lstream *s)
{
	on_line(s, s->part, s->plen, &s->porigin);
	s->plen = 0;
}

void log_lines_on_write(const struct ev_data *e, enum logrec_stream kind, const char *source)
{
	const char *p = (const char *)e->data, *end = p + e->cap_len;
	struct origin o;
	struct lstream *s;

	stats.writes++;
	if (e->cap_len == 0)
		return;
	s = stream_for(e, kind, source);
	if (!s)
		return;
	s->write_seq++;
	origin_of(e, &o);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (s->plen == 0)
			s->porigin = o;
		while (s->plen + n > LOG_LINE_MAX) {
			size_t room = LOG_LINE_MAX - s->plen;

			memcpy(s->part + s->plen, p, room);
			s->plen += room;
			p += room;
			n -= room;
			stats.cut++;
			flush_part(s);
			s->porigin = o;
		}
		memcpy(s->part + s->plen, p, n);
		s->plen += n;
		p += n;
		if (nl) {
			flush_part(s);
			p++;
		}
	}
	/* Bytes past the capture size are not seen: the line they belonged to ends here. */
	if (e->total_len > (int64_t)e->cap_len && s->plen) {
		stats.cut++;
		flush_part(s);
	}
	s->rec_last_mono = e->h.ts_ns;
}

static void linger(uint64_t key, void *value, void *arg)
{
	struct lstream *s = value;
	uint64_t now = *(uint64_t *)arg;

	if (s->state != R_NONE && now - s->rec_last_mono >= LOG_LINGER_NS)
		emit(s);
}

void log_lines_tick(uint64_t now)
{
	if (streams.count)
		u64map_each(&streams, linger, &now);
}

static void finish(struct lstream *s)
{
	if (s->plen)
		flush_part(s);
	emit(s);
	free(s->rec);
	free(s);
}

void log_lines_on_close(uint32_t pid, uint32_t fd)
{
	struct lstream *s = streams.buckets ? u64map_del(&streams, stream_key(pid, fd)) : NULL;

	if (s)
		finish(s);
}

static void finish_if_pid(uint64_t key, void *value, void *arg)
{
	struct lstream *s = value;

	if (s->pid == *(uint32_t *)arg) {
		u64map_del(&streams, key);
		finish(s);
	}
}

void log_lines_on_exit(uint32_t pid)
{
	if (streams.buckets)
		u64map_each(&streams, finish_if_pid, &pid);
}

static void finish_all(uint64_t key, void *value, void *arg)
{
	u64map_del(&streams, key);
	finish(value);
}

void log_lines_fini(void)
{
	if (!streams.buckets)
		return;
	u64map_each(&streams, finish_all, NULL);
	u64map_free(&streams);
}
