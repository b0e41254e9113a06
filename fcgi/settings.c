/*
 * The settings table and its value types (see settings.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "limits.h"
#include "settings.h"

static const char *const pm_modes[] = { "static", "dynamic", NULL };
/* recordings_sendfile, in the order of file.h's enum file_sendfile. */
static const char *const sendfile_modes[] = { "off", "on", "apache", NULL };
static const char *const fail_modes[] = { "open", "closed", NULL };
const char *const events_modes[] = { "off", "auto", "ami", "ari", "esl", NULL };
static const char *const wcs_auth_modes[] = { "off", "on", NULL };
static const char *const fresh_modes[] = { "never", "always", NULL };
static const char *const log_levels[] = { "error", "warning", "notice", "info",
	"debug", NULL };

#define STR(n, f, d)                                                       \
	{                                                                  \
		.name = n, .type = S_STR, .off = offsetof(struct conf, f), \
		.def = d                                                   \
	}
#define NUM(n, t, f, lo, hi, d)                                        \
	{                                                              \
		.name = n, .type = t, .off = offsetof(struct conf, f), \
		.min = lo, .max = hi, .def = d                         \
	}
#define ENUM(n, f, e, d)                                                    \
	{                                                                   \
		.name = n, .type = S_ENUM, .off = offsetof(struct conf, f), \
		.enums = e, .def = d                                        \
	}

const struct setting settings[] = {
	STR("listen", listen, "/run/pbxapi/pbxapi.sock"),
	NUM("listen.backlog", S_INT, backlog, 1, 65535, "511"),
	STR("listen.owner", listen_owner, ""),
	STR("listen.group", listen_group, ""),
	NUM("listen.mode", S_OCTAL, listen_mode, 0, 0777, "0660"),
	STR("user", user, ""),
	STR("group", group, ""),
	STR("pid", pid_file, ""),
	STR("error_log", error_log, ""),
	STR("access_log", access_log, "off"),
	STR("recordings.access_log", recordings_log, "off"),
	STR("audit.log", audit_log, "off"),
	ENUM("log_level", log_level, log_levels, "notice"),
	ENUM("pm", pm, pm_modes, "dynamic"),
	NUM("pm.max_children", S_INT, max_children, 1, LIM_WORKERS, "5"),
	NUM("pm.start_servers", S_INT, start_servers, 1, LIM_WORKERS, "2"),
	NUM("pm.min_spare_servers", S_INT, min_spare, 1, LIM_WORKERS, "1"),
	NUM("pm.max_spare_servers", S_INT, max_spare, 1, LIM_WORKERS, "3"),
	NUM("pm.max_requests", S_INT, max_requests, 0, 1000000000L, "0"),
	STR("pm.status_path", status_path, "/status"),
	STR("pm.status_listen", status_listen, ""),
	STR("ping.path", ping_path, "/ping"),
	STR("ping.response", ping_response, "pong"),
	STR("status.allow", status_allow, "127.0.0.1 ::1"),
	STR("status.token", status_token, ""),
	STR("health.path", health_path, "/healthz"),
	STR("ready.path", ready_path, "/readyz"),
	STR("metrics.path", metrics_path, "/metrics"),
	NUM("ready.probe_timeout", S_DUR, ready_probe_ms, 1, 600000L, "1s"),
	NUM("ready.cache", S_DUR, ready_cache_ms, 0, 3600000L, "5s"),
	NUM("request_terminate_timeout", S_DUR, terminate_ms, 0, 86400000L,
	    "0"),
	NUM("request_slowlog_timeout", S_DUR, slowlog_ms, 0, 86400000L, "0"),
	NUM("request_read_timeout", S_DUR, read_ms, 0, 3600000L, "10s"),
	NUM("process_control_timeout", S_DUR, control_ms, 0, 3600000L, "10s"),
	NUM("body_max", S_SIZE, body_max, 0, LIM_BODY_CEILING, "1m"),
	NUM("max_input_vars", S_INT, params_max, 1, LIM_PARAMS_CEILING, "1000"),
	NUM("max_input_nesting_level", S_INT, nest_max, 1, LIM_NEST_MAX, "64"),
	NUM("value_max", S_SIZE, value_max, 1, LIM_BODY_CEILING, "64k"),
	NUM("backend_timeout", S_DUR, backend_ms, 1, 600000L, "5s"),
	NUM("backend_backoff", S_DUR, backoff_ms, 0, 600000L, "0"),
	STR("recordings_accel", recordings_accel, ""),
	ENUM("recordings_sendfile", recordings_sendfile, sendfile_modes, "off"),
	STR("tokens_file", tokens_file, "/var/lib/pbxapi/tokens"),
	/* "": next to the listen socket (check()) */
	STR("companion.socket", companion_socket, ""),
	NUM("companion.timeout", S_DUR, companion_ms, 1, 10000L, "50ms"),
	NUM("companion.wait", S_DUR, companion_wait_ms, 1, 10000L, "1s"),
	ENUM("state.fresh", state_fresh, fresh_modes, "never"),
	NUM("state.peers_refresh", S_DUR, state_peers_refresh_ms, 0, 86400000L,
	    "60s"),
	ENUM("events", events, events_modes, "off"),
	NUM("events.journal", S_INT, events_journal, 1, LIM_EV_JOURNAL, "1000"),
	NUM("events.backoff_max", S_DUR, events_backoff_ms, 100, 3600000L,
	    "30s"),
	ENUM("wcs.basic_auth", wcs_basic_auth, wcs_auth_modes, "off"),
	NUM("wcs.retain", S_DUR, wcs_retain_ms, 0, 86400000L, "60s"),
	STR("events.publish", events_publish, "off"),
	NUM("events.publish_queue", S_INT, events_publish_queue, 1,
	    LIM_PUB_QUEUE, "10000"),
	STR("redis", redis, ""),
	NUM("redis.timeout", S_DUR, redis_ms, 1, 10000L, "50ms"),
	ENUM("redis.fail", redis_fail, fail_modes, "open"),
	/* "": hostname:pid of the master (the companion's node_id()) */
	STR("node", node, ""),
	NUM("events.lease_ttl", S_DUR, events_lease_ms, 300, 600000L, "10s"),
};

const size_t nsettings = sizeof(settings) / sizeof(settings[0]);

/*
 * The limit.* settings: offsets into a struct limit_conf, the global
 * one's (struct conf) or a tenant's, which inherits what it leaves out.
 */
#define LIM(n, t, f, lo, hi, d)                                              \
	{                                                                    \
		.name = n, .type = t, .off = offsetof(struct limit_conf, f), \
		.min = lo, .max = hi, .def = d                               \
	}

const struct setting limit_settings[] = {
	LIM("limit.token", S_RATE, token, 0, 0, "off"),
	LIM("limit.tenant", S_RATE, tenant, 0, 0, "off"),
	LIM("limit.originate", S_RATE, originate, 0, 0, "off"),
	LIM("limit.originate_concurrent", S_INT, originate_concurrent, 0,
	    LIM_ORIG_CONC, "0"),
	LIM("limit.originate_hold", S_DUR, originate_hold_ms, 0, 86400000L,
	    "30s"),
};

const size_t nlimit_settings =
    sizeof(limit_settings) / sizeof(limit_settings[0]);

static int bad(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
parse_duration(const char *s, long *ms)
{
	char *end;
	long v, mul = 1000;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || errno != 0 || v < 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else if (strcmp(end, "d") == 0)
		mul = 86400000;
	else
		return -1;
	if (v > 100L * 86400000 / mul)
		return -1;
	*ms = v * mul;
	return 0;
}

int
parse_size(const char *s, long *bytes)
{
	char *end;
	long v, mul = 1;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || errno != 0 || v < 0)
		return -1;
	if (*end == 'k' || *end == 'K')
		mul = 1024;
	else if (*end == 'm' || *end == 'M')
		mul = 1024 * 1024;
	else if (*end == 'g' || *end == 'G')
		mul = 1024L * 1024 * 1024;
	else if (*end != '\0')
		return -1;
	if (mul > 1 && end[1] != '\0')
		return -1;
	if (v > (1L << 40) / mul)
		return -1;
	*bytes = v * mul;
	return 0;
}

int
parse_rate(const char *s, struct rate *r)
{
	char unit[32], *end;
	long n, burst;
	size_t u;

	if (strcmp(s, "off") == 0 || strcmp(s, "0") == 0) {
		memset(r, 0, sizeof(*r));
		return 0;
	}
	errno = 0;
	n = strtol(s, &end, 10);
	if (end == s || errno != 0 || n < 1 || n > LIM_RATE_MAX || *end != '/')
		return -1;
	s = end + 1;
	u = strcspn(s, " \t");
	/* "N/s" is "N/1s". */
	if (u == 0 || u + 2 > sizeof(unit))
		return -1;
	snprintf(unit, sizeof(unit), "%s%.*s",
	    isdigit((unsigned char)*s) ? "" : "1", (int)u, s);
	if (parse_duration(unit, &r->per_ms) == -1 || r->per_ms < 1)
		return -1;
	s += u;
	s += strspn(s, " \t");
	burst = n;
	if (strncmp(s, "burst", 5) == 0 && (s[5] == ' ' || s[5] == '\t')) {
		errno = 0;
		burst = strtol(s + 6, &end, 10);
		if (end == s + 6 || errno != 0 || burst < 1 ||
		    burst > LIM_RATE_MAX)
			return -1;
		s = end + strspn(end, " \t");
	}
	if (*s != '\0')
		return -1;
	r->n = n;
	r->burst = burst;
	return 0;
}

int
parse_scopes(const char *s, unsigned *scopes)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{ "read", SCOPE_READ }, { "write", SCOPE_WRITE },
		{ "recordings", SCOPE_RECORDINGS }, { "admin", SCOPE_ADMIN },
		{ "ari-read", SCOPE_ARI_READ },
		{ "ari-control", SCOPE_ARI_READ | SCOPE_ARI_CONTROL },
		{ "wcs", SCOPE_WCS }, { "events", SCOPE_EVENTS },
		{ "all", SCOPE_DEFAULT | SCOPE_ADMIN }, /* not ari-*, wcs */
	};
	size_t i, n;
	unsigned r = 0;

	while (*s != '\0') {
		n = strcspn(s, ", \t");
		if (n > 0) {
			for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
				if (strlen(names[i].name) == n &&
				    strncmp(s, names[i].name, n) == 0)
					break;
			if (i == sizeof(names) / sizeof(names[0]))
				return -1;
			r |= names[i].bit;
		}
		s += n;
		s += strspn(s, ", \t");
	}
	*scopes = r;
	return 0;
}

int
setting_set(const struct setting *s, const char *v, void *at, struct arena *a,
    char *err, size_t errlen)
{
	char *base = at, *end;
	long n = 0;
	size_t i;

	switch (s->type) {
	case S_STR:
		*(const char **)(base + s->off) = arena_strdup(a, v);
		return 0;
	case S_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (end == v || *end != '\0' || errno != 0)
			return bad(err, errlen, "'%s': '%s' is not a number",
			    s->name, v);
		break;
	case S_OCTAL:
		errno = 0;
		n = strtol(v, &end, 8);
		if (end == v || *end != '\0' || errno != 0)
			return bad(err, errlen,
			    "'%s': '%s' is not an octal mode", s->name, v);
		break;
	case S_DUR:
		if (parse_duration(v, &n) == -1)
			return bad(err, errlen, "'%s': '%s' is not a duration",
			    s->name, v);
		break;
	case S_SIZE:
		if (parse_size(v, &n) == -1)
			return bad(err, errlen, "'%s': '%s' is not a size",
			    s->name, v);
		break;
	case S_ENUM:
		for (i = 0; s->enums[i] != NULL; i++)
			if (strcmp(s->enums[i], v) == 0)
				break;
		if (s->enums[i] == NULL)
			return bad(err, errlen, "'%s': unknown value '%s'",
			    s->name, v);
		*(long *)(base + s->off) = (long)i;
		return 0;
	case S_RATE:
		if (parse_rate(v, (struct rate *)(void *)(base + s->off)) == -1)
			return bad(err, errlen,
			    "'%s': '%s' is not a rate (\"off\", \"N/UNIT [burst B]\")",
			    s->name, v);
		return 0;
	}
	if (n < s->min || n > s->max)
		return bad(err, errlen, "'%s': %s is out of range", s->name, v);
	*(long *)(base + s->off) = n;
	return 0;
}

const struct setting *
setting_find(const struct setting *tab, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(tab[i].name, name) == 0)
			return &tab[i];
	return NULL;
}

void
setting_dump(const struct setting *s, const void *at, FILE *fp)
{
	const char *base = at;
	const struct rate *rt;
	long v;

	if (s->type == S_STR) {
		fprintf(fp, "%s = %s\n", s->name,
		    *(const char *const *)(base + s->off));
		return;
	}
	if (s->type == S_RATE) {
		rt = (const struct rate *)(const void *)(base + s->off);
		if (rt->n == 0)
			fprintf(fp, "%s = off\n", s->name);
		else
			fprintf(fp, "%s = %ld/%ldms burst %ld\n", s->name,
			    rt->n, rt->per_ms, rt->burst);
		return;
	}
	v = *(const long *)(base + s->off);
	switch (s->type) {
	case S_ENUM:
		fprintf(fp, "%s = %s\n", s->name, s->enums[v]);
		break;
	case S_OCTAL:
		fprintf(fp, "%s = 0%lo\n", s->name, v);
		break;
	case S_DUR:
		fprintf(fp, "%s = %ldms\n", s->name, v);
		break;
	default:
		fprintf(fp, "%s = %ld\n", s->name, v);
		break;
	}
}
