/* SPDX-License-Identifier: BSD-2-Clause */
/* What a backend declares about itself: its name, flags, environment, config keys and opener. */
#ifndef PYSPAN_EXPORT_BACKEND_H
#define PYSPAN_EXPORT_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "export/export.h"

/* Bytes of settings one backend keeps (its options struct); config/ holds one such area per
 * backend and knows nothing of what is in it. Each backend checks its size with
 * BACKEND_SETTINGS_FIT. */
#define BACKEND_SETTINGS_MAX 256
#define BACKENDS_MAX 16
#define BACKEND_SETTINGS_COUNT_MAX 16 /* settings one backend declares */
#define BACKEND_SETTINGS_FIT(type)                                                                 \
	_Static_assert(sizeof(type) <= BACKEND_SETTINGS_MAX, #type " outgrew BACKEND_SETTINGS_MAX")

enum setting_kind {
	SETTING_STRING, /* const char *, NULL until set; the config file takes a string */
	SETTING_UINT,   /* uint32_t within [min, max]; the config file takes a whole number */
	SETTING_CHOICE, /* int, one of choices by name; the config file takes the name */
};

struct setting_choice {
	const char *name;
	int value;
};

/* One setting of a backend: where a user can give it and how it is checked. */
struct backend_setting {
	/* The config file's key: inside the backend's section when it has one ("mode" in
	 * "xray": {...}), else at the top level ("rollbar_environment"). */
	const char *key;
	/* The long flag without "--"; NULL for a setting no flag may carry (a secret: a command
	 * line is readable by every user). */
	const char *flag;
	const char *arg;   /* the flag's value as --help names it ("URL") */
	/* The --help text after the flag; "\n" starts a line, indented under the text. NULL:
	 * another setting's help speaks for this flag too. */
	const char *help;
	const char *usage; /* what --help shows instead of "--FLAG ARG" (two flags on one line) */
	/* Environment variables, the first one set wins; outranked by flags, outranking the file.
	 * A string from here is taken as it is: the backend checks it when it opens. */
	const char *env[3];
	enum setting_kind kind;
	size_t offset; /* of the field in the backend's options struct */
	uint32_t min, max;                     /* SETTING_UINT */
	const struct setting_choice *choices; /* SETTING_CHOICE, ended by a NULL name */
	/* SETTING_STRING: refuse a value with one sentence in err naming it as name ("--log-group"
	 * or "\"cloudwatch.log_group\""); NULL takes any string. */
	int (*check)(const char *name, const char *value, char *err, size_t errlen);
	/* SETTING_STRING: what --check-config prints for it (headers: names kept, values
	 * masked); NULL prints it as it is (or "****" when its key names a secret). */
	void (*show)(const char *value, char *out, size_t len);
	int required; /* --export NAME is refused without it */
	/* Keys of this backend's string settings this one clears when it is given at a higher
	 * level than theirs (file < environment < flags): a base URL given on the command line
	 * replaces the per-signal URLs of the file and the environment. */
	const char *outranks[3];
};

/* The settings every backend may take besides its own. */
struct backend_shared {
	const char *service_version;     /* --service-version; NULL: none */
	const char *resource_attributes; /* OTEL_RESOURCE_ATTRIBUTES; NULL: none */
	uint32_t flush_deadline_s;       /* --flush-deadline */
};

struct backend {
	const char *name;        /* as --export takes it */
	const char *export_note; /* said after its name in --export's help ("failed requests only") */
	/* The config file's object holding its settings ("xray"); NULL: its keys are top-level. */
	const char *section;
	const struct backend_setting *settings;
	int nsettings;
	size_t settings_size;   /* of its options struct, what open receives */
	const void *defaults;   /* the options struct before anything is given; NULL: zeroes */
	/* Where --help and --check-config show its settings among the other backends' (lower
	 * first, then registry order), so that their order stays what users have seen. */
	int listing;
	int takes_logs;         /* the service's output goes to it, not just spans */
	/* A sentence for --help's precedence paragraph, when its settings rank in a way of their
	 * own. */
	const char *help_precedence;
	/* The exporter, from its own settings (settings_size bytes) and the shared ones; NULL
	 * after one line on stderr when they are unusable (pyspan exits 2). */
	struct exporter *(*open)(const void *settings, const struct backend_shared *shared);
};

/* The registry (backends.c): every backend, in the order --export lists them; the first is
 * the default. */
extern const struct backend *const backends[];
extern const int nbackends;

/* Every backend in the order --help and --check-config show their settings (by listing,
 * then registry order); out holds nbackends. */
void backends_listed(const struct backend **out);

/* The backend named name, or NULL. */
const struct backend *backend_find(const char *name);
/* Its place in backends[], or -1. */
int backend_index(const struct backend *b);
/* Its setting whose config key is key, or NULL. */
const struct backend_setting *backend_setting_find(const struct backend *b, const char *key);

/* Checks that several backends' settings share ("takes an http:// or https:// URL, not 'x'",
 * "must not be empty"). */
int backend_check_url(const char *name, const char *value, char *err, size_t errlen);
int backend_check_not_empty(const char *name, const char *value, char *err, size_t errlen);

#endif
