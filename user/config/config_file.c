// SPDX-License-Identifier: BSD-2-Clause
/* --config FILE: one JSON object whose keys mirror the long flags, applied over the defaults. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "config/config_file.h"
#include "config/options.h"

enum kind { K_STRING, K_UINT, K_BOOL, K_UINT_ARRAY, K_LIST, K_SAMPLING, K_STR_ARRAY };

struct key {
	const char *name;
	enum option_id id;
	enum kind kind;
};

static const struct key top_keys[] = {
	{ "pids", OPTION_PID, K_UINT_ARRAY },
	{ "service_name", OPTION_SERVICE_NAME, K_STRING },
	{ "service_version", OPTION_SERVICE_VERSION, K_STRING },
	{ "capture_bytes", OPTION_CAPTURE_BYTES, K_UINT },
	{ "ringbuf_mb", OPTION_RINGBUF_MB, K_UINT },
	{ "record", OPTION_RECORD, K_STRING },
	{ "export", OPTION_EXPORT, K_LIST },
	{ "sampling", OPTION_SAMPLING, K_SAMPLING },
	{ "sampling_keep_errors", OPTION_SAMPLING_KEEP_ERRORS, K_BOOL },
	{ "sampling_keep_slower_than", OPTION_SAMPLING_KEEP_SLOWER_THAN, K_UINT },
	{ "flush_deadline", OPTION_FLUSH_DEADLINE, K_UINT },
	{ "export_queue_mb", OPTION_EXPORT_QUEUE_MB, K_UINT },
	{ "verbose", OPTION_VERBOSE, K_BOOL },
	{ "comm", OPTION_COMM, K_STR_ARRAY },
	{ "exe", OPTION_EXE, K_STR_ARRAY },
	{ "cgroup", OPTION_CGROUP, K_STR_ARRAY },
	{ "container", OPTION_CONTAINER, K_STR_ARRAY },
	{ "exit_when_gone", OPTION_EXIT_WHEN_GONE, K_BOOL },
	{ "log_files", OPTION_LOG_FILES, K_LIST },
	{ "redact_headers", OPTION_REDACT_HEADERS, K_STR_ARRAY },
	{ "query_allow", OPTION_QUERY_ALLOW, K_STR_ARRAY },
	{ "redact_patterns", OPTION_REDACT_PATTERN, K_STR_ARRAY },
	{ "stats", OPTION_STATS, K_UINT },
	{ "metrics_port", OPTION_METRICS_PORT, K_UINT },
	{ "metrics_address", OPTION_METRICS_ADDRESS, K_STRING },
	{ "redis_redact_keys", OPTION_REDIS_REDACT_KEYS, K_BOOL },
	{ "keep_path_tokens", OPTION_KEEP_PATH_TOKENS, K_BOOL },
};

/* What one key of the file sets: one of the settings above, or a backend's. */
struct target {
	const char *name; /* as messages quote it: "capture_bytes", "SECTION.key" */
	enum kind kind;
	enum option_id id;
	const struct backend *b; /* NULL: id */
	const struct backend_setting *s;
};

/* Owns every string cfg borrows from the file; one file at a time. */
static cJSON *loaded;
static char list_buf[sizeof(((struct config *)0)->log_files_buf)];

static const char *type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	if (cJSON_IsNumber(v))
		return v->valuedouble == floor(v->valuedouble) ? "a whole number" : "a fraction";
	return "something else";
}

static int is_whole(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
	       fabs(v->valuedouble) < 1e15;
}

static int set(struct config *cfg, const struct target *k, const char *name, const char *value,
	       char *err, size_t errlen)
{
	if (k->b)
		return options_set_backend(cfg, k->b, k->s, CONFIG_FROM_FILE, name, value, err,
					   errlen);
	return options_set(cfg, k->id, name, value, err, errlen);
}

/* Turn one JSON value into the text a flag would carry, then validate it as the flag is. */
static int apply(struct config *cfg, const struct target *k, const cJSON *v, const char *path,
		 char *err, size_t errlen)
{
	char name[80], msg[400], num[32];
	const char *text = NULL;
	const char *want = NULL;

	snprintf(name, sizeof(name), "\"%s\"", k->name);
	switch (k->kind) {
	case K_STRING:
		if (!cJSON_IsString(v))
			want = "a string";
		text = v->valuestring;
		break;
	case K_UINT:
		if (!is_whole(v))
			want = "a whole number";
		snprintf(num, sizeof(num), "%.0f", v->valuedouble);
		text = num;
		break;
	case K_BOOL:
		if (!cJSON_IsBool(v))
			want = "true or false";
		text = cJSON_IsTrue(v) ? "1" : "0";
		break;
	case K_SAMPLING:
		if (cJSON_IsNumber(v)) {
			snprintf(num, sizeof(num), "%.17g", v->valuedouble);
			text = num;
		} else if (cJSON_IsString(v)) {
			text = v->valuestring;
		} else {
			want = "a string or a number";
		}
		break;
	case K_UINT_ARRAY: {
		const cJSON *e;

		if (!cJSON_IsArray(v)) {
			want = "an array of whole numbers";
			break;
		}
		cfg->npids = 0;
		cJSON_ArrayForEach(e, v)
		{
			if (!is_whole(e)) {
				snprintf(err, errlen,
					 "config %s: %s must hold whole numbers, not %s", path,
					 name, type_name(e));
				return -1;
			}
			snprintf(num, sizeof(num), "%.0f", e->valuedouble);
			if (set(cfg, k, name, num, msg, sizeof(msg)))
				goto bad_value;
		}
		return 0;
	}
	case K_STR_ARRAY: {
		const cJSON *e;

		if (!cJSON_IsArray(v)) {
			want = "an array of strings";
			break;
		}
		/* The file's list replaces the defaults' (none), or what an earlier key set, as a
		 * flag's does. */
		if (k->id == OPTION_COMM)
			cfg->ncomms = 0;
		else if (k->id == OPTION_EXE)
			cfg->nexes = 0;
		else if (k->id == OPTION_CGROUP)
			cfg->ncgroups = 0;
		else if (k->id == OPTION_CONTAINER)
			cfg->ncontainers = 0;
		else if (k->id == OPTION_REDACT_HEADERS)
			cfg->redact.nheaders = 0;
		else if (k->id == OPTION_QUERY_ALLOW)
			cfg->redact.nquery_allow = 0;
		else
			cfg->redact.npatterns = 0;
		cJSON_ArrayForEach(e, v)
		{
			if (!cJSON_IsString(e)) {
				snprintf(err, errlen, "config %s: %s must hold strings, not %s",
					 path, name, type_name(e));
				return -1;
			}
			if (set(cfg, k, name, e->valuestring, msg, sizeof(msg)))
				goto bad_value;
		}
		return 0;
	}
	case K_LIST: {
		const cJSON *e;
		size_t off = 0;

		if (!cJSON_IsArray(v)) {
			want = "an array of strings";
			break;
		}
		list_buf[0] = 0;
		if (k->id == OPTION_LOG_FILES) {
			/* the file's patterns replace any before; [] means none */
			cfg->nlog_files = 0;
			cfg->log_files_used = 0;
			if (cJSON_GetArraySize(v) == 0)
				return 0;
		}
		cJSON_ArrayForEach(e, v)
		{
			if (!cJSON_IsString(e)) {
				snprintf(err, errlen, "config %s: %s must hold strings, not %s",
					 path, name, type_name(e));
				return -1;
			}
			/* The flag's comma list, so the flag's checks (empty, twice) apply. */
			off += (size_t)snprintf(list_buf + off, sizeof(list_buf) - off, "%s%s",
						off ? "," : "", e->valuestring);
			if (off >= sizeof(list_buf))
				off = sizeof(list_buf) - 1;
		}
		text = list_buf;
		break;
	}
	}
	if (want) {
		snprintf(err, errlen, "config %s: %s must be %s, not %s", path, name, want,
			 type_name(v));
		return -1;
	}
	if (set(cfg, k, name, text, msg, sizeof(msg)) == 0)
		return 0;
bad_value:
	snprintf(err, errlen, "config %s: %s", path, msg);
	return -1;
}

/* The key at the top level of the file: a setting of the table above, or of a backend whose
 * keys are not in a section of their own. */
static int find_top(const char *name, struct target *k)
{
	memset(k, 0, sizeof(*k));
	k->name = name;
	for (size_t i = 0; i < sizeof(top_keys) / sizeof(top_keys[0]); i++) {
		if (strcmp(top_keys[i].name, name) == 0) {
			k->id = top_keys[i].id;
			k->kind = top_keys[i].kind;
			return 0;
		}
	}
	for (int i = 0; i < nbackends; i++) {
		if (!backends[i]->section && (k->s = backend_setting_find(backends[i], name))) {
			k->b = backends[i];
			k->kind = k->s->kind == SETTING_UINT ? K_UINT : K_STRING;
			return 0;
		}
	}
	return -1;
}

static const struct backend *find_section(const char *name)
{
	for (int i = 0; i < nbackends; i++)
		if (backends[i]->section && strcmp(backends[i]->section, name) == 0)
			return backends[i];
	return NULL;
}

/* "SECTION": {...}: the settings of the backend whose section it is. */
static int apply_section(struct config *cfg, const struct backend *b, const cJSON *obj,
			 const char *path, char *err, size_t errlen)
{
	const cJSON *x;
	char full[128];

	if (!cJSON_IsObject(obj)) {
		snprintf(err, errlen, "config %s: \"%s\" must be an object, not %s", path,
			 obj->string, type_name(obj));
		return -1;
	}
	cJSON_ArrayForEach(x, obj)
	{
		struct target k = { .name = full, .b = b, .s = backend_setting_find(b, x->string) };

		snprintf(full, sizeof(full), "%s.%s", obj->string, x->string);
		if (!k.s) {
			snprintf(err, errlen, "config %s: unknown key \"%s\"", path, full);
			return -1;
		}
		k.kind = k.s->kind == SETTING_UINT ? K_UINT : K_STRING;
		if (apply(cfg, &k, x, path, err, errlen))
			return -1;
	}
	return 0;
}

static int apply_object(struct config *cfg, const cJSON *obj, const char *path, char *err,
			size_t errlen)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, obj)
	{
		const struct backend *b = find_section(v->string);
		struct target k;

		if (b) {
			if (apply_section(cfg, b, v, path, err, errlen))
				return -1;
			continue;
		}
		if (find_top(v->string, &k)) {
			snprintf(err, errlen, "config %s: unknown key \"%s\"", path, v->string);
			return -1;
		}
		if (apply(cfg, &k, v, path, err, errlen))
			return -1;
	}
	return 0;
}

/* Could someone other than root or pyspan's own user have written st's file? Not on a
 * read-only mount (a Kubernetes ConfigMap volume: a 0777 directory nobody can write). */
static int untrusted(const struct stat *st, const struct statvfs *vfs)
{
	if (vfs->f_flag & ST_RDONLY)
		return 0;
	return (st->st_uid != 0 && st->st_uid != geteuid()) || (st->st_mode & (S_IWGRP | S_IWOTH));
}

/* pyspan runs as root and the file says what it writes (record) and where it sends spans:
 * like sshd and sudo, refuse a file, or a directory above it, that anyone but root or
 * pyspan's own user could have changed. A world-writable directory with the sticky bit
 * (/tmp) is fine: nobody else can replace what root or pyspan's user put there; so is
 * anything on a read-only mount. f is the
 * opened file, path its name. 0, or -1 with one line in err naming the file and its mode. */
static int config_file_trust(FILE *f, const char *path, char *err, size_t errlen)
{
	char real[PATH_MAX], *slash;
	struct stat st;

	struct stat named;
	struct statvfs vfs;

	if (fstat(fileno(f), &st) || fstatvfs(fileno(f), &vfs) || !realpath(path, real) ||
	    stat(real, &named)) {
		snprintf(err, errlen, "config %s: %s", path, strerror(errno));
		return -1;
	}
	if (named.st_dev != st.st_dev || named.st_ino != st.st_ino) {
		snprintf(err, errlen, "config %s: replaced while it was read", path);
		return -1;
	}
	/* A character device (/dev/null: an empty configuration) is the kernel's. */
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
		snprintf(err, errlen, "config %s: not a regular file", path);
		return -1;
	}
	if (S_ISREG(st.st_mode) && untrusted(&st, &vfs)) {
		snprintf(err, errlen, "config %s: refused: mode %04o, owner uid %u: only root or "
			 "pyspan's user may be able to write it", path, (unsigned)(st.st_mode & 07777),
			 (unsigned)st.st_uid);
		return -1;
	}
	while ((slash = strrchr(real, '/'))) {
		slash[slash == real] = '\0'; /* "/a/b" -> "/a", "/a" -> "/" */
		if (stat(real, &st) || statvfs(real, &vfs)) {
			snprintf(err, errlen, "config %s: %s: %s", path, real, strerror(errno));
			return -1;
		}
		if (untrusted(&st, &vfs) &&
		    !((st.st_mode & S_ISVTX) && (st.st_uid == 0 || st.st_uid == geteuid()))) {
			snprintf(err, errlen, "config %s: refused: its directory %s has mode %04o, "
				 "owner uid %u: only root or pyspan's user may be able to write it",
				 path, real, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
			return -1;
		}
		if (!real[1])
			break;
	}
	return 0;
}

/* The whole file, NUL-terminated, or NULL with the reason in err. */
static char *read_all(const char *path, size_t *len, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO put under the name must not hang pyspan before it is refused. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");
	char *buf;
	size_t n;

	if (!f) {
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "config %s: %s", path, strerror(errno));
		return NULL;
	}
	if (config_file_trust(f, path, err, errlen)) {
		fclose(f);
		return NULL;
	}
	buf = malloc(CONFIG_FILE_MAX + 2);
	if (!buf) {
		fclose(f);
		snprintf(err, errlen, "config %s: out of memory", path);
		return NULL;
	}
	n = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "config %s: %s", path, strerror(errno ? errno : EIO));
		goto fail;
	}
	if (n > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "config %s: larger than 1 MiB", path);
		goto fail;
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

/* cJSON's error offset as the line and column an editor shows. */
static void bad_json(const char *buf, size_t len, const char *end, const char *path, char *err,
		     size_t errlen)
{
	int line = 1, col = 1;

	for (const char *p = buf; end && p < end && p < buf + len; p++) {
		if (*p == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(err, errlen, "config %s: invalid JSON at line %d, column %d", path, line, col);
}

int config_file_parse(const char *text, size_t len, const char *path, struct config *cfg,
		      char *err, size_t errlen)
{
	const char *end = NULL;

	cJSON_Delete(loaded);
	loaded = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	/* Trailing text after the object is as wrong as a syntax error inside it. */
	while (loaded && end && end < text + len && strchr(" \t\r\n", *end))
		end++;
	if (!loaded || (end && end < text + len)) {
		bad_json(text, len, end, path, err, errlen);
		return -1;
	}
	if (!cJSON_IsObject(loaded)) {
		snprintf(err, errlen, "config %s: must hold one JSON object, not %s", path,
			 type_name(loaded));
		return -1;
	}
	return apply_object(cfg, loaded, path, err, errlen);
}

int config_file_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	size_t len;
	char *buf = read_all(path, &len, err, errlen);
	int rc;

	if (!buf)
		return -1;
	rc = config_file_parse(buf, len, path, cfg, err, errlen);
	free(buf);
	return rc;
}
