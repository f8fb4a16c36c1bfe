// SPDX-License-Identifier: BSD-2-Clause
/* Python exceptions read from the interpreter: set up per process, resolve, attach to spans. */
#define _GNU_SOURCE /* process_vm_readv */
#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "lib/caps.h"
#include "lib/log.h"
#include "lib/u64map.h"
#include "proto/pytraceback.h"
#include "python/pyexc.h"
#include "python/pyinterp.h"
#include "python/pyoffsets.h"
#include "span/exception.h"
#include "track/http_server.h"

#define MAX_SEEN_INTERPS 32
#define CODE_CACHE_MAX 8192
#define LINETABLE_MAX (64 * 1024)

/* What userspace knows of one Python process. */
struct pyproc {
	const struct py_offsets *o;
	uint64_t code_type;
};

/* A code object's names, read once per process. */
struct code_info {
	char filename[PYTB_FILE_MAX];
	char name[PYTB_FUNC_MAX];
	int firstlineno;
	uint8_t *linetable; /* 3.11+ location table, for lazily numbered tracebacks */
	size_t linetable_len;
};

static struct pyexc_maps maps = { -1, -1 };
static struct u64map procs;
static struct u64map code_cache; /* key: pid ^ code address hash; value: struct code_info */
static const struct py_offsets *slots[MAX_PY_VERSIONS];
static int nslots;
static struct pyexc_stats stats;

/* Interpreter files already reported, so a message is said once, not once per worker. */
static char seen_paths[MAX_SEEN_INTERPS][256];
static int nseen;

const struct pyexc_stats *pyexc_stats(void)
{
	return &stats;
}

void pyexc_init(const struct pyexc_maps *m)
{
	maps = *m;
	u64map_init(&procs, 64);
	u64map_init(&code_cache, 1024);
}

static void free_code(uint64_t key, void *value, void *arg)
{
	struct code_info *ci = value;

	free(ci->linetable);
	free(ci);
}

static void free_value(uint64_t key, void *value, void *arg)
{
	free(value);
}

static void code_cache_clear(void)
{
	u64map_each(&code_cache, free_code, NULL);
	u64map_free(&code_cache);
	u64map_init(&code_cache, 1024);
}

void pyexc_fini(void)
{
	if (procs.buckets) {
		u64map_each(&procs, free_value, NULL);
		u64map_free(&procs);
	}
	if (code_cache.buckets) {
		u64map_each(&code_cache, free_code, NULL);
		u64map_free(&code_cache);
	}
}

/* Paths come as /proc/PID/root/... or /proc/PID/exe: the same interpreter file in every
 * worker. Without that prefix (and with the version for /proc/PID/exe) they name the file. */
static const char *path_key(const char *path, int major, int minor, char *buf, size_t cap)
{
	const char *p = path;

	if (strncmp(p, "/proc/", 6) != 0)
		return path;
	p += 6;
	while (*p >= '0' && *p <= '9')
		p++;
	if (strcmp(p, "/exe") == 0) {
		snprintf(buf, cap, "exe:%d.%d", major, minor);
		return buf;
	}
	if (strncmp(p, "/root/", 6) == 0)
		return p + 5;
	return path;
}

static int seen_before(const char *path)
{
	for (int i = 0; i < nseen; i++)
		if (strcmp(seen_paths[i], path) == 0)
			return 1;
	if (nseen < MAX_SEEN_INTERPS)
		snprintf(seen_paths[nseen++], sizeof(seen_paths[0]), "%s", path);
	return 0;
}

static int slot_for(const struct py_offsets *o)
{
	for (int i = 0; i < nslots; i++)
		if (slots[i] == o)
			return i;
	if (nslots == MAX_PY_VERSIONS)
		return -1;
	if (bpf_map_update_elem(maps.versions_fd, &(uint32_t){ (uint32_t)nslots }, o, BPF_ANY))
		return -1;
	slots[nslots] = o;
	return nslots++;
}

static void remember(uint32_t pid, const struct py_offsets *o, uint64_t code_type)
{
	struct pyproc *p = u64map_get(&procs, pid);

	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p || u64map_put(&procs, pid, p)) {
			free(p);
			return;
		}
	}
	p->o = o;
	p->code_type = code_type;
}

void pyexc_setup_process(uint32_t pid)
{
	struct py_interp in;
	const struct py_offsets *o;
	struct py_proc pp = { 0 };
	const char *why = NULL, *key;
	char keybuf[32];
	int slot;

	if (maps.procs_fd < 0)
		return;
	if (pyinterp_inspect(pid, &in, &why)) {
		if (pyinterp_denied()) {
			if (!seen_before("denied"))
				log_msg("pid %u: cannot read its Python interpreter, %s. %s "
					"Exceptions will come from the traceback text the service "
					"writes instead.",
					pid, caps_hint(CAPS_PROC_FILES), why);
			return;
		}
		/* Most processes of a tree that are not Python (a shell, a sidecar) are not
		 * news; a Python that cannot be read is, once. */
		if (strstr(why, "does not run CPython") || seen_before(why))
			log_debug("pid %u: no Python exceptions from the interpreter: %s", pid, why);
		else
			log_msg("pid %u: cannot read its Python interpreter: %s Exceptions will come "
				"from the traceback text the service writes instead.",
				pid, why);
		return;
	}
	key = path_key(in.path, in.major, in.minor, keybuf, sizeof(keybuf));
	o = pyoffsets_find(in.major, in.minor, in.micro);
	if (!o) {
		if (!seen_before(key))
			log_msg("pid %u runs CPython %d.%d (%s), which pyspan cannot read: exceptions "
				"will come from the traceback text the service writes instead",
				pid, in.major, in.minor, in.path);
		return;
	}
	slot = slot_for(o);
	if (slot < 0)
		return;
	pp.runtime = in.runtime_addr;
	pp.version_idx = (uint32_t)slot;
	if (bpf_map_update_elem(maps.procs_fd, &pid, &pp, BPF_ANY))
		return;
	remember(pid, o, in.code_type_addr);
	if (!seen_before(key)) {
		char micro[16] = "";

		if (in.micro >= 0)
			snprintf(micro, sizeof(micro), ".%d", in.micro);
		log_debug("pid %u: CPython %d.%d%s (%s, version from %s): exceptions read from the "
			  "interpreter",
			  pid, in.major, in.minor, micro, in.path, in.version_source);
	}
}

/* Processes set up at their exec that showed no interpreter yet, and how often they were
 * looked at since. */
#define EXEC_RETRY_MAX 64
#define EXEC_RETRY_TRIES 4
static struct {
	uint32_t pid;
	int tries;
} exec_retry[EXEC_RETRY_MAX];
static int nexec_retry;

void pyexc_setup_exec(uint32_t pid)
{
	pyexc_setup_process(pid);
	if (u64map_get(&procs, pid) || nexec_retry == EXEC_RETRY_MAX)
		return;
	exec_retry[nexec_retry].pid = pid;
	exec_retry[nexec_retry].tries = 0;
	nexec_retry++;
}

void pyexc_tick(void)
{
	for (int i = 0; i < nexec_retry;) {
		uint32_t pid = exec_retry[i].pid;

		if (!u64map_get(&procs, pid) && exec_retry[i].tries++ < EXEC_RETRY_TRIES)
			pyexc_setup_process(pid);
		if (u64map_get(&procs, pid) || exec_retry[i].tries >= EXEC_RETRY_TRIES) {
			exec_retry[i] = exec_retry[--nexec_retry];
			continue;
		}
		i++;
	}
}

void pyexc_on_fork(uint32_t parent, uint32_t child)
{
	struct pyproc *p = u64map_get(&procs, parent);

	if (p)
		remember(child, p->o, p->code_type);
}

void pyexc_forget_process(uint32_t pid)
{
	free(u64map_del(&procs, pid));
}

/* Read another process's memory; 0 when all n bytes came. */
static int peek(uint32_t pid, uint64_t addr, void *buf, size_t n)
{
	struct iovec local = { .iov_base = buf, .iov_len = n };
	struct iovec remote = { .iov_base = (void *)addr, .iov_len = n };

	static int warned;

	if (!addr)
		return -1;
	if (process_vm_readv((pid_t)pid, &local, 1, &remote, 1, 0) == (ssize_t)n)
		return 0;
	if (errno == EPERM && !warned++)
		log_msg("pid %u: cannot read its memory: %s", pid, caps_hint(CAPS_PTRACE_READ));
	return -1;
}

static uint64_t peek_ptr(uint32_t pid, uint64_t addr)
{
	uint64_t v = 0;

	if (peek(pid, addr, &v, sizeof(v)))
		return 0;
	return v;
}

/* Append code point c as UTF-8. */
static size_t put_utf8(char *out, size_t cap, size_t at, uint32_t c)
{
	char tmp[4];
	size_t n;

	if (c < 0x80) {
		tmp[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		tmp[0] = (char)(0xc0 | c >> 6);
		tmp[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		tmp[0] = (char)(0xe0 | c >> 12);
		tmp[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		tmp[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		tmp[0] = (char)(0xf0 | c >> 18);
		tmp[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		tmp[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		tmp[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	if (at + n >= cap)
		return at;
	memcpy(out + at, tmp, n);
	return at + n;
}

/* A str object's text as UTF-8, bounded; "" when it is not a compact str. */
static void peek_str(uint32_t pid, const struct py_offsets *o, uint64_t str, char *out, size_t cap)
{
	uint32_t state = 0;
	uint64_t len = 0;
	size_t at = 0;

	out[0] = '\0';
	if (peek(pid, str + o->unicode_state, &state, sizeof(state)) || !(state & 0x20) ||
	    peek(pid, str + o->unicode_length, &len, sizeof(len)))
		return;
	if (state & 0x40) { /* compact ASCII */
		if (len > cap - 1)
			len = cap - 1;
		if (peek(pid, str + o->unicode_ascii_data, out, len))
			len = 0;
		out[len] = '\0';
		return;
	}
	{
		/* compact, 1, 2 or 4 bytes per code point */
		unsigned kind = (state >> 2) & 7;
		uint8_t raw[4 * 256];
		uint64_t n = len < 256 ? len : 256;

		if ((kind != 1 && kind != 2 && kind != 4) ||
		    peek(pid, str + o->unicode_compact_data, raw, n * kind))
			return;
		for (uint64_t i = 0; i < n; i++) {
			uint32_t c = kind == 1 ? raw[i] :
				     kind == 2 ? (uint32_t)raw[2 * i] | (uint32_t)raw[2 * i + 1] << 8 :
						 (uint32_t)raw[4 * i] | (uint32_t)raw[4 * i + 1] << 8 |
							 (uint32_t)raw[4 * i + 2] << 16 |
							 (uint32_t)raw[4 * i + 3] << 24;
			at = put_utf8(out, cap, at, c);
		}
		out[at] = '\0';
	}
}

static const struct code_info *code_lookup(uint32_t pid, const struct pyproc *p, uint64_t code)
{
	const struct py_offsets *o = p->o;
	uint64_t key = ((uint64_t)pid * 0x9E3779B97F4A7C15ull) ^ code;
	struct code_info *ci = u64map_get(&code_cache, key);
	uint64_t type, table;
	int32_t first = 0;
	int64_t tlen = 0;

	if (ci)
		return ci;
	/* Validate before trusting: a code object's type is PyCode_Type. */
	type = peek_ptr(pid, code + 8);
	if (!type || (p->code_type && type != p->code_type))
		return NULL;
	ci = calloc(1, sizeof(*ci));
	if (!ci)
		return NULL;
	peek_str(pid, o, peek_ptr(pid, code + o->code_filename), ci->filename,
		 sizeof(ci->filename));
	peek_str(pid, o, peek_ptr(pid, code + o->code_name), ci->name, sizeof(ci->name));
	peek(pid, code + o->code_firstlineno, &first, sizeof(first));
	ci->firstlineno = first;
	if (o->major == 3 && o->minor >= 11) {
		table = peek_ptr(pid, code + o->code_linetable);
		if (table && !peek(pid, table + o->varobject_size, &tlen, sizeof(tlen)) && tlen > 0 &&
		    tlen <= LINETABLE_MAX) {
			ci->linetable = malloc((size_t)tlen);
			if (ci->linetable && !peek(pid, table + o->bytes_data, ci->linetable,
						   (size_t)tlen))
				ci->linetable_len = (size_t)tlen;
		}
	}
	if (code_cache.count >= CODE_CACHE_MAX)
		code_cache_clear();
	if (u64map_put(&code_cache, key, ci)) {
		free_code(0, ci, NULL);
		return NULL;
	}
	return ci;
}

/* 3.11+ location tables: entries of (code, length) with varint-coded deltas. */
static unsigned read_varint(const uint8_t *t, size_t len, size_t *i)
{
	unsigned v = 0, shift = 0;

	while (*i < len) {
		uint8_t b = t[(*i)++];

		v |= (unsigned)(b & 0x3f) << shift;
		shift += 6;
		if (!(b & 0x40) || shift > 24)
			break;
	}
	return v;
}

static int read_svarint(const uint8_t *t, size_t len, size_t *i)
{
	unsigned v = read_varint(t, len, i);

	return (v & 1) ? -(int)(v >> 1) : (int)(v >> 1);
}

int pyexc_line_from_locations(const uint8_t *t, size_t len, int firstlineno, int lasti)
{
	/* Wide enough for any sum of deltas a table can hold (each under 2^29), so a corrupt
	 * table cannot overflow it; a line outside int says the table is not what we think. */
	long long line = firstlineno;
	long addr = 0; /* bytes: each entry covers 1-8 code units of 2 bytes */
	size_t i = 0;

	if (lasti < 0)
		return -1;
	while (i < len) {
		uint8_t first = t[i++];
		int code = (first >> 3) & 15, delta = 0;
		long end = addr + 2 * ((first & 7) + 1);

		if (!(first & 0x80))
			return -1; /* not at an entry start: the table is not what we think */
		if (code == 15) {
			delta = 0;
		} else if (code == 14) {
			delta = read_svarint(t, len, &i);
			read_varint(t, len, &i); /* end line */
			read_varint(t, len, &i); /* column */
			read_varint(t, len, &i); /* end column */
		} else if (code == 13) {
			delta = read_svarint(t, len, &i);
		} else if (code >= 10) {
			delta = code - 10;
			i += 2;
		} else {
			i += 1;
		}
		line += delta;
		if (lasti >= addr && lasti < end)
			return code == 15 || line < 0 || line > INT_MAX ? -1 : (int)line;
		addr = end;
	}
	return -1;
}

static void resolve_frames(uint32_t pid, const struct pyproc *p, const struct py_exc_item *it,
			   struct pytb_exception *x)
{
	uint32_t kept = it->nframes < PYEXC_MAX_FRAMES ? it->nframes : PYEXC_MAX_FRAMES;
	uint32_t first = it->nframes - kept; /* the ring's oldest kept entry */

	x->nframes = 0;
	x->frames_omitted = (int)first + ((it->flags & PYEXC_F_MORE_FRAMES) ? 1 : 0);
	for (uint32_t k = 0; k < kept && x->nframes < PYTB_MAX_FRAMES; k++) {
		const struct py_frame_ref *f = &it->frames[(first + k) % PYEXC_MAX_FRAMES];
		const struct code_info *ci = p ? code_lookup(pid, p, f->code) : NULL;
		struct pytb_frame *out = &x->frames[x->nframes];

		if (!ci) {
			stats.frames_unresolved++;
			x->frames_omitted++;
			continue;
		}
		snprintf(out->file, sizeof(out->file), "%s", ci->filename);
		snprintf(out->function, sizeof(out->function), "%s", ci->name);
		out->line = f->lineno;
		if (out->line < 0 && ci->linetable)
			out->line = pyexc_line_from_locations(ci->linetable, ci->linetable_len,
							      ci->firstlineno, f->lasti);
		if (out->line < 0)
			out->line = ci->firstlineno;
		x->nframes++;
	}
}

void pyexc_to_report(const struct ev_pyexc *e, struct pytb_report *r)
{
	const struct pyproc *p = u64map_get(&procs, e->h.pid);
	uint32_t n = e->nchain < PYEXC_MAX_CHAIN ? e->nchain : PYEXC_MAX_CHAIN;

	memset(r, 0, sizeof(*r));
	/* BPF walks from the handled exception back to its causes; the report, like Python's
	 * own output, lists the oldest first. */
	for (uint32_t i = 0; i < n && r->nchain < PYTB_MAX_CHAIN; i++) {
		const struct py_exc_item *it = &e->chain[n - 1 - i];
		struct pytb_exception *x = &r->chain[r->nchain];

		snprintf(x->type, sizeof(x->type), "%.*s", (int)sizeof(it->type_name),
			 it->type_name);
		snprintf(x->message, sizeof(x->message), "%.*s", (int)sizeof(it->message),
			 it->message);
		x->message_truncated = it->message_len >= sizeof(it->message);
		resolve_frames(e->h.pid, p, it, x);
		/* The link says how this one came from the previous (older) one. */
		if (r->nchain > 0) {
			const struct py_exc_item *newer_to_older = it;

			x->link = newer_to_older->link == 1 ? PYTB_LINK_CAUSE : PYTB_LINK_CONTEXT;
		}
		r->nchain++;
	}
}

void pyexc_on_event(const struct ev_pyexc *e)
{
	struct pytb_report *r = malloc(sizeof(*r));

	stats.events++;
	if (!r)
		return;
	pyexc_to_report(e, r);
	if (r->nchain > 0 &&
	    http_server_attach_exception(e->h.pid, e->h.tid, r, EXCEPTION_FROM_INTERPRETER) == 0) {
		stats.attached++;
		return;
	}
	free(r);
}
