// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for --config files: every error message, a round trip, and precedence. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "config/cli.h"
#include "config/config_file.h"
#include "config/config_print.h"
#include "config/options.h"
#include "export/xray/xray.h"

static char path[] = "/tmp/pyspan-test-config-XXXXXX";
static struct config cfg;

/* The X-Ray backend's settings as the file, the environment and the flags left them. */
static const struct xray_opts *xray(void)
{
	return config_backend_get(&cfg, backend_find("xray"));
}

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

/* The error line for a file holding text ("" when it loads), after "config PATH: ". */
static const char *load_error(const char *text)
{
	static char err[512];
	size_t n = strlen("config ") + strlen(path) + strlen(": ");

	write_file(text);
	options_defaults(&cfg);
	if (config_file_load(path, &cfg, err, sizeof(err)) == 0)
		return "";
	return strlen(err) > n ? err + n : err;
}

static const struct {
	const char *json;
	const char *msg;
} bad[] = {
	{ "{\"sampling_rate\": 1}", "unknown key \"sampling_rate\"" },
	{ "{\"xray\": {\"mod\": \"api\"}}", "unknown key \"xray.mod\"" },
	{ "{\"xray\": \"api\"}", "\"xray\" must be an object, not a string" },
	{ "{\"capture_bytes\": \"4096\"}",
	  "\"capture_bytes\" must be a whole number, not a string" },
	{ "{\"capture_bytes\": 100.5}",
	  "\"capture_bytes\" must be a whole number, not a fraction" },
	{ "{\"capture_bytes\": 10}", "\"capture_bytes\" must be between 64 and 16384, not 10" },
	{ "{\"capture_bytes\": -1}", "\"capture_bytes\" takes a whole number, not '-1'" },
	{ "{\"ringbuf_mb\": 3}", "\"ringbuf_mb\" must be a power of two, not 3" },
	{ "{\"flush_deadline\": 601}", "\"flush_deadline\" must be between 0 and 600, not 601" },
	{ "{\"export_queue_mb\": 0}", "\"export_queue_mb\" must be between 1 and 4096, not 0" },
	{ "{\"pids\": 4242}", "\"pids\" must be an array of whole numbers, not a whole number" },
	{ "{\"pids\": [\"4242\"]}", "\"pids\" must hold whole numbers, not a string" },
	{ "{\"pids\": [0]}", "\"pids\" must be between 1 and 4294967295, not 0" },
	{ "{\"service_name\": \"\"}", "\"service_name\" must not be empty" },
	{ "{\"service_name\": 7}", "\"service_name\" must be a string, not a whole number" },
	{ "{\"service_version\": null}", "\"service_version\" must be a string, not null" },
	{ "{\"record\": \"\"}", "\"record\" needs a file name" },
	{ "{\"export\": \"stdout\"}", "\"export\" must be an array of strings, not a string" },
	{ "{\"export\": [1]}", "\"export\" must hold strings, not a whole number" },
	{ "{\"export\": [\"zipkin\"]}",
	  "unknown exporter 'zipkin' in \"export\" (known: stdout, xray, cloudwatch, honeycomb, otlp, "
	  "rollbar)" },
	{ "{\"honeycomb\": {\"dataset\": \"a/b\"}}",
	  "\"honeycomb.dataset\" must not contain '/', not 'a/b'" },
	{ "{\"otlp\": {\"compression\": \"zstd\"}}",
	  "\"otlp.compression\" takes gzip or none, not 'zstd'" },
	{ "{\"otlp\": {\"headers\": \"api-key\"}}",
	  "\"otlp.headers\": member 1 has no '=' (want key=value)" },
	{ "{\"otlp\": {\"endpoint\": \"collector:4318\"}}",
	  "\"otlp.endpoint\" takes an http:// or https:// URL, not 'collector:4318'" },
	{ "{\"otlp\": {\"bogus\": 1}}", "unknown key \"otlp.bogus\"" },
	{ "{\"export\": [\"xray\", \"xray\"]}", "exporter 'xray' named twice in \"export\"" },
	{ "{\"sampling\": \"most\"}",
	  "\"sampling\" takes all, default, a number from 0 to 1 or a rate like 50/s, not 'most'" },
	{ "{\"sampling\": 2}",
	  "\"sampling\" takes all, default, a number from 0 to 1 or a rate like 50/s, not '2'" },
	{ "{\"sampling\": \"0/s\"}",
	  "\"sampling\" takes all, default, a number from 0 to 1 or a rate like 50/s, not '0/s'" },
	{ "{\"sampling\": \"5/min\"}",
	  "\"sampling\" takes all, default, a number from 0 to 1 or a rate like 50/s, not '5/min'" },
	{ "{\"sampling_keep_slower_than\": \"200\"}",
	  "\"sampling_keep_slower_than\" must be a whole number, not a string" },
	{ "{\"sampling_keep_slower_than\": 3600001}",
	  "\"sampling_keep_slower_than\" must be between 0 and 3600000, not 3600001" },
	{ "{\"sampling_keep_slower_than\": 2.5}",
	  "\"sampling_keep_slower_than\" must be a whole number, not a fraction" },
	{ "{\"redact_headers\": \"X-Token\"}",
	  "\"redact_headers\" must be an array of strings, not a string" },
	{ "{\"redact_headers\": [7]}", "\"redact_headers\" must hold strings, not a whole number" },
	{ "{\"redact_headers\": [\"X Token\"]}",
	  "\"redact_headers\" takes header names separated by commas, not 'X Token'" },
	{ "{\"redact_headers\": [\"\"]}",
	  "\"redact_headers\" takes header names separated by commas, not ''" },
	{ "{\"redact_headers\": [\"X-A:\"]}",
	  "\"redact_headers\" takes header names separated by commas, not 'X-A:'" },
	{ "{\"query_allow\": [\"a=b\"]}",
	  "\"query_allow\" takes query parameter names separated by commas, not 'a=b'" },
	{ "{\"query_allow\": [\"page,\"]}",
	  "\"query_allow\" takes query parameter names separated by commas, not 'page,'" },
	{ "{\"query_allow\": {}}", "\"query_allow\" must be an array of strings, not an object" },
	{ "{\"redact_patterns\": [\"(\"]}",
	  "\"redact_patterns\": '(' is not a POSIX extended regex (Unmatched ( or \\()" },
	{ "{\"redact_patterns\": [\"\"]}", "\"redact_patterns\" must not be empty" },
	{ "{\"redact_patterns\": [null]}", "\"redact_patterns\" must hold strings, not null" },
	{ "{\"redact_patterns\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\","
	  "\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]}",
	  "\"redact_patterns\": at most 16 patterns" },
	{ "{\"stats\": -5}", "\"stats\" takes a whole number, not '-5'" },
	{ "{\"stats\": 86401}", "\"stats\" must be between 0 and 86400, not 86401" },
	{ "{\"stats\": \"10\"}", "\"stats\" must be a whole number, not a string" },
	{ "{\"metrics_port\": 65536}", "\"metrics_port\" must be between 0 and 65535, not 65536" },
	{ "{\"metrics_port\": true}", "\"metrics_port\" must be a whole number, not a boolean" },
	{ "{\"metrics_address\": \"localhost\"}",
	  "\"metrics_address\" takes an IPv4 or IPv6 address, not 'localhost'" },
	{ "{\"metrics_address\": \"\"}", "\"metrics_address\" takes an IPv4 or IPv6 address, not ''" },
	{ "{\"sampling\": true}", "\"sampling\" must be a string or a number, not a boolean" },
	{ "{\"sampling_keep_errors\": 1}",
	  "\"sampling_keep_errors\" must be true or false, not a whole number" },
	{ "{\"verbose\": \"yes\"}", "\"verbose\" must be true or false, not a string" },
	{ "{\"xray\": {\"mode\": \"udp\"}}", "\"xray.mode\" takes daemon or api, not 'udp'" },
	{ "{\"xray\": {\"endpoint\": \"xray.aws\"}}",
	  "\"xray.endpoint\" takes an http:// or https:// URL, not 'xray.aws'" },
	{ "{\"xray\": {\"daemon_address\": \"127.0.0.1\"}}",
	  "\"xray.daemon_address\" takes host:port or 'tcp:host:port udp:host:port', "
	  "not '127.0.0.1'" },
	{ "{\"comm\": \"gunicorn\"}", "\"comm\" must be an array of strings, not a string" },
	{ "{\"comm\": [3]}", "\"comm\" must hold strings, not a whole number" },
	{ "{\"comm\": [\"/usr/bin/gunicorn\"]}",
	  "\"comm\" takes a process name as ps -o comm shows it, not a path: "
	  "'/usr/bin/gunicorn' (use --exe for paths)" },
	{ "{\"comm\": [\"\"]}", "\"comm\" must not be empty" },
	{ "{\"exe\": [\"python3\"]}", "\"exe\" takes an absolute path, not 'python3'" },
	{ "{\"cgroup\": [\"shop.service\"]}",
	  "\"cgroup\" takes an absolute path (/sys/fs/cgroup/... or a path in the cgroup "
	  "hierarchy), not 'shop.service'" },
	{ "{\"container\": [\"4f1d3c2b9a8\"]}",
	  "\"container\" takes a container id (12 to 64 lowercase hex digits, as docker ps "
	  "shows it), not '4f1d3c2b9a8'" },
	{ "{\"container\": [\"docker://4F1D3C2B9A8E\"]}",
	  "\"container\" takes a container id (12 to 64 lowercase hex digits, as docker ps "
	  "shows it), not 'docker://4F1D3C2B9A8E'" },
	{ "{\"exit_when_gone\": \"no\"}", "\"exit_when_gone\" must be true or false, not a string" },
	{ "[4242]", "must hold one JSON object, not an array" },
	{ "", "invalid JSON at line 1, column 1" },
	{ "{\"pids\": [1]} {}", "invalid JSON at line 1, column 15" },
	{ "{\n  \"pids\": [1],\n  \"verbose\": tru\n}", "invalid JSON at line 3, column 14" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_STR(load_error(bad[i].json), bad[i].msg);
}

static void test_file_errors(void)
{
	char err[512], want[512];
	FILE *f;

	options_defaults(&cfg);
	CHECK_INT(config_file_load("/nonexistent/pyspan.json", &cfg, err, sizeof(err)), -1);
	CHECK_STR(err, "config /nonexistent/pyspan.json: No such file or directory");

	f = fopen(path, "w");
	fputc('{', f);
	for (int i = 0; i < CONFIG_FILE_MAX; i++)
		fputc(' ', f);
	fputc('}', f);
	fclose(f);
	CHECK_INT(config_file_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "config %s: larger than 1 MiB", path);
	CHECK_STR(err, want);

	/* A file others may write is refused, naming its mode; so is a FIFO, at once. */
	write_file("{}");
	chmod(path, 0666);
	CHECK_INT(config_file_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "config %s: refused: mode 0666, owner uid %u: only root or "
		 "pyspan's user may be able to write it", path, (unsigned)geteuid());
	CHECK_STR(err, want);
	chmod(path, 0620);
	CHECK_INT(config_file_load(path, &cfg, err, sizeof(err)), -1);
	chmod(path, 0644);
	CHECK_INT(config_file_load(path, &cfg, err, sizeof(err)), 0);
	unlink(path);
	mkfifo(path, 0600);
	CHECK_INT(config_file_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "config %s: not a regular file", path);
	CHECK_STR(err, want);
	unlink(path);
}

static const char good[] =
	"{\"pids\": [4242, 4243], \"service_name\": \"cruddur-backend\", "
	"\"service_version\": \"1.4.2\", \"capture_bytes\": 1024, \"ringbuf_mb\": 64, "
	"\"record\": \"/tmp/r.bin\", \"export\": [\"stdout\", \"xray\"], \"sampling\": 0.25, "
	"\"sampling_keep_errors\": false, \"flush_deadline\": 9, \"export_queue_mb\": 2, \"xray\": {\"mode\": \"api\", "
	"\"endpoint\": \"http://127.0.0.1:4000\", \"daemon_address\": \"127.0.0.1:2001\"}, "
	"\"verbose\": true, \"sampling_keep_slower_than\": 250, "
	"\"redact_headers\": [\"X-Session\", \"X-Csrf\"], \"query_allow\": [\"page\"], "
	"\"redact_patterns\": [\"acct-[0-9]+\", \"a,b\"], \"stats\": 10, \"metrics_port\": 9464, "
	"\"metrics_address\": \"::1\", \"redis_redact_keys\": true, \"keep_path_tokens\": true, "
	"\"comm\": [\"gunicorn\", \"uwsgi\"], \"exe\": [\"/usr/bin/python3.11\"], "
	"\"cgroup\": [\"/sys/fs/cgroup/system.slice/shop.service\"], "
	"\"container\": [\"containerd://4f1d3c2b9a8e\"], \"exit_when_gone\": true}";

static void test_round_trip(void)
{
	char *first, *second;

	CHECK_STR(load_error(good), "");
	CHECK_INT(cfg.npids, 2);
	CHECK_INT(cfg.pids[1], 4243);
	CHECK_STR(cfg.service_name, "cruddur-backend");
	CHECK_INT(cfg.capture_bytes, 1024);
	CHECK_INT(cfg.ringbuf_mb, 64);
	CHECK_INT(cfg.nexports, 2);
	CHECK_STR(cfg.exports[1], "xray");
	CHECK_INT(cfg.sampling.mode, SAMPLING_RATE);
	CHECK(cfg.sampling.rate == 0.25);
	CHECK_INT(cfg.sampling.keep_errors, 0);
	CHECK_INT(cfg.flush_deadline_s, 9);
	CHECK_INT(cfg.export_queue_mb, 2);
	CHECK_INT(xray()->api, 1);
	CHECK_STR(xray()->daemon_address, "127.0.0.1:2001");
	CHECK_INT(cfg.verbose, 1);
	CHECK_INT(cfg.ncomms, 2);
	CHECK_STR(cfg.comms[1], "uwsgi");
	CHECK_STR(cfg.exes[0], "/usr/bin/python3.11");
	CHECK_STR(cfg.cgroups[0], "/sys/fs/cgroup/system.slice/shop.service");
	CHECK_STR(cfg.containers[0], "4f1d3c2b9a8e"); /* the runtime's scheme is dropped */
	CHECK_INT(cfg.exit_when_gone, 1);
	CHECK_INT(cfg.sampling.keep_slower_than_ms, 250);
	CHECK_INT(cfg.redact.nheaders, 2);
	CHECK_STR(cfg.redact.headers[1], "X-Csrf");
	CHECK_INT(cfg.redact.nquery_allow, 1);
	CHECK_STR(cfg.redact.query_allow[0], "page");
	CHECK_INT(cfg.redact.npatterns, 2);
	CHECK_STR(cfg.redact.patterns[1], "a,b"); /* a pattern is never split at commas */
	CHECK_INT(cfg.stats_interval_s, 10);
	CHECK_INT(cfg.metrics_port, 9464);
	CHECK_STR(cfg.metrics_address, "::1");
	CHECK_INT(cfg.redis_redact_keys, 1);
	CHECK_INT(cfg.redact.keep_path_tokens, 1);

	/* What --check-config prints is a config file that loads to the same settings. */
	first = config_to_json(&cfg);
	CHECK(first != NULL);
	CHECK_STR(load_error(first), "");
	second = config_to_json(&cfg);
	CHECK_STR(second, first);
	free(first);
	free(second);
}

static void test_mask(void)
{
	cJSON *o = cJSON_Parse("{\"service_name\": \"svc\", \"aws_secret_access_key\": \"s\", "
			       "\"API_KEY\": \"k\", \"x\": {\"session_token\": \"t\", "
			       "\"password\": 5, \"mode\": \"api\"}}");
	char *s;

	config_mask(o);
	s = cJSON_PrintUnformatted(o);
	CHECK_STR(s, "{\"service_name\":\"svc\",\"aws_secret_access_key\":\"****\","
		     "\"API_KEY\":\"****\",\"x\":{\"session_token\":\"****\",\"password\":\"****\","
		     "\"mode\":\"api\"}}");
	free(s);
	cJSON_Delete(o);

	/* The user:password of a URL, wherever it stands; URLs without one stay whole. */
	o = cJSON_Parse("{\"otlp\": {\"endpoint\": \"http://u:PASSWORD@h:4318/v1\"}, "
			"\"e\": [\"https://tok@h/x?a=b@c\", \"http://h/a@b\", \"mailto:a@b\"]}");
	config_mask(o);
	s = cJSON_PrintUnformatted(o);
	CHECK_STR(s, "{\"otlp\":{\"endpoint\":\"http://****@h:4318/v1\"},"
		     "\"e\":[\"https://****@h/x?a=b@c\",\"http://h/a@b\",\"mailto:a@b\"]}");
	free(s);
	cJSON_Delete(o);
}

#define PARSE(...)                                                                                 \
	({                                                                                         \
		char *argv_[] = {"pyspan", __VA_ARGS__, NULL};                                     \
		cli_parse((int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_, &cfg);               \
	})

/* Defaults < file < environment < flags, wherever --config stands on the line. */
static void test_precedence(void)
{
	write_file("{\"pids\": [11, 12], \"service_name\": \"from-file\", \"capture_bytes\": 128, "
		   "\"xray\": {\"endpoint\": \"http://file:1\", \"daemon_address\": \"file:2\"}}");
	unsetenv("PYSPAN_CONFIG");
	unsetenv("OTEL_SERVICE_NAME");
	unsetenv("AWS_XRAY_DAEMON_ADDRESS");
	unsetenv("AWS_ENDPOINT_URL_XRAY");
	unsetenv("AWS_ENDPOINT_URL");

	CHECK_INT(PARSE("--config", path), CLI_OK);
	CHECK_INT(cfg.npids, 2);
	CHECK_STR(cfg.service_name, "from-file");
	CHECK_INT(cfg.capture_bytes, 128);
	CHECK_INT(cfg.ringbuf_mb, 32); /* not in the file: the default */
	CHECK_STR(xray()->endpoint, "http://file:1");
	CHECK_STR(xray()->daemon_address, "file:2");

	setenv("OTEL_SERVICE_NAME", "from-env", 1);
	setenv("AWS_XRAY_DAEMON_ADDRESS", "env:3", 1);
	setenv("AWS_ENDPOINT_URL", "http://env:4", 1);
	CHECK_INT(PARSE("--config", path), CLI_OK);
	CHECK_STR(cfg.service_name, "from-env");
	CHECK_STR(xray()->daemon_address, "env:3");
	CHECK_STR(xray()->endpoint, "http://env:4");
	setenv("AWS_ENDPOINT_URL_XRAY", "http://env-xray:5", 1);
	CHECK_INT(PARSE("--config", path), CLI_OK);
	CHECK_STR(xray()->endpoint, "http://env-xray:5");

	/* Flags win, even when they come before --config; --pid replaces the file's pids. */
	CHECK_INT(PARSE("--service-name", "from-flag", "--pid", "13", "--xray-endpoint",
			"http://flag:6", "--config", path),
		  CLI_OK);
	CHECK_STR(cfg.service_name, "from-flag");
	CHECK_INT(cfg.npids, 1);
	CHECK_INT(cfg.pids[0], 13);
	CHECK_STR(xray()->endpoint, "http://flag:6");
	CHECK_INT(cfg.capture_bytes, 128);

	/* PYSPAN_CONFIG names the file when no flag does. */
	setenv("PYSPAN_CONFIG", path, 1);
	CHECK_INT(PARSE("--capture-bytes", "256"), CLI_OK);
	CHECK_INT(cfg.npids, 2);
	CHECK_INT(cfg.capture_bytes, 256);
	CHECK_INT(PARSE("--config", "/nonexistent/pyspan.json"), CLI_USAGE_ERROR);
	unsetenv("PYSPAN_CONFIG");

	/* A bad flag is reported as before, not hidden behind the file. */
	CHECK_INT(PARSE("--config", path, "--capture-bytes", "1"), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--bogus", "--config", "/nonexistent/pyspan.json"), CLI_USAGE_ERROR);

	unsetenv("OTEL_SERVICE_NAME");
	unsetenv("AWS_XRAY_DAEMON_ADDRESS");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_XRAY");
}

/* Following by name waits for new processes; a pid alone stops when it is gone. */
static void test_follow_flags(void)
{
	write_file("{\"comm\": [\"gunicorn\"], \"cgroup\": [\"/a\", \"/b\"]}");
	CHECK_INT(PARSE("--pid", "7"), CLI_OK);
	CHECK_INT(cfg.exit_when_gone, 1);
	CHECK_INT(PARSE("--comm", "gunicorn"), CLI_OK);
	CHECK_INT(cfg.exit_when_gone, 0);
	CHECK_INT(PARSE("--comm", "gunicorn", "--exit-when-gone"), CLI_OK);
	CHECK_INT(cfg.exit_when_gone, 1);
	CHECK_INT(PARSE("--pid", "7", "--no-exit-when-gone"), CLI_OK);
	CHECK_INT(cfg.exit_when_gone, 0);
	CHECK_INT(PARSE("--config", path), CLI_OK);
	CHECK_INT(cfg.exit_when_gone, 0);
	CHECK_INT(cfg.ncgroups, 2);
	/* A kind's flags replace the file's list of that kind, and leave the others. */
	CHECK_INT(PARSE("--config", path, "--cgroup", "/c", "--exe", "/usr/bin/python3.11"),
		  CLI_OK);
	CHECK_INT(cfg.ncgroups, 1);
	CHECK_STR(cfg.cgroups[0], "/c");
	CHECK_INT(cfg.ncomms, 1);
	CHECK_INT(cfg.nexes, 1);
	CHECK_INT(PARSE("--container", "docker://4f1d3c2b9a8e"), CLI_OK);
	CHECK_STR(cfg.containers[0], "4f1d3c2b9a8e");
	CHECK_INT(PARSE("--comm", "a/b"), CLI_USAGE_ERROR);
	CHECK_INT(PARSE("--verbose"), CLI_USAGE_ERROR); /* nothing to trace */
}

int main(void)
{
	int fd = mkstemp(path);

	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	test_bad();
	test_file_errors();
	test_round_trip();
	test_mask();
	test_precedence();
	test_follow_flags();
	unlink(path);
	return check_summary("config");
}
