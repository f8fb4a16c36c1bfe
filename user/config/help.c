// SPDX-License-Identifier: BSD-2-Clause
/* --help: pyspan's own options as written here, each backend's from the table it owns. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/help.h"
#include "export/backend.h"

#define HELP_COLUMN 25 /* where the text after a flag starts */
#define HELP_WIDTH 85  /* the longest line a paragraph made here may have */

/* Through --record. */
static const char usage_head[] =
	"Usage: pyspan --pid PID [options]\n"
	"       pyspan {--comm NAME | --exe PATH | --cgroup PATH | --container ID} [options]\n"
	"       pyspan --config FILE [options]\n"
	"       pyspan --check-config FILE [options]\n"
	"\n"
	"Trace the HTTP requests a running Python service serves, with no change to it, and\n"
	"print one JSON span per request on stdout. Follows every process the target forks\n"
	"(gunicorn and uWSGI workers) and the children it already has. Stop with Ctrl-C or\n"
	"SIGTERM: a summary goes to stderr.\n"
	"\n"
	"Needs root, or exactly these capabilities: CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE,\n"
	"CAP_DAC_READ_SEARCH (and CAP_SYS_RESOURCE on kernels older than 5.11, CAP_SYS_ADMIN\n"
	"when tracefs is not mounted). In a container: the host's PID namespace (--pid=host),\n"
	"so pids are the host's.\n"
	"\n"
	"What to trace (at least one; processes matching --comm, --exe, --cgroup and\n"
	"--container are traced when pyspan starts and whenever one starts later; a process\n"
	"must match one value of each of these kinds given):\n"
	"  -p, --pid PID          process to trace, with its children; repeat for several\n"
	"      --comm NAME        processes named NAME (ps -o comm: the first 15 bytes)\n"
	"      --exe PATH         processes running the executable PATH, as the process sees\n"
	"                         it (/proc/PID/exe; a symlink given is resolved too)\n"
	"      --cgroup PATH      processes in the cgroup PATH or below it: a directory under\n"
	"                         /sys/fs/cgroup (v1 or v2) or a path as /proc/PID/cgroup\n"
	"                         shows it (/system.slice/shop.service)\n"
	"      --container ID     processes of the container ID (docker, containerd, cri-o,\n"
	"                         podman; 12+ hex digits or docker://ID, containerd://ID)\n"
	"      --exit-when-gone   stop (exit 0) once every traced process has exited: the\n"
	"                         default with --pid alone\n"
	"      --no-exit-when-gone  keep waiting for new matching processes: the default with\n"
	"                         --comm, --exe, --cgroup or --container\n"
	"\n"
	"Options:\n"
	"  -s, --service-name N   service.name on every span (default: $OTEL_SERVICE_NAME,\n"
	"                         else the traced process's name)\n"
	"      --capture-bytes N  bytes of each socket read/write copied from the kernel\n"
	"                         (64-16384, default 4096); headers longer than this are\n"
	"                         marked truncated\n"
	"      --ringbuf-mb N     size of the kernel-to-pyspan ring buffer in MiB (a power of\n"
	"                         two, 1-1024, default 32); a full buffer drops events and\n"
	"                         counts them\n"
	"      --record FILE      also write every capture record to FILE, for replaying\n"
	"                         through the pipeline (benchmarks, bug reports); it holds\n"
	"                         request bytes: treat it as sensitive\n";

/* --sampling to --service-version. */
static const char usage_sampling[] =
	"      --sampling MODE    which requests every exporter gets: all (the default: every\n"
	"                         one, whatever the caller said), default (X-Ray's rule: the\n"
	"                         first request each second, then 5%%), a probability 0-1, or\n"
	"                         at most N a second (50/s); except with all, a caller's\n"
	"                         Sampled=1/0 or traceparent flag 01/00 keeps/drops the request\n"
	"      --no-sampling-keep-errors\n"
	"                         let sampling drop 4xx/5xx requests too (kept by default,\n"
	"                         or with --sampling-keep-errors)\n"
	"      --sampling-keep-slower-than MS\n"
	"                         keep every request that took longer than MS milliseconds\n"
	"                         (0-3600000, default 0: no such rule); errors and slow\n"
	"                         requests are kept even when the caller said not sampled\n"
	"      --service-version V  the service's version on every span (X-Ray: service.version)\n";

/* Shown with the backends that take logs (help_backends). */
static const char usage_log_files[] =
	"      --log-files GLOB   also send what the service writes to regular files matching\n"
	"                         GLOB (a pattern without / matches the base name); comma\n"
	"                         list, repeatable; stdout and stderr are always sent\n";

/* What every exporter shares, and redaction, counters and metrics. */
static const char usage_shared[] =
	"      --flush-deadline S seconds exporters may spend sending what is queued when pyspan\n"
	"                         stops (0-600, default 5); what is left is counted dropped\n"
	"      --export-queue-mb N  MiB of spans each network exporter holds while its backend\n"
	"                         is slow or down (1-4096, default 16); beyond it spans are\n"
	"                         dropped and counted\n"
	"      --redact-headers LIST  more request/response headers whose values never leave\n"
	"                         the host, comma-separated (Authorization, Proxy-Authorization,\n"
	"                         Cookie, Set-Cookie, X-Api-Key, X-Amz-Security-Token always)\n"
	"      --query-allow LIST query parameters whose values are kept; every other value is\n"
	"                         replaced by REDACTED (default: none kept)\n"
	"      --redact-pattern RE  a POSIX extended regex whose matches in paths, queries,\n"
	"                         header values, exception messages and logs become REDACTED\n"
	"                         (its last (group) only, when it has groups); repeat for more;\n"
	"                         AWS key ids, bearer tokens, JWTs and secret=/token=/password=\n"
	"                         values are always redacted\n"
	"      --stats N          a status line on stderr every N seconds: events, spans, drops\n"
	"                         by cause, exporter queues (0-86400, default 0: none)\n"
	"      --metrics-port N   serve the same counters as Prometheus text on\n"
	"                         http://ADDRESS:N/metrics (default 0: no server)\n"
	"      --metrics-address A  the address it listens on (default 127.0.0.1)\n"
	"      --redis-redact-keys  Redis client spans show '?' for the key (\"GET ?\"); by\n"
	"                         default they show the command and its key, never a value\n"
	"      --keep-path-tokens  keep token-like path segments (reset tokens, API keys,\n"
	"                         JWTs) in url.path; by default they become REDACTED there\n"
	"                         and {token} in the route\n";

/* After --config. */
static const char usage_end[] =
	"      --check-config FILE  validate FILE, print the effective settings (after the\n"
	"                         environment and any flags given with it) as JSON, secrets\n"
	"                         masked, and exit; attaches to nothing\n"
	"  -v, --verbose          debug messages on stderr, libbpf's included\n"
	"  -h, --help             this text\n"
	"      --version          print the version\n"
	"\n";

static const char usage_exit[] =
	"\n"
	"Exit status: 0 after a clean stop (a signal, or every traced process gone), 1 on a\n"
	"runtime error (no such process, a missing capability, BPF unavailable), 2 on a usage\n"
	"error. See man 8 pyspan.\n";

/* Words of text from column col on, in lines of at most width columns; new lines start at
 * column indent. */
static void wrap(FILE *f, const char *text, int col, int indent, int width)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, " ");

		if (p != text) {
			if (col + 1 + (int)n > width) {
				fprintf(f, "\n%*s", indent, "");
				col = indent;
			} else {
				fputc(' ', f);
				col++;
			}
		}
		fprintf(f, "%.*s", (int)n, p);
		col += (int)n;
		p += n;
		p += strspn(p, " ");
	}
	fputc('\n', f);
}

/* "      --flag ARG" and the spaces up to the help text; returns the column reached. */
static int flag_part(FILE *f, const char *usage)
{
	int n = fprintf(f, "      %s", usage);

	return n + fprintf(f, "%*s", n < HELP_COLUMN ? HELP_COLUMN - n : 2, "");
}

/* A paragraph put together before it is wrapped. */
struct text {
	char buf[2048];
	size_t off;
};

static void __attribute__((format(printf, 2, 3))) add(struct text *t, const char *fmt, ...)
{
	va_list ap;

	if (t->off >= sizeof(t->buf))
		return;
	va_start(ap, fmt);
	t->off += (size_t)vsnprintf(t->buf + t->off, sizeof(t->buf) - t->off, fmt, ap);
	va_end(ap);
}

/* --export: every backend by name, the first being the default. */
static void help_export(FILE *f)
{
	struct text t = { .off = 0 };

	add(&t, "where spans go, comma-separated: ");
	for (int i = 0; i < nbackends; i++) {
		add(&t, "%s%s%s", i ? ", " : "", backends[i]->name, i == 0 ? " (the default)" : "");
		if (backends[i]->export_note)
			add(&t, " (%s)", backends[i]->export_note);
	}
	add(&t, "; several run side by side");
	wrap(f, t.buf, flag_part(f, "--export LIST"), HELP_COLUMN, HELP_WIDTH);
}

/* One backend's flags, in the order its table declares them. */
static void help_backend(FILE *f, const struct backend *b)
{
	for (int k = 0; k < b->nsettings; k++) {
		const struct backend_setting *s = &b->settings[k];
		char usage[128];

		if (!s->flag || !s->help)
			continue;
		if (s->usage)
			snprintf(usage, sizeof(usage), "%s", s->usage);
		else
			snprintf(usage, sizeof(usage), "--%s %s", s->flag, s->arg);
		flag_part(f, usage);
		for (const char *p = s->help; *p; p++)
			if (*p == '\n')
				fprintf(f, "\n%*s", HELP_COLUMN, "");
			else
				fputc(*p, f);
		fputc('\n', f);
	}
}

static void help_backends(FILE *f)
{
	const struct backend *listed[BACKENDS_MAX];
	int logs_shown = 0;

	backends_listed(listed);
	for (int i = 0; i < nbackends; i++) {
		help_backend(f, listed[i]);
		if (listed[i]->takes_logs && !logs_shown++)
			fputs(usage_log_files, f);
	}
	if (!logs_shown)
		fputs(usage_log_files, f);
}

/* --config: the keys, and the backends whose settings nest in an object of their own. */
static void help_config(FILE *f)
{
	const struct backend *listed[BACKENDS_MAX], *sec[BACKENDS_MAX];
	struct text t = { .off = 0 };
	int n = 0;

	backends_listed(listed);
	for (int i = 0; i < nbackends; i++)
		if (listed[i]->section)
			sec[n++] = listed[i];
	add(&t, "read settings from a JSON file whose keys are the long flags with _ for - (");
	for (int i = 0; i < n; i++)
		add(&t, "%s%s.*", i == 0 ? "" : i + 1 == n ? " and " : ", ", sec[i]->section);
	if (n)
		add(&t, " settings nest under");
	for (int i = 0; i < n; i++)
		add(&t, "%s\"%s\"%s", i ? ", " : " ", sec[i]->section, i + 1 == n ? "; " : "");
	add(&t, "log_files, pids, comm, exe, cgroup and container are arrays); default "
		"$PYSPAN_CONFIG");
	wrap(f, t.buf, fprintf(f, "  -c, --config FILE      "), HELP_COLUMN, HELP_WIDTH);
}

/* Which environment variables stand between the config file and the flags. */
static void help_precedence(FILE *f)
{
	const struct backend *listed[BACKENDS_MAX];
	const char *seen[BACKENDS_MAX * BACKEND_SETTINGS_COUNT_MAX * 3];
	struct text t = { .off = 0 };
	int nseen = 0;

	backends_listed(listed);
	add(&t, "Precedence, lowest first: built-in defaults, the config file, environment "
		"variables (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES");
	for (int i = 0; i < nbackends; i++) {
		for (int k = 0; k < listed[i]->nsettings; k++) {
			for (int e = 0; e < 3 && listed[i]->settings[k].env[e]; e++) {
				const char *v = listed[i]->settings[k].env[e];
				int j = 0;

				while (j < nseen && strcmp(seen[j], v) != 0)
					j++;
				if (j < nseen)
					continue;
				seen[nseen++] = v;
				add(&t, ", %s", v);
			}
		}
	}
	add(&t, "), flags.");
	for (int i = 0; i < nbackends; i++)
		if (listed[i]->help_precedence)
			add(&t, " %s", listed[i]->help_precedence);
	wrap(f, t.buf, 0, 0, HELP_WIDTH);
}

void help_print(FILE *f)
{
	fputs(usage_head, f);
	help_export(f);
	fputs(usage_sampling, f);
	help_backends(f);
	fputs(usage_shared, f);
	help_config(f);
	fputs(usage_end, f);
	help_precedence(f);
	fputs(usage_exit, f);
}
