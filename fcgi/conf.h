/*
 * Configuration: the pbxapi.conf file (key = value, typed settings with
 * defaults and bounds), tenants with their backend settings and tokens,
 * and the elastix-api .env files drop-in users bring along.  Parsed once
 * per generation by the master, before any worker is forked; immutable
 * afterwards.
 */
#ifndef PBXAPI_CONF_H
#define PBXAPI_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "digest.h"

#define SCOPE_READ	  0x01u
#define SCOPE_WRITE	  0x02u
#define SCOPE_RECORDINGS  0x04u
#define SCOPE_ADMIN	  0x08u
#define SCOPE_ARI_READ	  0x10u /* /ari: GET operations */
#define SCOPE_ARI_CONTROL 0x20u /* /ari: every operation */
#define SCOPE_WCS	  0x40u /* /rest-api: the WCS call methods */
#define SCOPE_EVENTS	  0x80u /* /events: subscribe (read implies it) */
#define SCOPE_DEFAULT	  (SCOPE_READ | SCOPE_WRITE | SCOPE_RECORDINGS)

#define API_KEY_PLACEHOLDER "YOUR_SECRETKEY_50_RANDOM_CHARS"

enum pm_mode { PM_STATIC, PM_DYNAMIC };

/*
 * A token bucket: n requests per per_ms on average, at most burst at
 * once (fcgi/rate.h).  n == 0: no limit.
 */
struct rate {
	long n;
	long per_ms;
	long burst;
};

/* The limit.* settings, global and per tenant (docs/configuration.md). */
struct limit_conf {
	struct rate token;	   /* each token of the tenant */
	struct rate tenant;	   /* all of the tenant's tokens together */
	struct rate originate;	   /* the tenant's C_ORIGINATE commands */
	long originate_concurrent; /* 0: no cap */
	long originate_hold_ms;	   /* an origination counts this long after */
};

struct kv {
	const char *key;
	const char *val;
};

struct tenant {
	const char *name;
	size_t index;	      /* position in conf->tenants */
	const char *env_file; /* elastix .env, or NULL */
	struct kv *env;	      /* backend settings, file order */
	size_t nenv;
	size_t envcap;
	struct limit_conf limit; /* its own limit.*, else the global ones */
	unsigned limit_set;	 /* bit i: limit setting i given here */
	long events;		 /* enum events_mode; the global one if unset */
	int events_set;
};

/* A tenant's events = (the event companion's source for it). */
enum events_mode { EVM_OFF, EVM_AUTO, EVM_AMI, EVM_ARI, EVM_ESL };

/* Digest bytes that name a token in logs: TOKEN_ID_LEN hex digits. */
#define TOKEN_ID_BYTES 6
#define TOKEN_ID_LEN   (2 * TOKEN_ID_BYTES)

struct token {
	uint8_t digest[SHA256_LEN];
	char id[TOKEN_ID_LEN + 1]; /* for logs, limits, audit: never secret */
	unsigned scopes;
	/* A tenant key shared in plain text (API_SECRET_KEY, PLAY_AUTH_TOKEN)
	 * rather than a token line: logs name it, not its digest. */
	const char *setting;
	const struct tenant *tenant;
	size_t tenant_index;
	/* The token file's (tokens.h): only these commands ("cmd:NAME",
	 * "family:NAME"), none: any the scopes allow; 0 or the second
	 * (since the epoch) from which the token is refused. */
	const char *const *cmds;
	size_t ncmds;
	long long not_after;
};

struct tokstore;

struct conf {
	struct arena *arena;
	const char *path;
	unsigned generation;

	/* listening socket and privileges */
	const char *listen;
	long backlog;
	const char *listen_owner, *listen_group;
	long listen_mode;
	const char *user, *group;
	const char *pid_file;

	/* logs */
	const char *error_log, *access_log;
	const char *recordings_log; /* recording access (compliance) */
	const char *audit_log;	    /* "off", "syslog" or a path */
	long log_level;

	/* process manager */
	long pm;
	long max_children, start_servers, min_spare, max_spare;
	long max_requests;
	long terminate_ms, slowlog_ms, control_ms;
	long read_ms; /* request_read_timeout */
	const char *status_path, *ping_path, *ping_response;
	const char *status_listen; /* a socket of its own for status/ping */
	const char *status_allow;
	const char *status_token;
	const char *health_path, *ready_path; /* load balancer checks */
	long ready_probe_ms;		      /* one /readyz, all probes */
	long ready_cache_ms;		      /* a probe's result is kept */
	const char *metrics_path;	      /* Prometheus */

	/* request limits and deadlines */
	long body_max, params_max, nest_max, value_max;
	long backend_ms;
	long backoff_ms; /* longest wait after connect timeouts, 0: off */

	/* rate limits (fcgi/ratelimit.h); tenants hold the effective ones */
	struct limit_conf limit;
	/* the event companion (fcgi/companion/companion.h) */
	const char *companion_socket; /* its local interface */
	long companion_ms;	      /* a worker's deadline for one request */
	long companion_wait_ms; /* the same, with nothing to fall back on */
	long state_fresh;	/* 0: never, 1: always ask the backend */
	long state_peers_refresh_ms; /* endpoints listed again, 0: never */
	long events_journal;	     /* events kept per tenant */
	long events_backoff_ms;	     /* longest wait between reconnects */
	long wcs_basic_auth;	     /* 1: /rest-api needs a wcs token */
	long wcs_retain_ms;	     /* how long finished WCS calls stay */
	long events;		     /* tenants' default events = */
	const char *events_publish;  /* "off", or nchan's "unix:/path" */
	long events_publish_queue;   /* messages the publisher may hold */

	const char *redis; /* "unix:/path", "host:port"; "": per host */
	long redis_ms;	   /* connect and command timeout */
	long redis_fail;   /* 0: open (no limit), 1: closed (503) */
	const char *node;  /* this host in Redis's leases; "": hostname:pid */
	long events_lease_ms; /* a companion's lease on a tenant's events */

	/* recordings (getwavfile): hand the transfer to the web server */
	const char *recordings_accel; /* X-Accel-Redirect prefix, "" off */
	long recordings_sendfile;     /* X-Sendfile: 1 lighttpd, 2 Apache */
	/*
	 * Signs short-lived URLs and cursors where a tenant sets no key of
	 * its own: random per generation (made before the workers fork).
	 */
	uint8_t url_key[SHA256_LEN];

	struct tenant *tenants;
	size_t ntenants;
	struct token *tokens;
	size_t ntokens;
	/* The token file (tokens_file, "" off): the CLI's tokens, re-read
	 * by each worker when it changes, so it is the one thing a worker
	 * changes in its copy of the configuration. */
	const char *tokens_file;
	struct tokstore *store;
};

/*
 * Loads path (NULL: built-in defaults only) and, if env_file is not NULL,
 * uses it as the default tenant's .env.  With use_environ, process
 * environment variables override the default tenant's keys (elastix-api
 * §2.3).  Returns the configuration, or NULL with a message in errbuf.
 */
struct conf *conf_load(const char *path, const char *env_file, int use_environ,
    char *errbuf, size_t errlen);

/* Frees a configuration. */
void conf_free(struct conf *c);

/* Writes the effective settings, one "key = value" per line. */
void conf_dump(const struct conf *c, FILE *fp);

/* Returns the tenant called name, or NULL. */
const struct tenant *conf_tenant(const struct conf *c, const char *name);

/*
 * Returns the token whose secret is the n bytes at s (compared by SHA-256
 * digest in constant time over all tokens, the configuration's and the
 * token file's, which is re-read first if it changed), or NULL; NULL too
 * for a token whose not-after has passed.
 */
const struct token *conf_token(const struct conf *c, const char *s, size_t n);

/* Returns a tenant setting: its .env value or the elastix default. */
const char *tenant_get(const struct tenant *t, const char *key);

/*
 * Returns the source of t's events: EVM_OFF, or EVM_AMI, EVM_ARI or
 * EVM_ESL (auto resolved: ARI if ARI_ENABLED, else ESL for a tenant with
 * FUSIONPBX_* settings, else AMI).
 */
enum events_mode tenant_events(const struct tenant *t);

/* Returns 1 if some tenant of c has events on (a companion is needed). */
int conf_has_events(const struct conf *c);

/* Returns a setting as PHP's Config::getBool/getInt read it. */
int tenant_getbool(const struct tenant *t, const char *key);
long tenant_getint(const struct tenant *t, const char *key);

/* Returns 1 if t sets (in its own .env) a key that starts with prefix. */
int tenant_has_prefix(const struct tenant *t, const char *prefix);

/* Parses "30s", "500ms", "2m", "1h" or bare seconds.  Returns 0 or -1. */
int parse_duration(const char *s, long *ms);

/* Parses "64k", "1m", "1g" or bare bytes.  Returns 0 or -1. */
int parse_size(const char *s, long *bytes);

/*
 * Parses a rate: "off", "N/UNIT" or "N/UNIT burst B", UNIT a duration
 * ("s", "m", "h", "d" or "60s", "500ms"); the burst defaults to N.
 * Returns 0 or -1.
 */
int parse_rate(const char *s, struct rate *r);

/* Parses "read,write,..." into scope bits.  Returns 0 or -1. */
int parse_scopes(const char *s, unsigned *scopes);

/*
 * Parses an elastix .env text into t's settings (elastix-api §2.2).
 */
void env_parse(struct arena *a, struct tenant *t, const char *text, size_t n);

/* Sets key=val in t's settings; a later key wins in its first place. */
void env_set(struct arena *a, struct tenant *t, const char *key, size_t klen,
    const char *val, size_t vlen);

/*
 * Lets set, non-empty environment variables override t's elastix keys
 * (the defaults' keys and those already set), as elastix-api §2.3.
 */
void env_apply_environ(struct arena *a, struct tenant *t);

#endif
