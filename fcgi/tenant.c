/*
 * Tenant settings (see conf.h): the elastix-api .env keys with their
 * defaults, .env parsing, environment overrides, and the look-ups the
 * handlers use per request.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "conf.h"
#include "digest.h"
#include "tokens.h"

/*
 * The elastix-api settings and their defaults (elastix-api.md §2.1).
 */
static const struct kv env_defaults[] = {
	{ "API_SECRET_KEY", API_KEY_PLACEHOLDER },
	{ "PBX_DRIVER", "asterisk" },
	{ "AMI_HOST", "127.0.0.1" },
	{ "AMI_PORT", "5038" },
	{ "AMI_USERNAME", "" },
	{ "AMI_SECRET", "" },
	{ "AMI_CONF_PATH", "/etc/asterisk/manager.conf" },
	{ "ARI_ENABLED", "false" },
	{ "ARI_HOST", "127.0.0.1" },
	{ "ARI_PORT", "8088" },
	{ "ARI_USERNAME", "ari_user" },
	{ "ARI_SECRET", "ari_password" },
	{ "ARI_SCHEME", "http" },
	{ "CHAN_DRIVER", "pjsip" },
	{ "SIP_CONF_PATH", "/etc/asterisk/sip_additional.conf" },
	{ "PJSIP_CONF_PATH", "/etc/asterisk/pjsip.conf" },
	{ "DB_HOST", "localhost" },
	{ "DB_PORT", "3306" },
	{ "DB_USERNAME", "root" },
	{ "DB_PASSWORD", "" },
	{ "DB_CHARSET", "utf8mb4" },
	{ "ISSABEL_CONF_PATH", "/etc/issabel.conf" },
	{ "FREEPBX_CONF_PATH", "/etc/freepbx.conf" },
	{ "RECORDINGS_PATH", "/var/spool/asterisk/monitor" },
	{ "LOG_LEVEL", "error" },
	{ "LOG_PATH", "/var/log/pbx-api.log" },
	{ "CORS_ALLOWED_ORIGINS", "*" },
};

#define NENV_DEFAULTS (sizeof(env_defaults) / sizeof(env_defaults[0]))

/* Sets key=val in t's settings; a later duplicate wins in place. */
void
env_set(struct arena *a, struct tenant *t, const char *key, size_t klen,
    const char *val, size_t vlen)
{
	struct kv *nenv;
	size_t i;

	for (i = 0; i < t->nenv; i++)
		if (strlen(t->env[i].key) == klen &&
		    memcmp(t->env[i].key, key, klen) == 0) {
			t->env[i].val = arena_strndup(a, val, vlen);
			return;
		}
	if (t->nenv == t->envcap) {
		t->envcap = t->envcap ? t->envcap * 2 : 32;
		nenv = arena_alloc(a, t->envcap * sizeof(*nenv));
		if (t->nenv > 0)
			memcpy(nenv, t->env, t->nenv * sizeof(*nenv));
		t->env = nenv;
	}
	t->env[t->nenv].key = arena_strndup(a, key, klen);
	t->env[t->nenv].val = arena_strndup(a, val, vlen);
	t->nenv++;
}

/* PHP's trim() characters: " \t\n\r\0\x0B" (not \f). */
static int
php_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0' ||
	    c == '\v';
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && php_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && php_space((*s)[*n - 1]))
		(*n)--;
}

void
env_parse(struct arena *a, struct tenant *t, const char *text, size_t n)
{
	const char *line = text, *end = text + n, *eol, *eq, *k, *v;
	size_t kl, vl;

	for (; line < end; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL)
			eol = end;
		k = line;
		kl = (size_t)(eol - line);
		trim(&k, &kl);
		if (kl == 0 || k[0] == '#')
			continue;
		eq = memchr(k, '=', kl);
		if (eq == NULL)
			continue;
		v = eq + 1;
		vl = (size_t)(k + kl - v);
		kl = (size_t)(eq - k);
		trim(&k, &kl);
		trim(&v, &vl);
		/* PHP keeps "KEY\0x" apart from "KEY"; a C string cannot. */
		if (memchr(k, '\0', kl) != NULL)
			continue;
		if (vl >= 2 &&
		    ((v[0] == '"' && v[vl - 1] == '"') ||
			(v[0] == '\'' && v[vl - 1] == '\''))) {
			v++;
			vl -= 2;
		}
		env_set(a, t, k, kl, v, vl);
	}
}

/* Environment variables override existing keys (elastix-api §2.3). */
void
env_apply_environ(struct arena *a, struct tenant *t)
{
	const char *v;
	size_t i;

	for (i = 0; i < NENV_DEFAULTS; i++)
		if ((v = getenv(env_defaults[i].key)) != NULL && *v != '\0')
			env_set(a, t, env_defaults[i].key,
			    strlen(env_defaults[i].key), v, strlen(v));
	for (i = 0; i < t->nenv; i++)
		if ((v = getenv(t->env[i].key)) != NULL && *v != '\0')
			t->env[i].val = arena_strdup(a, v);
}

const struct tenant *
conf_tenant(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ntenants; i++)
		if (strcmp(c->tenants[i].name, name) == 0)
			return &c->tenants[i];
	return NULL;
}

const struct token *
conf_token(const struct conf *c, const char *s, size_t n)
{
	const struct token *found = NULL, *file = NULL;
	uint8_t d[SHA256_LEN];
	size_t i, nfile = 0;

	sha256(s, n, d);
	if (c->store != NULL) {
		tokstore_refresh(c->store, c);
		file = tokstore_tokens(c->store, &nfile);
	}
	/* Every token is compared, so timing says nothing about which. */
	for (i = 0; i < c->ntokens; i++)
		if (ct_equal(d, c->tokens[i].digest, SHA256_LEN))
			found = &c->tokens[i];
	for (i = 0; i < nfile; i++)
		if (ct_equal(d, file[i].digest, SHA256_LEN))
			found = &file[i];
	if (found != NULL && found->not_after != 0 &&
	    (long long)time(NULL) >= found->not_after)
		return NULL;
	return found;
}

const char *
tenant_get(const struct tenant *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->nenv; i++)
		if (strcmp(t->env[i].key, key) == 0)
			return t->env[i].val;
	for (i = 0; i < NENV_DEFAULTS; i++)
		if (strcmp(env_defaults[i].key, key) == 0)
			return env_defaults[i].val;
	return "";
}

int
tenant_getbool(const struct tenant *t, const char *key)
{
	const char *v = tenant_get(t, key);

	return strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	    strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0;
}

long
tenant_getint(const struct tenant *t, const char *key)
{
	return strtol(tenant_get(t, key), NULL, 10);
}

int
tenant_has_prefix(const struct tenant *t, const char *prefix)
{
	size_t i, n = strlen(prefix);

	for (i = 0; i < t->nenv; i++)
		if (strncmp(t->env[i].key, prefix, n) == 0)
			return 1;
	return 0;
}
