/*
 * The FusionPBX backend of a tenant: the PostgreSQL connection to
 * FusionPBX's database and the event-socket connection to its
 * FreeSWITCH, both kinds of the connection pool (fcgi/pool.h), where to
 * find them (tenant keys, then FusionPBX's own config.conf, then the
 * legacy v_settings row, then FusionPBX's defaults), and the API-key
 * check with its per-tenant cache of verified secrets (a third pool
 * kind).  The key that authenticated a request (its domain limit) is the
 * request's: r->dctx.
 */
#include <crypt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "digest.h"
#include "esl.h"
#include "fusionpbx.h"
#include "ini.h"
#include "log.h"
#include "netio.h"
#include "pgsql.h"
#include "pv.h"
#include "req.h"
#include "pool.h"

#define AUTH_CACHE   32		 /* verified secrets kept per tenant */
#define HASH_MAX     128	 /* longest stored key_secret cached */
#define ESL_WAIT_MS  (45 * 1000) /* originate wait by default */
#define LAST_USED_MS 60000	 /* last_used refresh by default */
#define CONF_ETC     "/etc/fusionpbx/config.conf"
#define CONF_LOCAL   "/usr/local/etc/fusionpbx/config.conf"

struct authent {
	char key[FPX_UUID_LEN + 1];
	char hash[HASH_MAX];
	uint8_t mac[SHA256_LEN]; /* HMAC of the secret, never the secret */
	uint64_t used;
};

/* A pooled database connection. */
struct fpx_db {
	struct pg *pg;
	int key_domains; /* rest_api_key_domains exists: -1 unknown */
};

/* The verified secrets of a tenant's keys (a pool kind, not a socket). */
struct fpx_keys {
	uint8_t mackey[SHA256_LEN];
	struct authent cache[AUTH_CACHE];
	uint64_t tick;
	struct crypt_data *cd;
};

static const struct pg_stmt st_has_key_domains = { "fpx_has_key_domains",
	"SELECT to_regclass('rest_api_key_domains') IS NOT NULL", 0 };
static const struct pg_stmt st_key = { "fpx_key",
	"SELECT key_secret, last_used IS NULL OR "
	"last_used <= now() - $2::interval, NULL::uuid, false "
	"FROM rest_api_keys WHERE key_uuid = $1 LIMIT 1",
	2 };
static const struct pg_stmt st_key_dom = { "fpx_key_dom",
	"SELECT k.key_secret, k.last_used IS NULL OR "
	"k.last_used <= now() - $2::interval, d.domain_uuid, "
	"coalesce(d.read_only, false) FROM rest_api_keys k "
	"LEFT JOIN rest_api_key_domains d ON d.key_uuid = k.key_uuid "
	"WHERE k.key_uuid = $1 LIMIT 1",
	2 };
static const struct pg_stmt st_touch = { "fpx_key_touch",
	"UPDATE rest_api_keys SET last_used = now() WHERE key_uuid = $1", 1 };
static const struct pg_stmt st_settings = { "fpx_v_settings",
	"SELECT event_socket_ip_address, event_socket_port, "
	"event_socket_password FROM v_settings LIMIT 1",
	0 };

/* Returns the tenant's value of key, or NULL if it sets none. */
static const char *
tkey(const struct tenant *t, const char *key)
{
	const char *v = tenant_get(t, key);

	return *v != '\0' ? v : NULL;
}

int
fpx_tenant_has_keys(const struct tenant *t)
{
	size_t i;

	for (i = 0; i < t->nenv; i++)
		if (strncmp(t->env[i].key, "FUSIONPBX_", 10) == 0)
			return 1;
	return 0;
}

int
fpx_tenant_enabled(const struct req *r, const struct tenant *t)
{
	size_t i;

	if (fpx_tenant_has_keys(t))
		return 1;
	if (strcmp(t->name, "default") != 0)
		return 0;
	for (i = 0; i < r->conf->ntenants; i++)
		if (fpx_tenant_has_keys(&r->conf->tenants[i]))
			return 0;
	return 1;
}

/*
 * FusionPBX's config.conf for t (FUSIONPBX_CONFIG, else the two places
 * FusionPBX looks), parsed into the request arena; NULL if there is none.
 */
static struct pv *
config(struct req *r, const struct tenant *t)
{
	const char *path = tkey(t, "FUSIONPBX_CONFIG");
	struct pv *out;

	if (path != NULL) {
		if (ini_load(r->arena, path, &out) == E_OK)
			return out;
		log_warnx("tenant '%s': cannot read '%s'", t->name, path);
		return NULL;
	}
	if (ini_load(r->arena, CONF_ETC, &out) == E_OK ||
	    ini_load(r->arena, CONF_LOCAL, &out) == E_OK)
		return out;
	return NULL;
}

/* A config.conf value, or NULL if absent or empty. */
static const char *
cfg(struct req *r, struct pv *conf, const char *key)
{
	const struct pv *v = conf ? pv_getz(conf, key) : NULL;
	const char *s;
	size_t n;

	if (v == NULL || v->type == PV_ARR)
		return NULL;
	s = pv_to_str(r->arena, v, &n);
	return n > 0 ? arena_strndup(r->arena, s, n) : NULL;
}

/* The first of the candidates that is set. */
static const char *
first(const char *a, const char *b, const char *c)
{
	return a != NULL ? a : b != NULL ? b : c;
}

static void
conninfo(struct req *r, const struct tenant *t, struct pg_conninfo *ci)
{
	struct pv *conf = config(r, t);

	/* With a config.conf and no host, PDO uses the unix socket. */
	ci->host = first(tkey(t, "FUSIONPBX_DB_HOST"),
	    cfg(r, conf, "database.0.host"), conf ? "" : "127.0.0.1");
	ci->port = first(tkey(t, "FUSIONPBX_DB_PORT"),
	    cfg(r, conf, "database.0.port"), "5432");
	ci->dbname = first(tkey(t, "FUSIONPBX_DB_NAME"),
	    cfg(r, conf, "database.0.name"), "fusionpbx");
	ci->user = first(tkey(t, "FUSIONPBX_DB_USER"),
	    cfg(r, conf, "database.0.username"), "fusionpbx");
	ci->password = first(tkey(t, "FUSIONPBX_DB_PASSWORD"),
	    cfg(r, conf, "database.0.password"), "fusionpbx");
	ci->sslmode = first(tkey(t, "FUSIONPBX_DB_SSLMODE"),
	    cfg(r, conf, "database.0.sslmode"), "");
	/* A safety net behind the client's deadline, which fires first. */
	ci->stmt_timeout_ms = r->conf->backend_ms + 1000;
}

/* What a pool kind of this file opens for: a request and a tenant. */
struct fpx_ctx {
	struct req *r;
	const struct tenant *t; /* the one tried, before r->tenant is set */
};

static void
db_close(void *p)
{
	struct fpx_db *d = p;

	if (d == NULL)
		return;
	pg_close(d->pg);
	free(d);
}

/* A kept connection the server closed is not usable. */
static int
db_usable(void *p)
{
	return pg_usable(((struct fpx_db *)p)->pg, 0);
}

static enum err
db_open(void *ctx, uint64_t deadline, void **conn, char *why, size_t whylen)
{
	struct fpx_ctx *x = ctx;
	struct pg_conninfo ci;
	struct fpx_db *d;
	struct pg *pg;
	enum err e;

	conninfo(x->r, x->t, &ci);
	if ((e = pg_open(&ci, deadline, &pg, why, whylen)) != E_OK) {
		log_warnx(
		    "tenant '%s': cannot connect to the FusionPBX database '%s': %s",
		    x->t->name, ci.dbname, why);
		return e == E_TIMEOUT ? E_TIMEOUT : E_BACKEND;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		abort();
	d->pg = pg;
	d->key_domains = -1;
	*conn = d;
	return E_OK;
}

static const struct backend be_db = {
	.name = "pgsql fusionpbx",
	.open = db_open,
	.usable = db_usable,
	.close = db_close,
};

/*
 * Returns t's database connection; with idle (a request's first use),
 * one that has no transaction left open.  Returns E_OK or sets r's
 * error.
 */
static enum err
db_conn(struct req *r, const struct tenant *t, int idle, struct fpx_db **out)
{
	struct fpx_ctx x = { r, t };
	char why[256];
	void *c;
	enum err e;

	req_op(r, "pgsql connect");
	e = pool_get(r->pool, t, &be_db, &x, net_deadline(r->conf->backend_ms),
	    &c, NULL, why, sizeof(why));
	if (e == E_OK && idle && !pg_usable(((struct fpx_db *)c)->pg, 1)) {
		pool_drop(r->pool, t, &be_db);
		e = pool_get(r->pool, t, &be_db, &x,
		    net_deadline(r->conf->backend_ms), &c, NULL, why,
		    sizeof(why));
	}
	if (e != E_OK)
		return req_error(r, e, "failed to connect to the database");
	*out = c;
	return E_OK;
}

/* Runs st on t's database (st unnamed: unprepared).  Returns as fpx_db. */
static enum err
db_exec(struct req *r, const struct tenant *t, const struct pg_stmt *st,
    const char *const *vals, struct pg_res **out)
{
	const char *name = st->name != NULL ? st->name : "unprepared";
	struct fpx_db *d;
	char why[256];
	enum err e;

	if ((e = db_conn(r, t, 0, &d)) != E_OK)
		return e;
	req_op(r, name);
	e = pg_exec(d->pg, st, vals, net_deadline(r->conf->backend_ms),
	    r->arena, out, why, sizeof(why));
	if (e == E_OK)
		return E_OK;
	if (e == E_BADREQ) {
		log_info("%s: %s", name, why);
		return E_BADREQ;
	}
	log_warnx("tenant '%s': %s: %s", t->name, name, why);
	pool_drop(r->pool, t, &be_db);
	return req_error(r, e,
	    e == E_TIMEOUT ? "the database did not answer in time"
			   : "lost the connection to the database");
}

enum err
fpx_db(struct req *r, const struct pg_stmt *st, const char *const *vals,
    struct pg_res **out)
{
	return db_exec(r, r->tenant, st, vals, out);
}

static void
keys_close(void *p)
{
	struct fpx_keys *k = p;

	if (k == NULL)
		return;
	free(k->cd);
	free(k);
}

static enum err
keys_open(void *ctx, uint64_t deadline, void **conn, char *why, size_t whylen)
{
	struct fpx_keys *k;

	(void)ctx;
	(void)deadline;
	(void)why;
	(void)whylen;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		abort();
	random_bytes(k->mackey, sizeof(k->mackey));
	*conn = k;
	return E_OK;
}

static const struct backend be_keys = {
	.name = "fusionpbx verified keys",
	.open = keys_open,
	.close = keys_close,
};

/* Returns tenant t's cache of verified secrets (made on first use). */
static struct fpx_keys *
keys_of(struct req *r, const struct tenant *t)
{
	void *keys;

	if (pool_get(r->pool, t, &be_keys, NULL, 0, &keys, NULL, NULL, 0) !=
	    E_OK)
		abort(); /* keys_open cannot fail */
	return keys;
}

/* Returns 1 if the secret matches the bcrypt hash (or a cached check). */
static int
verify(struct fpx_keys *b, const char *key, const char *hash,
    const char *secret, size_t slen)
{
	uint8_t mac[SHA256_LEN];
	struct authent *e, *victim = &b->cache[0];
	const char *out;
	size_t i, hlen = strlen(hash);

	hmac_sha256(b->mackey, sizeof(b->mackey), secret, slen, mac);
	for (i = 0; i < AUTH_CACHE; i++) {
		e = &b->cache[i];
		if (strcmp(e->key, key) == 0 && strcmp(e->hash, hash) == 0 &&
		    ct_equal(e->mac, mac, SHA256_LEN)) {
			e->used = ++b->tick;
			return 1;
		}
		if (e->used < victim->used)
			victim = e;
	}
	/* crypt_r stops at a NUL: a secret holding one never matches. */
	if (hlen < 7 || hlen >= HASH_MAX || memchr(secret, '\0', slen))
		return 0;
	if (b->cd == NULL && (b->cd = calloc(1, sizeof(*b->cd))) == NULL)
		abort();
	out = crypt_r(secret, hash, b->cd);
	if (out == NULL || strlen(out) != hlen || !ct_equal(out, hash, hlen))
		return 0;
	memcpy(victim->key, key, sizeof(victim->key));
	memcpy(victim->hash, hash, hlen + 1);
	memcpy(victim->mac, mac, SHA256_LEN);
	victim->used = ++b->tick;
	return 1;
}

/* Reads the key's row (secret, refresh due, domain, read only). */
static enum err
key_row(
    struct req *r, const struct tenant *t, const char *key, struct pg_res **res)
{
	struct fpx_db *d;
	const char *every = tkey(t, "FUSIONPBX_LAST_USED");
	const char *vals[2] = { key, NULL };
	struct pg_res *has;
	long ms = LAST_USED_MS;
	enum err e;

	if (every != NULL && parse_duration(every, &ms) == -1)
		ms = LAST_USED_MS;
	vals[1] = arena_printf(r->arena, "%ld milliseconds", ms);

	if ((e = db_conn(r, t, 1, &d)) != E_OK)
		return e;
	if (d->key_domains == -1) {
		e = db_exec(r, t, &st_has_key_domains, NULL, &has);
		if (e != E_OK && e != E_BADREQ)
			return e;
		d->key_domains = e == E_OK && pg_nrows(has) == 1 &&
		    pg_value(has, 0, 0)[0] == 't';
	}
	return db_exec(r, t, d->key_domains ? &st_key_dom : &st_key, vals, res);
}

enum err
fpx_key_check(struct req *r, const struct tenant *t, const char *key_uuid,
    const char *secret, size_t slen)
{
	const char *vals[1] = { key_uuid };
	struct pg_res *res, *touched;
	struct fpx_req *k;
	enum err e;

	e = key_row(r, t, key_uuid, &res);
	if (e == E_BADREQ || (e == E_OK && pg_nrows(res) == 0))
		return E_NOTFOUND;
	if (e != E_OK)
		return e;
	if (pg_isnull(res, 0, 0) ||
	    !verify(keys_of(r, t), key_uuid, pg_value(res, 0, 0), secret, slen))
		return E_UNAUTH;
	r->tenant = t;
	r->token_id = arena_strdup(r->arena, key_uuid); /* the key's id */
	r->scopes = SCOPE_READ;
	if (pg_value(res, 0, 3)[0] != 't')
		r->scopes |= SCOPE_WRITE;
	k = arena_zalloc(r->arena, sizeof(*k));
	r->dctx = k;
	/* A limit that is not a uuid matches no domain: it denies all. */
	if (!pg_isnull(res, 0, 2))
		memcpy(k->key_domain,
		    pg_len(res, 0, 2) == FPX_UUID_LEN ? pg_value(res, 0, 2)
						      : "-",
		    pg_len(res, 0, 2) == FPX_UUID_LEN ? FPX_UUID_LEN + 1 : 2);
	if (pg_value(res, 0, 1)[0] == 't' &&
	    db_exec(r, t, &st_touch, vals, &touched) != E_OK)
		log_info("cannot update last_used of key '%s'", key_uuid);
	r->errmsg[0] = '\0';
	r->errlen = 0;
	return E_OK;
}

const char *
fpx_key_domain(struct req *r)
{
	const struct fpx_req *k = r->dctx;

	return k != NULL && k->key_domain[0] != '\0' ? k->key_domain : NULL;
}

enum err
fpx_domain_allowed(struct req *r, const char *domain_uuid)
{
	const char *mine = fpx_key_domain(r);
	char canon[FPX_UUID_LEN + 1];

	if (mine == NULL)
		return E_OK;
	if (domain_uuid != NULL &&
	    fpx_uuid_parse(domain_uuid, strlen(domain_uuid), canon) == 0 &&
	    strcmp(canon, mine) == 0)
		return E_OK;
	return req_error(r, E_FORBIDDEN, "key limited to domain %s", mine);
}

/* The event-socket settings, each from the first place that has it. */
static void
esl_settings(struct req *r, struct esl_conf *ec)
{
	const struct tenant *t = r->tenant;
	struct pv *conf = config(r, t);
	const char *row[3] = { NULL, NULL, NULL };
	const char *keys[3][3] = { { "ESL_HOST", "switch.event_socket.host",
				       "event_socket.ip_address" },
		{ "ESL_PORT", "switch.event_socket.port", "event_socket.port" },
		{ "ESL_PASSWORD", "switch.event_socket.password",
		    "event_socket.password" } };
	const char *defs[3] = { "127.0.0.1", "8021", "ClueCon" };
	const char *got[3];
	struct pg_res *res;
	size_t i, missing = 0;

	for (i = 0; i < 3; i++) {
		got[i] = first(tkey(t, keys[i][0]), cfg(r, conf, keys[i][1]),
		    cfg(r, conf, keys[i][2]));
		missing += got[i] == NULL;
	}
	/* FusionPBX <= 5.1 kept them in the first row of v_settings. */
	if (missing > 0 && db_exec(r, t, &st_settings, NULL, &res) == E_OK &&
	    pg_nrows(res) > 0)
		for (i = 0; i < 3; i++)
			if (!pg_isnull(res, 0, i) && *pg_value(res, 0, i))
				row[i] = pg_value(res, 0, i);
	r->errmsg[0] = '\0';
	r->errlen = 0;
	ec->host = first(got[0], row[0], defs[0]);
	ec->port = first(got[1], row[1], defs[1]);
	ec->password = first(got[2], row[2], defs[2]);
}

static enum err
esl_connect(void *ctx, uint64_t deadline, void **conn, char *why, size_t whylen)
{
	struct req *r = ctx;
	struct esl_conf ec;
	struct esl *c;
	enum err e;

	esl_settings(r, &ec);
	req_op(r, "esl connect");
	if ((e = esl_open(&ec, deadline, &c, why, whylen)) != E_OK) {
		log_warnx("tenant '%s': event socket %s:%s: %s",
		    r->tenant->name, ec.host, ec.port, why);
		return e;
	}
	*conn = c;
	return E_OK;
}

static int
esl_ok(void *c)
{
	return esl_usable(c);
}

static const struct backend be_esl = {
	.name = "esl",
	.open = esl_connect,
	.usable = esl_ok,
	.close = esl_close,
};

enum err
fpx_esl(struct req *r, struct esl **out)
{
	char why[256];
	void *c;
	enum err e;

	e = pool_get(r->pool, r->tenant, &be_esl, r,
	    net_deadline(r->conf->backend_ms), &c, NULL, why, sizeof(why));
	if (e != E_OK)
		return e;
	*out = c;
	return E_OK;
}

void
fpx_esl_drop(struct req *r)
{
	pool_drop(r->pool, r->tenant, &be_esl);
}

long
fpx_originate_ms(struct req *r)
{
	const char *v = tkey(r->tenant, "ESL_TIMEOUT");
	long ms;

	if (v == NULL || parse_duration(v, &ms) == -1 || ms <= 0)
		return ESL_WAIT_MS;
	return ms;
}

enum fpx_cache
fpx_cache_method(struct req *r, const char **dir)
{
	struct pv *conf = config(r, r->tenant);
	const char *m;

	m = first(tkey(r->tenant, "FUSIONPBX_CACHE"),
	    cfg(r, conf, "cache.method"), "file");
	*dir = first(tkey(r->tenant, "FUSIONPBX_CACHE_DIR"),
	    cfg(r, conf, "cache.location"), "/var/cache/fusionpbx");
	if (strcmp(m, "off") == 0 || strcmp(m, "none") == 0)
		return FPX_CACHE_OFF;
	return strcmp(m, "memcache") == 0 ? FPX_CACHE_MEMCACHE : FPX_CACHE_FILE;
}

/* ---- readiness ---- */

int
fpx_probe_wants(const struct tenant *t, const char *kind)
{
	if (strcmp(kind, be_db.name) == 0)
		return fpx_tenant_has_keys(t);
	if (strcmp(kind, be_esl.name) == 0)
		return fpx_tenant_has_keys(t) || tenant_has_prefix(t, "ESL_");
	return 0;
}

enum err
fpx_probe(struct req *r, const char *kind, uint64_t deadline, char *why,
    size_t whylen)
{
	struct fpx_ctx x = { r, r->tenant };
	void *c;

	if (strcmp(kind, be_db.name) == 0)
		return pool_get(r->pool, r->tenant, &be_db, &x, deadline, &c,
		    NULL, why, whylen);
	if (strcmp(kind, be_esl.name) == 0)
		return pool_get(r->pool, r->tenant, &be_esl, r, deadline, &c,
		    NULL, why, whylen);
	return E_NOTFOUND;
}
