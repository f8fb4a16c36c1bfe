// SPDX-License-Identifier: BSD-2-Clause
/* Live tests of pyinterp.c and the offsets table: every offset read back from running CPythons. */
#define _GNU_SOURCE
#include "check.h"
#include "python/pyinterp.h"
#include "python/pyoffsets.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define PYENV "/root/.pyenv/versions"
#define MAX_THREADS 64
#define MAX_TB 16

static int skipped;
static char tmpdir[64];
static char script[128];
static char simple[128];

/* The script the interpreters under test run. Its line numbers are checked against what the
 * traceback and code objects say, so the LINE_* constants must follow any edit. */
static const char script_text[] =
	"import os, sys, threading, time\n"            /* 1 */
	"def g():\n"                                    /* 2 */
	"    raise ValueError(\"needle-xyz\")\n"        /* 3 */
	"def f():\n"                                    /* 4 */
	"    g()\n"                                     /* 5 */
	"try:\n"                                        /* 6 */
	"    f()\n"                                     /* 7 */
	"except Exception as e:\n"                      /* 8 */
	"    E = e\n"                                   /* 9 */
	"try:\n"                                        /* 10 */
	"    try:\n"                                    /* 11 */
	"        raise KeyError(\"inner-a\")\n"         /* 12 */
	"    except KeyError as a:\n"                   /* 13 */
	"        raise RuntimeError(\"outer-b\") from a\n" /* 14 */
	"except RuntimeError as b:\n"                   /* 15 */
	"    C = b\n"                                   /* 16 */
	"try:\n"                                        /* 17 */
	"    try:\n"                                    /* 18 */
	"        raise KeyError(\"ctx-a\")\n"           /* 19 */
	"    except KeyError:\n"                        /* 20 */
	"        raise TypeError(\"ctx-b\")\n"          /* 21 */
	"except TypeError as t:\n"                      /* 22 */
	"    T = t\n"                                   /* 23 */
	"class AppError(ValueError):\n"
	"    pass\n"
	"M = AppError(\"caf\\xe9\", \"snow\\u2603\", \"grin\\U0001F600\")\n"
	"ev = threading.Event()\n"
	"started = threading.Semaphore(0)\n"
	"def in_handler():\n"
	"    try:\n"
	"        raise LookupError(\"handled-now\")\n"
	"    except LookupError:\n"
	"        started.release()\n"
	"        ev.wait()\n"
	"ths = [threading.Thread(target=ev.wait, daemon=True),\n"
	"       threading.Thread(target=in_handler, daemon=True)]\n"
	"for th in ths:\n"
	"    th.start()\n"
	"started.acquire()\n"
	"u8 = 0\n"
	"try:\n"
	"    import ctypes\n"
	"    rt = ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, \"_PyRuntime\"))\n"
	"    asutf8 = ctypes.pythonapi.PyUnicode_AsUTF8AndSize\n"
	"    asutf8.restype = ctypes.c_void_p\n"
	"    asutf8.argtypes = [ctypes.py_object, ctypes.c_void_p]\n"
	"    for s in M.args:\n"
	"        asutf8(s, None)\n"
	"    u8 = 1\n"
	"except Exception:\n"
	"    rt = 0\n"
	"code = g.__code__\n"
	"lt = code.co_linetable if sys.version_info >= (3, 10) else code.co_lnotab\n"
	"tbs = []\n"
	"tb = E.__traceback__\n"
	"while tb is not None:\n"
	"    tbs.append(tb)\n"
	"    tb = tb.tb_next\n"
	"print(\"version=%d.%d.%d\" % tuple(sys.version_info[:3]))\n"
	"print(\"E=%d\" % id(E))\n"
	"print(\"C=%d\" % id(C))\n"
	"print(\"T=%d\" % id(T))\n"
	"print(\"M=%d\" % id(M))\n"
	"print(\"utf8=%d\" % u8)\n"
	"print(\"none=%d\" % id(None))\n"
	"print(\"codetype=%d\" % id(type(code)))\n"
	"print(\"runtime=%d\" % rt)\n"
	"print(\"threads=%d\" % threading.active_count())\n"
	"print(\"lasti=\" + \",\".join(str(x.tb_lasti) for x in tbs))\n"
	"print(\"linetable=\" + lt.hex())\n"
	"print(\"ready\")\n"
	"sys.stdout.flush()\n"
	"time.sleep(300)\n";

#define LINE_G_DEF 2
#define LINE_G_RAISE 3
#define LINE_F_DEF 4
#define LINE_F_CALL 5
#define LINE_MODULE_CALL 7

/* For interpreters too old or too new to read: also valid Python 2. */
static const char simple_text[] = "import sys, time\n"
				  "sys.stdout.write(\"ready\\n\")\n"
				  "sys.stdout.flush()\n"
				  "time.sleep(300)\n";

struct child {
	pid_t pid;
	int fd;
	char out[16384];
	size_t len;
};

/* What the child said about itself. */
struct facts {
	int major, minor, micro;
	uint64_t e, c, t, m, none, codetype, runtime;
	int utf8; /* the child had M's strings cache their UTF-8 */
	int threads;
	int lasti[MAX_TB], nlasti;
	unsigned char linetable[4096];
	size_t linetable_len;
};

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* posix_spawn returns once the exec is done, so /proc/PID/exe is the new program already. */
static int spawn(struct child *c, char *const argv[])
{
	posix_spawn_file_actions_t fa;
	int p[2];

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	if (pipe2(p, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	if (posix_spawn(&c->pid, argv[0], &fa, NULL, argv, environ)) {
		c->pid = -1;
		close(p[0]);
		close(p[1]);
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	c->fd = p[0];
	return 0;
}

/* Reads the child's stdout until it says "ready" (or 30 s pass, or it dies). */
static int wait_ready(struct child *c)
{
	time_t deadline = time(NULL) + 30;

	while (time(NULL) < deadline) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(c->fd, c->out + c->len, sizeof(c->out) - 1 - c->len);
		if (n <= 0)
			return -1;
		c->len += (size_t)n;
		c->out[c->len] = '\0';
		if (strstr(c->out, "ready\n"))
			return 0;
		if (c->len >= sizeof(c->out) - 1)
			return -1;
	}
	return -1;
}

static void reap(struct child *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	if (c->fd > 0)
		close(c->fd);
	c->pid = -1;
	c->fd = -1;
}

static const char *value_of(const struct child *c, const char *key)
{
	size_t k = strlen(key);

	for (const char *p = c->out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, k) == 0 && p[k] == '=')
			return p + k + 1;
	return NULL;
}

static uint64_t u64_of(const struct child *c, const char *key)
{
	const char *v = value_of(c, key);

	return v ? strtoull(v, NULL, 10) : 0;
}

static int parse_facts(const struct child *c, struct facts *fx)
{
	const char *v = value_of(c, "version");
	const char *p;

	memset(fx, 0, sizeof(*fx));
	if (!v || sscanf(v, "%d.%d.%d", &fx->major, &fx->minor, &fx->micro) != 3)
		return -1;
	fx->e = u64_of(c, "E");
	fx->c = u64_of(c, "C");
	fx->t = u64_of(c, "T");
	fx->m = u64_of(c, "M");
	fx->utf8 = (int)u64_of(c, "utf8");
	fx->none = u64_of(c, "none");
	fx->codetype = u64_of(c, "codetype");
	fx->runtime = u64_of(c, "runtime");
	fx->threads = (int)u64_of(c, "threads");
	for (p = value_of(c, "lasti"); p && fx->nlasti < MAX_TB;) {
		char *end;

		fx->lasti[fx->nlasti++] = (int)strtol(p, &end, 10);
		if (*end != ',')
			break;
		p = end + 1;
	}
	p = value_of(c, "linetable");
	while (p && p[0] && p[0] != '\n' && p[1] && fx->linetable_len < sizeof(fx->linetable)) {
		unsigned int b;

		if (sscanf(p, "%2x", &b) != 1)
			break;
		fx->linetable[fx->linetable_len++] = (unsigned char)b;
		p += 2;
	}
	return 0;
}

/* Reading the child's memory, the way the tracer will. */
static pid_t target;

static int rd(uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };

	if (!addr)
		return -1;
	return process_vm_readv(target, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

static uint64_t rd_u64(uint64_t addr)
{
	uint64_t v = 0;

	return rd(addr, &v, sizeof(v)) ? 0 : v;
}

static int32_t rd_i32(uint64_t addr)
{
	int32_t v = INT32_MIN;

	return rd(addr, &v, sizeof(v)) ? INT32_MIN : v;
}

static const char *rd_cstr(uint64_t addr, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (size_t i = 0; i + 1 < cap; i++) {
		if (rd(addr + i, buf + i, 1))
			return "(unreadable)";
		if (!buf[i])
			return buf;
	}
	buf[cap - 1] = '\0';
	return buf;
}

static uint64_t type_of(uint64_t obj)
{
	return rd_u64(obj + 8);
}

static const char *type_name(const struct py_offsets *o, uint64_t obj, char *buf, size_t cap)
{
	uint64_t type = type_of(obj);

	if (!type)
		return "(no object)";
	return rd_cstr(rd_u64(type + o->type_name), buf, cap);
}

static uint64_t type_flags(const struct py_offsets *o, uint64_t obj)
{
	return rd_u64(type_of(obj) + o->type_flags);
}

/* A compact ASCII str, the only kind these tests create; anything else is a failure. */
static const char *rd_pystr(const struct py_offsets *o, uint64_t obj, char *buf, size_t cap)
{
	uint32_t state = 0;
	int64_t len = -1;

	if (!(type_flags(o, obj) & PY_TPFLAGS_UNICODE_SUBCLASS))
		return "(not a str)";
	if (rd(obj + o->unicode_state, &state, sizeof(state)) ||
	    rd(obj + o->unicode_length, &len, sizeof(len)))
		return "(unreadable str)";
	/* compact (bit 5), ascii (bit 6), kind 1 (bits 2-4) */
	if ((state & 0x20) == 0 || (state & 0x40) == 0 || ((state >> 2) & 7) != 1)
		return "(not compact ASCII)";
	if (len < 0 || (size_t)len >= cap)
		return "(bad length)";
	if (rd(obj + o->unicode_ascii_data, buf, (size_t)len))
		return "(unreadable data)";
	buf[len] = '\0';
	return buf;
}

static uint64_t frame_code(const struct py_offsets *o, uint64_t frame)
{
	if (o->frame_code != PY_NO_FIELD)
		return rd_u64(frame + o->frame_code);
	return rd_u64(rd_u64(frame + o->frame_iframe) + o->iframe_code);
}

/* args[0] of an exception, as a str. */
static const char *exc_arg0(const struct py_offsets *o, uint64_t exc, char *buf, size_t cap)
{
	uint64_t args = rd_u64(exc + o->exc_args);

	if (!(type_flags(o, args) & PY_TPFLAGS_TUPLE_SUBCLASS))
		return "(args not a tuple)";
	if ((int64_t)rd_u64(args + o->varobject_size) != 1)
		return "(args not of length 1)";
	return rd_pystr(o, rd_u64(args + o->tuple_items), buf, cap);
}

/* fs_base of one thread of the target: glibc's pthread_t is that address on x86-64, which is
 * what tstate->thread_id holds, so the BPF side can match a task to its tstate by fsbase. */
static int task_fsbase(pid_t tid, uint64_t *fs)
{
	struct user_regs_struct regs;
	int st, ret = -1;

	if (ptrace(PTRACE_SEIZE, tid, 0, 0))
		return -1;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) == 0 && waitpid(tid, &st, __WALL) == tid &&
	    ptrace(PTRACE_GETREGS, tid, 0, &regs) == 0) {
		*fs = regs.fs_base;
		ret = 0;
	}
	ptrace(PTRACE_DETACH, tid, 0, 0);
	return ret;
}

struct tstate_info {
	uint64_t addr, thread_id, native_id, exc_value;
};

static void check_threads(const struct py_interp *in, const struct py_offsets *o,
			  const struct facts *fx, const char *label)
{
	struct tstate_info ts[MAX_THREADS];
	uint64_t interp = rd_u64(in->runtime_addr + o->runtime_interpreters_head);
	int n = 0, nfs = 0, main_seen = 0, handler_seen = 0, other_exc = 0;
	int native = o->tstate_native_thread_id != PY_NO_FIELD;
	char buf[64];
	DIR *d;
	struct dirent *de;

	CHECK(interp != 0);
	for (uint64_t t = rd_u64(interp + o->interp_threads_head); t && n < MAX_THREADS;
	     t = rd_u64(t + o->tstate_next)) {
		ts[n].addr = t;
		ts[n].thread_id = rd_u64(t + o->tstate_thread_id);
		ts[n].native_id = 0;
		if (o->tstate_native_thread_id != PY_NO_FIELD)
			ts[n].native_id = (uint32_t)rd_i32(t + o->tstate_native_thread_id);
		ts[n].exc_value = rd_u64(rd_u64(t + o->tstate_exc_info) + o->stackitem_exc_value);
		/* PyThreadState.interp sits at 16 in every version. */
		CHECK_INT(rd_u64(t + 16), interp);
		n++;
	}
	CHECK_INT(n, fx->threads);
	for (int i = 0; i < n; i++) {
		CHECK(ts[i].thread_id != 0);
		for (int j = 0; j < i; j++)
			CHECK(ts[i].thread_id != ts[j].thread_id);
		if (native && ts[i].native_id == (uint64_t)target)
			main_seen++;
		/* The thread sitting in "except LookupError:" shows that exception; the others
		 * show nothing, or None once a handler has been left (3.11+). */
		if (ts[i].exc_value && ts[i].exc_value != in->none_addr) {
			uint64_t ev = ts[i].exc_value;

			if (!strcmp(type_name(o, ev, buf, sizeof(buf)), "LookupError") &&
			    !strcmp(exc_arg0(o, ev, buf, sizeof(buf)), "handled-now"))
				handler_seen++;
			else
				other_exc++;
		}
	}
	if (native)
		CHECK_INT(main_seen, 1);
	CHECK_INT(handler_seen, 1);
	CHECK_INT(other_exc, 0);

	/* pthread_t == fs_base: every task's fs_base is some tstate's thread_id, and (3.11+) the
	 * one whose native_thread_id is that task's tid. */
	snprintf(buf, sizeof(buf), "/proc/%d/task", target);
	d = opendir(buf);
	if (!d) {
		CHECK(d != NULL);
		return;
	}
	while ((de = readdir(d)) && nfs < MAX_THREADS) {
		pid_t tid = (pid_t)atoi(de->d_name);
		uint64_t fs;
		int match = 0;

		if (tid <= 0)
			continue;
		if (task_fsbase(tid, &fs)) {
			printf("pyinterp: %s: no ptrace (%s): fsbase check skipped\n", label,
			       strerror(errno));
			skipped++;
			break;
		}
		nfs++;
		for (int i = 0; i < n; i++)
			if (ts[i].thread_id == fs && (!native || ts[i].native_id == (uint64_t)tid))
				match++;
		CHECK_INT(match, 1);
	}
	closedir(d);
	if (nfs)
		CHECK_INT(nfs, n);
}

/* Walks a traceback: module -> f -> g, checking each frame's code object. */
static void check_traceback(const struct py_interp *in, const struct py_offsets *o,
			    const struct facts *fx, uint64_t exc, const char *label)
{
	static const char *const names[] = { "<module>", "f", "g" };
	static const int first[] = { 1, LINE_F_DEF, LINE_G_DEF };
	static const int line[] = { LINE_MODULE_CALL, LINE_F_CALL, LINE_G_RAISE };
	char buf[256];
	int n = 0, lazy = 0;

	for (uint64_t tb = rd_u64(exc + o->exc_traceback); tb && n < MAX_TB;
	     tb = rd_u64(tb + o->tb_next), n++) {
		uint64_t code = frame_code(o, rd_u64(tb + o->tb_frame));
		int32_t lineno = rd_i32(tb + o->tb_lineno);

		CHECK_STR(type_name(o, tb, buf, sizeof(buf)), "traceback");
		if (n >= 3)
			continue;
		CHECK(code != 0);
		CHECK_INT(type_of(code), in->code_type_addr);
		CHECK_STR(rd_pystr(o, rd_u64(code + o->code_name), buf, sizeof(buf)), names[n]);
		if (o->code_qualname != PY_NO_FIELD)
			CHECK_STR(rd_pystr(o, rd_u64(code + o->code_qualname), buf, sizeof(buf)),
				  names[n]);
		CHECK_STR(rd_pystr(o, rd_u64(code + o->code_filename), buf, sizeof(buf)), script);
		CHECK_INT(rd_i32(code + o->code_firstlineno), first[n]);
		if (lineno == -1)
			lazy++;
		else
			CHECK_INT(lineno, line[n]);
		if (n < fx->nlasti)
			CHECK_INT(rd_i32(tb + o->tb_lasti), fx->lasti[n]);
		if (n == 2) {
			/* g's line table, byte for byte as the child printed it. */
			uint64_t lt = rd_u64(code + o->code_linetable);
			int64_t size = (int64_t)rd_u64(lt + o->varobject_size);
			unsigned char data[sizeof(fx->linetable)];

			CHECK_STR(type_name(o, lt, buf, sizeof(buf)), "bytes");
			CHECK_INT(size, fx->linetable_len);
			CHECK(size > 0 && (size_t)size <= sizeof(data) &&
			      rd(lt + o->bytes_data, data, (size_t)size) == 0 &&
			      memcmp(data, fx->linetable, (size_t)size) == 0);
		}
	}
	CHECK_INT(n, 3);
	CHECK_INT(fx->nlasti, 3);
	printf("pyinterp: %s: tb_lineno %s\n", label,
	       lazy == 0 ? "stored (eager)" : lazy == n ? "-1 (lazy)" : "mixed eager and lazy");
	CHECK(lazy == 0 || lazy == n);
}

static void check_exceptions(const struct py_interp *in, const struct py_offsets *o,
			     const struct facts *fx, const char *label)
{
	char buf[256];
	uint64_t cause, context;

	CHECK_STR(type_name(o, fx->e, buf, sizeof(buf)), "ValueError");
	CHECK(type_flags(o, fx->e) & PY_TPFLAGS_BASE_EXC_SUBCLASS);
	CHECK_STR(exc_arg0(o, fx->e, buf, sizeof(buf)), "needle-xyz");
	CHECK_INT(rd_u64(fx->e + o->exc_context), 0);
	CHECK_INT(rd_u64(fx->e + o->exc_cause), 0);
	check_traceback(in, o, fx, fx->e, label);

	/* raise RuntimeError("outer-b") from KeyError("inner-a"): cause and context alike */
	CHECK_STR(type_name(o, fx->c, buf, sizeof(buf)), "RuntimeError");
	CHECK_STR(exc_arg0(o, fx->c, buf, sizeof(buf)), "outer-b");
	cause = rd_u64(fx->c + o->exc_cause);
	context = rd_u64(fx->c + o->exc_context);
	CHECK_STR(type_name(o, cause, buf, sizeof(buf)), "KeyError");
	CHECK_STR(exc_arg0(o, cause, buf, sizeof(buf)), "inner-a");
	CHECK_INT(context, cause);

	/* raise TypeError("ctx-b") inside "except KeyError": context only */
	CHECK_STR(type_name(o, fx->t, buf, sizeof(buf)), "TypeError");
	context = rd_u64(fx->t + o->exc_context);
	CHECK_STR(type_name(o, context, buf, sizeof(buf)), "KeyError");
	CHECK_STR(exc_arg0(o, context, buf, sizeof(buf)), "ctx-a");
	CHECK_INT(rd_u64(fx->t + o->exc_cause), 0);
}

/* M = AppError("caf\xe9", "snow\u2603", "grin\U0001F600"): a heap type (its tp_dict is set, where
 * 3.12+ leave static builtin types' NULL) and the three compact non-ASCII kinds. */
static void check_strings(const struct py_offsets *o, const struct facts *fx)
{
	static const struct {
		int kind;
		uint32_t cp[5];
		const char *utf8;
	} want[3] = {
		{ 1, { 'c', 'a', 'f', 0xe9 }, "caf\xc3\xa9" },
		{ 2, { 's', 'n', 'o', 'w', 0x2603 }, "snow\xe2\x98\x83" },
		{ 4, { 'g', 'r', 'i', 'n', 0x1f600 }, "grin\xf0\x9f\x98\x80" },
	};
	uint64_t args = rd_u64(fx->m + o->exc_args);
	char buf[64];

	CHECK_STR(type_name(o, fx->m, buf, sizeof(buf)), "AppError");
	CHECK(type_flags(o, fx->m) & PY_TPFLAGS_BASE_EXC_SUBCLASS);
	CHECK_STR(type_name(o, rd_u64(type_of(fx->m) + o->type_dict), buf, sizeof(buf)), "dict");
	CHECK_INT(rd_u64(args + o->varobject_size), 3);
	for (int i = 0; i < 3; i++) {
		uint64_t str = rd_u64(args + o->tuple_items + 8 * (uint64_t)i);
		uint32_t state = 0;
		int64_t len = (int64_t)rd_u64(str + o->unicode_length);
		int kind = want[i].kind;

		CHECK(type_flags(o, str) & PY_TPFLAGS_UNICODE_SUBCLASS);
		CHECK(rd(str + o->unicode_state, &state, sizeof(state)) == 0);
		CHECK_INT(state & 0x60, 0x20); /* compact, not ascii */
		CHECK_INT((state >> 2) & 7, kind);
		CHECK_INT(len, (want[i].cp[4] ? 5 : 4));
		for (int j = 0; j < len && j < 5; j++) {
			uint32_t cp = 0;

			CHECK(rd(str + o->unicode_compact_data + (uint64_t)(j * kind), &cp,
				 (size_t)kind) == 0);
			CHECK_INT(cp, want[i].cp[j]);
		}
		if (fx->utf8) {
			uint64_t u = rd_u64(str + o->unicode_utf8);
			int64_t ulen = (int64_t)rd_u64(str + o->unicode_utf8_length);

			CHECK_INT(ulen, strlen(want[i].utf8));
			CHECK_STR(rd_cstr(u, buf, sizeof(buf)), want[i].utf8);
		}
	}
}

/* 3.13 describes its own layout in _Py_DebugOffsets at the start of _PyRuntime: a second,
 * independent source for the table. Indexes are of its uint64_t fields in 3.13.0. */
static void check_debug_offsets(const struct py_interp *in, const struct py_offsets *o)
{
	uint64_t w[73];

	CHECK(rd(in->runtime_addr, w, sizeof(w)) == 0);
	CHECK(memcmp(w, "xdebugpy", 8) == 0);
	CHECK_INT(w[1] >> 16, (3u << 8) | (unsigned)in->minor);
	CHECK_INT(w[5], o->runtime_interpreters_head);
	CHECK_INT(w[9], o->interp_threads_head);
	CHECK_INT(w[21], o->tstate_next);
	CHECK_INT(w[22], 16);
	CHECK_INT(w[24], o->tstate_thread_id);
	CHECK_INT(w[25], o->tstate_native_thread_id);
	CHECK_INT(w[30], o->iframe_code);
	CHECK_INT(w[35], o->code_filename);
	CHECK_INT(w[36], o->code_name);
	CHECK_INT(w[37], o->code_qualname);
	CHECK_INT(w[38], o->code_linetable);
	CHECK_INT(w[39], o->code_firstlineno);
	CHECK_INT(w[45], 8);
	CHECK_INT(w[47], o->type_name);
	CHECK_INT(w[49], o->type_flags);
	CHECK_INT(w[51], o->tuple_items);
	CHECK_INT(w[52], o->varobject_size);
	CHECK_INT(w[66], o->bytes_data);
	CHECK_INT(w[68], o->unicode_state);
	CHECK_INT(w[69], o->unicode_length);
	CHECK_INT(w[70], o->unicode_ascii_data);
}

/* Each fallback version source, on the very file pyinterp_inspect chose. */
static void check_sources(const struct py_interp *in, const char *realpath_)
{
	const unsigned all = PYINTERP_SRC_PY_VERSION | PYINTERP_SRC_DEBUG_OFFSETS |
			     PYINTERP_SRC_SONAME | PYINTERP_SRC_FILE_NAME | PYINTERP_SRC_CACHE_TAG;
	const char *src = NULL, *why = NULL;
	int ma = 0, mi = 0, mc = 0;

	CHECK_INT(pyinterp_file_version(in->path, 0, &ma, &mi, &mc, &src, &why), 0);
	CHECK_STR(src, in->version_source);
	CHECK_INT(mi, in->minor);
	if (in->minor >= 13) {
		CHECK_INT(pyinterp_file_version(in->path, PYINTERP_SRC_PY_VERSION, &ma, &mi, &mc,
						&src, &why),
			  0);
		CHECK_STR(src, "_Py_DebugOffsets");
		CHECK_INT(mi, in->minor);
		CHECK_INT(mc, in->micro);
	}
	if (in->shared) {
		const unsigned skip = PYINTERP_SRC_PY_VERSION | PYINTERP_SRC_DEBUG_OFFSETS;

		CHECK_INT(pyinterp_file_version(in->path, skip, &ma, &mi, &mc, &src, &why), 0);
		CHECK_STR(src, "soname");
		CHECK_INT(mi, in->minor);
		CHECK_INT(mc, -1);
	}
	/* The file name: /proc/PID/exe says nothing, so ask about the real path. */
	CHECK_INT(pyinterp_file_version(in->shared ? in->path : realpath_,
					all & ~PYINTERP_SRC_FILE_NAME, &ma, &mi, &mc, &src, &why),
		  0);
	CHECK_STR(src, "file name");
	CHECK_INT(mi, in->minor);
	CHECK_INT(pyinterp_file_version(in->path, all & ~PYINTERP_SRC_CACHE_TAG, &ma, &mi, &mc,
					&src, &why),
		  0);
	CHECK_STR(src, "cache tag");
	CHECK_INT(ma, 3);
	CHECK_INT(mi, in->minor);
	CHECK_INT(mc, -1);
	why = NULL;
	CHECK_INT(pyinterp_file_version(in->path, all, &ma, &mi, &mc, &src, &why), -1);
	CHECK(why != NULL);
}

static void test_live(const char *label, const char *python)
{
	char *argv[] = { (char *)python, "-S", script, NULL };
	char real[4096];
	struct child c;
	struct facts fx;
	struct py_interp in;
	const struct py_offsets *o;
	const char *why = NULL;

	/* -S: no site, so nothing else (no .pth hook) starts threads or changes the state. */
	if (spawn(&c, argv) || wait_ready(&c) || parse_facts(&c, &fx)) {
		CHECK(!"child python started and reported its state");
		fprintf(stderr, "%s: child output: %.*s\n", label, (int)c.len, c.out);
		reap(&c);
		return;
	}
	target = c.pid;
	CHECK_INT(pyinterp_inspect((uint32_t)c.pid, &in, &why), 0);
	if (why)
		fprintf(stderr, "%s: %s\n", label, why);
	printf("pyinterp: %s: %d.%d.%d (child says %d.%d.%d) from %s, %s %s, bias 0x%" PRIx64 "\n",
	       label, in.major, in.minor, in.micro, fx.major, fx.minor, fx.micro,
	       in.version_source ? in.version_source : "-",
	       in.shared ? "shared" : "executable", in.path, in.load_bias);
	CHECK_INT(in.major, fx.major);
	CHECK_INT(in.minor, fx.minor);
	if (fx.minor >= 11)
		CHECK_INT(in.micro, fx.micro);
	else
		CHECK(in.micro == -1 || in.micro == fx.micro);
	CHECK_INT(in.none_addr, fx.none);
	CHECK_INT(in.code_type_addr, fx.codetype);
	if (fx.runtime)
		CHECK_INT(in.runtime_addr, fx.runtime);
	o = pyoffsets_find(in.major, in.minor, in.micro);
	CHECK(o != NULL);
	if (o) {
		CHECK_INT(o->major, fx.major);
		CHECK_INT(o->minor, fx.minor);
		check_threads(&in, o, &fx, label);
		check_exceptions(&in, o, &fx, label);
		check_strings(o, &fx);
		if (!fx.utf8) {
			printf("pyinterp: %s: no ctypes in the child: utf8 check skipped\n", label);
			skipped++;
		}
		if (in.minor >= 13)
			check_debug_offsets(&in, o);
	}
	if (!realpath(python, real))
		snprintf(real, sizeof(real), "%s", python);
	check_sources(&in, real);
	reap(&c);
}

/* An interpreter the table does not cover: inspect must still say so cleanly. */
static void test_unsupported(const char *label, const char *python, int want_ret, int minor)
{
	char *argv[] = { (char *)python, simple, NULL };
	struct child c;
	struct py_interp in;
	const char *why = NULL;
	int ret;

	if (spawn(&c, argv) || wait_ready(&c)) {
		CHECK(!"child python started");
		reap(&c);
		return;
	}
	ret = pyinterp_inspect((uint32_t)c.pid, &in, &why);
	printf("pyinterp: %s: inspect -> %d (%s)\n", label, ret,
	       ret ? why : in.version_source);
	CHECK_INT(ret, want_ret);
	if (ret == 0) {
		CHECK_INT(in.minor, minor);
		CHECK(pyoffsets_find(in.major, in.minor, in.micro) == NULL);
	} else {
		CHECK(why != NULL && strlen(why) > 10);
	}
	reap(&c);
}

static void test_not_python(void)
{
	char *argv[] = { "/bin/sleep", "300", NULL };
	struct child c;
	struct py_interp in;
	const char *why = NULL;

	CHECK_INT(spawn(&c, argv), 0);
	CHECK_INT(pyinterp_inspect((uint32_t)c.pid, &in, &why), -1);
	CHECK(why != NULL && strstr(why, "does not run CPython"));
	printf("pyinterp: /bin/sleep: %s\n", why ? why : "(no why)");
	reap(&c);

	why = NULL;
	CHECK_INT(pyinterp_inspect((uint32_t)getpid(), &in, &why), -1);
	CHECK(why != NULL);
	why = NULL;
	/* pid_max is at most 2^22: this one cannot exist. */
	CHECK_INT(pyinterp_inspect(0x7ffffff0u, &in, &why), -1);
	CHECK(why != NULL);
	why = NULL;
	CHECK_INT(pyinterp_inspect(2, &in, &why), -1); /* kthreadd */
	CHECK(why != NULL);
}

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[65536];
	size_t n;
	int ret = in && out ? 0 : -1;

	while (ret == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			ret = -1;
	if (in)
		fclose(in);
	if (out && fclose(out))
		ret = -1;
	return ret;
}

/* A libpython deleted (say, upgraded) after the process mapped it: only map_files still
 * reaches it, and the offsets must still come out right. */
static void test_deleted_lib(const char *python, const char *libpython, int minor)
{
	char *argv[] = { (char *)python, simple, NULL };
	char lib[256];
	struct child c;
	struct py_interp in;
	const struct py_offsets *o;
	const char *why = NULL;

	snprintf(lib, sizeof(lib), "%s/libpython3.%d.so.1.0", tmpdir, minor);
	CHECK_INT(copy_file(libpython, lib), 0);
	/* The pyenv executables find libpython through RUNPATH, which this overrides. */
	setenv("LD_LIBRARY_PATH", tmpdir, 1);
	if (spawn(&c, argv) || wait_ready(&c)) {
		CHECK(!"child python started");
		unsetenv("LD_LIBRARY_PATH");
		unlink(lib);
		reap(&c);
		return;
	}
	unsetenv("LD_LIBRARY_PATH");
	unlink(lib);
	target = c.pid;
	CHECK_INT(pyinterp_inspect((uint32_t)c.pid, &in, &why), 0);
	printf("pyinterp: deleted libpython3.%d: %s\n", minor, in.path);
	CHECK(strstr(in.path, "/map_files/") != NULL);
	CHECK_INT(in.shared, 1);
	CHECK_INT(in.minor, minor);
	o = pyoffsets_find(in.major, in.minor, in.micro);
	CHECK(o != NULL);
	if (o) {
		uint64_t interp = rd_u64(in.runtime_addr + o->runtime_interpreters_head);
		uint64_t ts = rd_u64(interp + o->interp_threads_head);

		CHECK(ts != 0);
		CHECK_INT(rd_u64(ts + 16), interp);
	}
	reap(&c);
}

/* A name with the "t" or "d" ABI flag is a build whose layout the table does not describe. */
static void test_build_flags(const char *libpython)
{
	static const struct {
		const char *name, *why;
	} cases[] = {
		{ "libpython3.12t.so.1.0", "free-threaded" },
		{ "libpython3.12d.so.1.0", "debug build" },
		{ "python3.13t", "free-threaded" },
	};
	char link[256];
	const char *src, *why;
	int ma, mi, mc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(link, sizeof(link), "%s/%s", tmpdir, cases[i].name);
		CHECK_INT(symlink(libpython, link), 0);
		why = NULL;
		CHECK_INT(pyinterp_file_version(link, 0, &ma, &mi, &mc, &src, &why), -1);
		CHECK(why != NULL && strstr(why, cases[i].why));
		unlink(link);
	}
}

static void test_table(void)
{
	CHECK(pyoffsets_find(3, 7, 16) == NULL);
	CHECK(pyoffsets_find(3, 14, 0) == NULL);
	CHECK(pyoffsets_find(2, 7, 18) == NULL);
	for (int minor = 8; minor <= 13; minor++) {
		const struct py_offsets *o = pyoffsets_find(3, minor, -1);

		CHECK(o != NULL);
		if (!o)
			continue;
		CHECK_INT(o->minor, minor);
		CHECK(pyoffsets_find(3, minor, 99) == o);
		/* Exactly one way from a frame object to its code. */
		CHECK((o->frame_code == PY_NO_FIELD) == (minor >= 11));
		CHECK((o->frame_iframe == PY_NO_FIELD) == (minor < 11));
	}
}

/* The newest pyenv build of 3.minor, or NULL. */
static const char *pyenv_python(int minor, char *buf, size_t cap)
{
	char pat[128];
	glob_t g;
	const char *ret = NULL;

	snprintf(pat, sizeof(pat), PYENV "/3.%d.*/bin/python3.%d", minor, minor);
	if (glob(pat, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			/* 3.13.0t and the like are other builds. */
			const char *v = g.gl_pathv[i] + strlen(PYENV "/3.");
			const char *slash = strchr(v, '/');
			int plain = 1;

			for (const char *p = v; p < slash; p++)
				if (!((*p >= '0' && *p <= '9') || *p == '.'))
					plain = 0;
			if (plain && access(g.gl_pathv[i], X_OK) == 0) {
				snprintf(buf, cap, "%s", g.gl_pathv[i]);
				ret = buf;
			}
		}
		globfree(&g);
	}
	return ret;
}

int main(void)
{
	char path[4096], python[4096], label[32];
	int ret;

	if (geteuid() != 0) {
		printf("skipped: needs root (process_vm_readv and ptrace of child processes)\n");
		/* One skip per interpreter it would have checked: Debian's and pyenv 3.8-3.13. */
		printf("pyinterp: 0 passed, 0 failed, 7 skipped\n");
		return 0;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pyinterp-test-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(script, sizeof(script), "%s/state.py", tmpdir);
	snprintf(simple, sizeof(simple), "%s/simple.py", tmpdir);
	if (write_file(script, script_text) || write_file(simple, simple_text)) {
		perror("writing the test scripts");
		return 1;
	}

	test_table();
	test_not_python();

	if (access("/usr/bin/python3", X_OK) == 0) {
		test_live("debian python3", "/usr/bin/python3");
	} else {
		printf("pyinterp: skipped /usr/bin/python3: not installed\n");
		skipped++;
	}
	for (int minor = 8; minor <= 13; minor++) {
		snprintf(label, sizeof(label), "pyenv 3.%d", minor);
		if (pyenv_python(minor, path, sizeof(path))) {
			test_live(label, path);
		} else {
			printf("pyinterp: skipped %s: no %s/3.%d.*\n", label, PYENV, minor);
			skipped++;
		}
	}
	if (pyenv_python(12, path, sizeof(path))) {
		/* .../bin/python3.12 -> .../lib/libpython3.12.so.1.0 */
		char *bin = strstr(path, "/bin/");

		snprintf(bin, sizeof(path) - (size_t)(bin - path), "/lib/libpython3.12.so.1.0");
		test_build_flags(path);
		if (pyenv_python(12, python, sizeof(python)))
			test_deleted_lib(python, path, 12);
	} else {
		printf("pyinterp: skipped the ABI flag checks: no pyenv 3.12\n");
		skipped++;
	}
	/* Outside the table: 3.7 has _PyRuntime (found, but no offsets), 3.6 and 2.7 do not. */
	if (pyenv_python(7, path, sizeof(path)))
		test_unsupported("pyenv 3.7", path, 0, 7);
	if (pyenv_python(6, path, sizeof(path)))
		test_unsupported("pyenv 3.6", path, -1, 6);
	if (access(PYENV "/2.7.18/bin/python2.7", X_OK) == 0)
		test_unsupported("pyenv 2.7", PYENV "/2.7.18/bin/python2.7", -1, 7);

	unlink(script);
	unlink(simple);
	rmdir(tmpdir);
	ret = check_summary("pyinterp");
	/* tests/run.sh reads the last summary line; this one also carries the skips. */
	if (skipped)
		printf("pyinterp: %d passed, %d failed, %d skipped\n", check_passed, check_failed,
		       skipped);
	return ret;
}
