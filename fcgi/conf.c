/*
 * Configuration (see conf.h).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "digest.h"
#include "file.h"
#include "limits.h"
#include "log.h"
#include "settings.h"
#include "str.h"
#include "tokens.h"

struct parse {
	struct conf *c;
	char *errbuf;
	size_t errlen;
	const char *file;
	int line;
	int depth;
	struct tenant *section; /* NULL: global */
	size_t tenantcap;
	size_t tokencap;
	const char *default_env; /* env_file of the default tenant */
	int has_default;	 /* default tenant wanted */
};

static int fail(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct parse *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->file != NULL)
		snprintf(
		    p->errbuf, p->errlen, "%s:%d: %s", p->file, p->line, msg);
	else
		snprintf(p->errbuf, p->errlen, "%s", msg);
	return -1;
}

/* Sets s in the struct at base, or fails naming the file and line. */
static int
set_value(struct parse *p, const struct setting *s, const char *v, void *base)
{
	char err[200];

	if (setting_set(s, v, base, p->c->arena, err, sizeof(err)) == -1)
		return fail(p, "%s", err);
	return 0;
}

/* Sets limit setting k of the tenant t, or the global one (t NULL). */
static int
limit_value(struct parse *p, struct tenant *t, const char *k, const char *v)
{
	size_t i;

	for (i = 0; i < nlimit_settings; i++)
		if (strcmp(limit_settings[i].name, k) == 0)
			break;
	if (i == nlimit_settings)
		return fail(p, "unknown setting '%s'", k);
	if (t == NULL)
		return set_value(p, &limit_settings[i], v, &p->c->limit);
	t->limit_set |= 1u << i;
	return set_value(p, &limit_settings[i], v, &t->limit);
}

/* Gives t the global value of every limit setting it does not set. */
static void
limit_inherit(const struct conf *c, struct tenant *t)
{
	const struct setting *s;
	size_t i;

	for (i = 0; i < nlimit_settings; i++) {
		if (t->limit_set & (1u << i))
			continue;
		s = &limit_settings[i];
		memcpy((char *)&t->limit + s->off,
		    (const char *)&c->limit + s->off,
		    s->type == S_RATE ? sizeof(struct rate) : sizeof(long));
	}
}

static struct tenant *
tenant_add(struct parse *p, const char *name)
{
	struct conf *c = p->c;
	struct tenant *nt;
	size_t i;

	for (i = 0; i < c->ntenants; i++)
		if (strcmp(c->tenants[i].name, name) == 0)
			return &c->tenants[i];
	if (c->ntenants >= LIM_TENANTS) {
		fail(p, "more than %d tenants", LIM_TENANTS);
		return NULL;
	}
	if (c->ntenants == p->tenantcap) {
		p->tenantcap = p->tenantcap ? p->tenantcap * 2 : 8;
		nt = arena_zalloc(c->arena, p->tenantcap * sizeof(*nt));
		if (c->ntenants > 0)
			memcpy(nt, c->tenants, c->ntenants * sizeof(*nt));
		c->tenants = nt;
	}
	nt = &c->tenants[c->ntenants];
	memset(nt, 0, sizeof(*nt));
	nt->name = arena_strdup(c->arena, name);
	nt->index = c->ntenants++;
	return nt;
}

static int
valid_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= LIM_TENANT_NAME)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return 0;
	return 1;
}

static int
is_env_key(const char *k)
{
	if (!isupper((unsigned char)*k))
		return 0;
	for (; *k != '\0'; k++)
		if (!isupper((unsigned char)*k) &&
		    !isdigit((unsigned char)*k) && *k != '_')
			return 0;
	return 1;
}

/* Appends a token for tenant t. */
static int
token_add(struct parse *p, const struct tenant *t, const uint8_t *digest,
    unsigned scopes)
{
	struct conf *c = p->c;
	struct token *nt;
	size_t i;

	if (c->ntokens >= LIM_TOKENS)
		return fail(p, "more than %d tokens", LIM_TOKENS);
	if (c->ntokens == p->tokencap) {
		p->tokencap = p->tokencap ? p->tokencap * 2 : 16;
		nt = arena_alloc(c->arena, p->tokencap * sizeof(*nt));
		if (c->ntokens > 0)
			memcpy(nt, c->tokens, c->ntokens * sizeof(*nt));
		c->tokens = nt;
	}
	nt = &c->tokens[c->ntokens++];
	memcpy(nt->digest, digest, SHA256_LEN);
	for (i = 0; i < TOKEN_ID_BYTES; i++) {
		nt->id[2 * i] = "0123456789abcdef"[digest[i] >> 4];
		nt->id[2 * i + 1] = "0123456789abcdef"[digest[i] & 15];
	}
	nt->id[TOKEN_ID_LEN] = '\0';
	nt->scopes = scopes;
	nt->setting = NULL;
	nt->tenant = NULL;
	nt->tenant_index = t->index; /* tenants may still move */
	nt->cmds = NULL;
	nt->ncmds = 0;
	nt->not_after = 0;
	return 0;
}

/* Token lines: "token = SECRET [scopes]" or "sha256:HEX [scopes]". */
static int
token_line(struct parse *p, struct tenant *t, const char *v)
{
	uint8_t digest[SHA256_LEN];
	size_t n = strcspn(v, " \t"), i;
	unsigned scopes = SCOPE_DEFAULT;
	int hi, lo;

	if (n == 0)
		return fail(p, "'token' without a value");
	if (v[n] != '\0' && parse_scopes(v + n, &scopes) == -1)
		return fail(p, "'token': unknown scope in '%s'", v + n);
	if (strncmp(v, "sha256:", 7) == 0) {
		if (n != 7 + 2 * SHA256_LEN)
			return fail(p, "'token': bad sha256 digest");
		for (i = 0; i < SHA256_LEN; i++) {
			hi = hex_digit(v[7 + 2 * i]);
			lo = hex_digit(v[8 + 2 * i]);
			if (hi < 0 || lo < 0)
				return fail(p, "'token': bad sha256 digest");
			digest[i] = (uint8_t)(hi * 16 + lo);
		}
	} else if (n == strlen(API_KEY_PLACEHOLDER) &&
	    strncmp(v, API_KEY_PLACEHOLDER, n) == 0) {
		return fail(p,
		    "'token': the elastix-api placeholder key is not a secret");
	} else
		sha256(v, n, digest);
	return token_add(p, t, digest, scopes);
}

static int parse_file(struct parse *p, const char *path);

/* A relative include is relative to the directory of the including file. */
static const char *
include_path(struct parse *p, const char *v)
{
	const char *slash;

	if (v[0] == '/' || p->file == NULL ||
	    (slash = strrchr(p->file, '/')) == NULL)
		return v;
	return arena_printf(
	    p->c->arena, "%.*s/%s", (int)(slash - p->file), p->file, v);
}

/* A tenant's events = (the global one is in the settings table). */
static int
events_value(struct parse *p, struct tenant *t, const char *v)
{
	size_t i;

	for (i = 0; events_modes[i] != NULL; i++)
		if (strcmp(events_modes[i], v) == 0) {
			t->events = (long)i;
			t->events_set = 1;
			return 0;
		}
	return fail(p, "'events': unknown value '%s'", v);
}

static struct tenant *
default_tenant(struct parse *p)
{
	p->has_default = 1;
	return tenant_add(p, "default");
}

static int
directive(struct parse *p, const char *k, const char *v)
{
	const struct setting *s;
	struct tenant *t = p->section;
	glob_t g;
	size_t i;
	int rc;

	if (strcmp(k, "include") == 0) {
		if (p->depth >= 8)
			return fail(p, "includes nested too deeply");
		rc = glob(include_path(p, v), 0, NULL, &g);
		if (rc == GLOB_NOMATCH)
			return 0;
		if (rc != 0)
			return fail(p, "include '%s': glob failed", v);
		for (i = 0; i < g.gl_pathc; i++)
			if (parse_file(p, g.gl_pathv[i]) == -1)
				break;
		rc = i == g.gl_pathc ? 0 : -1;
		globfree(&g);
		return rc;
	}
	if (t == NULL &&
	    (strcmp(k, "env_file") == 0 || strcmp(k, "token") == 0 ||
		is_env_key(k)))
		t = default_tenant(p);
	if (strncmp(k, "limit.", 6) == 0)
		return limit_value(p, t, k, v);
	if (t == NULL && (s = setting_find(settings, nsettings, k)) != NULL)
		return set_value(p, s, v, p->c);
	if (t == NULL)
		return fail(p, "unknown setting '%s'", k);
	if (strcmp(k, "env_file") == 0) {
		t->env_file = arena_strdup(p->c->arena, v);
		return 0;
	}
	if (strcmp(k, "token") == 0)
		return token_line(p, t, v);
	if (strcmp(k, "events") == 0)
		return events_value(p, t, v);
	if (is_env_key(k)) {
		env_set(p->c->arena, t, k, strlen(k), v, strlen(v));
		return 0;
	}
	return fail(p, "unknown tenant setting '%s'", k);
}

static int
section(struct parse *p, char *s)
{
	char *name;

	if (strncmp(s, "tenant", 6) != 0 || !isspace((unsigned char)s[6]))
		return fail(p, "unknown section '[%s]'", s);
	name = s + 6;
	while (isspace((unsigned char)*name))
		name++;
	if (!valid_name(name))
		return fail(p, "bad tenant name '%s'", name);
	p->section = tenant_add(p, name);
	if (strcmp(name, "default") == 0)
		p->has_default = 1;
	return p->section ? 0 : -1;
}

/* Reads a whole file (at most max bytes) into the arena. */
static char *
slurp(struct arena *a, const char *path, size_t max, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return NULL;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		if (S_ISDIR(st.st_mode))
			errno = EISDIR;
		else
			errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		close(fd);
		return NULL;
	}
	buf = arena_alloc(a, (size_t)st.st_size + 1);
	r = file_read_full(fd, buf, (size_t)st.st_size);
	close(fd);
	if (r == -1)
		return NULL;
	buf[r] = '\0';
	*len = (size_t)r;
	return buf;
}

static int
parse_line(struct parse *p, char *s)
{
	char *eq, *k, *v, *e;
	size_t vl;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		if (e[-1] != ']')
			return fail(p, "unterminated section header");
		e[-1] = '\0';
		return section(p, s + 1);
	}
	eq = strchr(s, '=');
	if (eq == NULL)
		return fail(p, "expected 'key = value'");
	*eq = '\0';
	k = s;
	e = eq;
	while (e > k && isspace((unsigned char)e[-1]))
		*--e = '\0';
	v = eq + 1;
	while (isspace((unsigned char)*v))
		v++;
	vl = strlen(v);
	if (vl >= 2 &&
	    ((v[0] == '"' && v[vl - 1] == '"') ||
		(v[0] == '\'' && v[vl - 1] == '\''))) {
		v[vl - 1] = '\0';
		v++;
	}
	if (*k == '\0')
		return fail(p, "empty key");
	return directive(p, k, v);
}

static int
parse_file(struct parse *p, const char *path)
{
	const char *ofile = p->file;
	int oline = p->line, rc = 0;
	char *text, *line, *next;
	size_t len;

	text = slurp(p->c->arena, path, LIM_CONF_FILE, &len);
	if (text == NULL)
		return fail(p, "cannot read '%s': %s", path, strerror(errno));
	if (memchr(text, '\0', len) != NULL)
		return fail(p, "'%s' contains a NUL byte", path);
	p->file = path;
	p->line = 0;
	p->depth++;
	for (line = text; line != NULL && rc == 0; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		p->line++;
		if (strlen(line) >= LIM_CONF_LINE)
			rc =
			    fail(p, "line longer than %d bytes", LIM_CONF_LINE);
		else
			rc = parse_line(p, line);
	}
	p->depth--;
	if (rc == 0) {
		p->file = ofile;
		p->line = oline;
	}
	return rc;
}

static int
apply_defaults(struct parse *p)
{
	size_t i;

	for (i = 0; i < nsettings; i++)
		if (set_value(p, &settings[i], settings[i].def, p->c) == -1)
			return -1;
	for (i = 0; i < nlimit_settings; i++)
		if (set_value(p, &limit_settings[i], limit_settings[i].def,
			&p->c->limit) == -1)
			return -1;
	return 0;
}

static int
load_tenant_env(struct parse *p, struct tenant *t, int use_environ)
{
	struct tenant inline_keys;
	char *text;
	size_t len, i;

	if (t->env_file != NULL) {
		text = slurp(p->c->arena, t->env_file, LIM_CONF_FILE, &len);
		if (text == NULL) {
			p->file = NULL;
			return fail(p, "tenant '%s': cannot read '%s': %s",
			    t->name, t->env_file, strerror(errno));
		}
		/* The file comes first; keys given inline override it. */
		inline_keys = *t;
		t->env = NULL;
		t->nenv = t->envcap = 0;
		env_parse(p->c->arena, t, text, len);
		for (i = 0; i < inline_keys.nenv; i++)
			env_set(p->c->arena, t, inline_keys.env[i].key,
			    strlen(inline_keys.env[i].key),
			    inline_keys.env[i].val,
			    strlen(inline_keys.env[i].val));
	}
	if (use_environ && strcmp(t->name, "default") == 0)
		env_apply_environ(p->c->arena, t);
	return 0;
}

/* Adds the tenant key name, if set, as a token with scopes. */
static int
setting_token(
    struct parse *p, const struct tenant *t, const char *name, unsigned scopes)
{
	const char *key = tenant_get(t, name);
	uint8_t digest[SHA256_LEN];

	/* The PHP project's placeholder is never a key (it fails closed). */
	if (*key == '\0' || strcmp(key, API_KEY_PLACEHOLDER) == 0)
		return 0;
	sha256(key, strlen(key), digest);
	if (token_add(p, t, digest, scopes) == -1)
		return -1;
	p->c->tokens[p->c->ntokens - 1].setting = name;
	return 0;
}

/*
 * Adds a tenant's shared keys as tokens: the elastix-api's
 * API_SECRET_KEY with the default scopes, the XiVO CC recording server's
 * PLAY_AUTH_TOKEN with the recordings scope.
 */
static int
setting_tokens(struct parse *p, const struct tenant *t)
{
	if (setting_token(p, t, "API_SECRET_KEY", SCOPE_DEFAULT) == -1)
		return -1;
	return setting_token(p, t, "PLAY_AUTH_TOKEN", SCOPE_RECORDINGS);
}

/* Returns 1 if s is "unix:/path" or "host:port" with a port 1-65535. */
static int
valid_redis(const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (strncmp(s, "unix:/", 6) == 0)
		return 1;
	if (colon == NULL || colon == s)
		return 0;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	return errno == 0 && *end == '\0' && end != colon + 1 && port >= 1 &&
	    port <= 65535;
}

/*
 * companion.socket's default: in the runtime directory, the one of the
 * listen socket (a path), else of the pid file, else /run/pbxapi.
 */
static const char *
companion_path(const struct conf *c)
{
	const char *dir = "/run/pbxapi", *from = NULL, *slash;
	int n;

	if (c->listen[0] == '/')
		from = c->listen;
	else if (c->pid_file[0] == '/')
		from = c->pid_file;
	if (from != NULL && (slash = strrchr(from, '/')) != NULL) {
		n = (int)(slash - from);
		return arena_printf(
		    c->arena, "%.*s/pbxapi-companion.sock", n, from);
	}
	return arena_printf(c->arena, "%s/pbxapi-companion.sock", dir);
}

static int
check(struct parse *p)
{
	struct conf *c = p->c;
	size_t i, j;

	p->file = NULL;
	if (c->pm == PM_DYNAMIC) {
		if (c->min_spare > c->max_spare)
			return fail(p,
			    "pm.min_spare_servers (%ld) is above pm.max_spare_servers (%ld)",
			    c->min_spare, c->max_spare);
		if (c->start_servers < c->min_spare ||
		    c->start_servers > c->max_spare)
			return fail(p,
			    "pm.start_servers (%ld) must lie between pm.min_spare_servers and pm.max_spare_servers",
			    c->start_servers);
		if (c->max_spare > c->max_children)
			return fail(p,
			    "pm.max_spare_servers (%ld) is above pm.max_children (%ld)",
			    c->max_spare, c->max_children);
	}
	if (c->listen[0] == '\0')
		return fail(p, "'listen' is empty");
	if (c->companion_socket[0] == '\0')
		c->companion_socket = companion_path(c);
	if (c->companion_socket[0] != '/')
		return fail(p,
		    "'companion.socket': '%s' is not an absolute path",
		    c->companion_socket);
	if (strlen(c->companion_socket) >= LIM_SUN_PATH)
		return fail(p, "'companion.socket': '%s' is too long",
		    c->companion_socket);
	if (strcmp(c->events_publish, "off") != 0 &&
	    (strncmp(c->events_publish, "unix:/", 6) != 0 ||
		strlen(c->events_publish + 5) >= LIM_SUN_PATH))
		return fail(p,
		    "'events.publish': '%s' is not off or unix:/path "
		    "(a socket path shorter than %d bytes)",
		    c->events_publish, LIM_SUN_PATH);
	if (c->redis[0] != '\0' && !valid_redis(c->redis))
		return fail(p, "'redis': '%s' is not unix:/path or host:port",
		    c->redis);
	for (i = 0; i < c->ntokens; i++)
		for (j = i + 1; j < c->ntokens; j++)
			if (memcmp(c->tokens[i].digest, c->tokens[j].digest,
				SHA256_LEN) == 0 &&
			    c->tokens[i].tenant != c->tokens[j].tenant)
				return fail(p,
				    "the same token is given to tenants '%s' and '%s'",
				    c->tokens[i].tenant->name,
				    c->tokens[j].tenant->name);
	return 0;
}

struct conf *
conf_load(const char *path, const char *env_file, int use_environ, char *errbuf,
    size_t errlen)
{
	struct arena *a = arena_new();
	struct parse p = { .errbuf = errbuf, .errlen = errlen };
	struct conf *c;
	size_t i;

	c = arena_zalloc(a, sizeof(*c));
	c->arena = a;
	c->path = path ? arena_strdup(a, path) : NULL;
	random_bytes(c->url_key, sizeof(c->url_key));
	p.c = c;
	if (apply_defaults(&p) == -1)
		goto fail;
	if (path != NULL && parse_file(&p, path) == -1)
		goto fail;
	if (env_file != NULL)
		default_tenant(&p)->env_file = arena_strdup(a, env_file);
	if (c->ntenants == 0)
		default_tenant(&p);
	for (i = 0; i < c->ntenants; i++)
		if (load_tenant_env(&p, &c->tenants[i], use_environ) == -1)
			goto fail;
	for (i = 0; i < c->ntenants; i++)
		if (setting_tokens(&p, &c->tenants[i]) == -1)
			goto fail;
	for (i = 0; i < c->ntokens; i++)
		c->tokens[i].tenant = &c->tenants[c->tokens[i].tenant_index];
	for (i = 0; i < c->ntenants; i++) {
		limit_inherit(c, &c->tenants[i]);
		if (!c->tenants[i].events_set)
			c->tenants[i].events = c->events;
	}
	if (check(&p) == -1)
		goto fail;
	/* Relative to the configuration, as an include is. */
	p.file = c->path;
	if (c->tokens_file[0] != '\0')
		c->store = tokstore_new(a, include_path(&p, c->tokens_file));
	return c;
fail:
	arena_free(a);
	return NULL;
}

void
conf_free(struct conf *c)
{
	if (c != NULL) {
		tokstore_free(c->store);
		arena_free(c->arena);
	}
}

void
conf_dump(const struct conf *c, FILE *fp)
{
	const struct tenant *t;
	size_t i, j, ntok;

	for (i = 0; i < nsettings; i++)
		setting_dump(&settings[i], c, fp);
	for (i = 0; i < nlimit_settings; i++)
		setting_dump(&limit_settings[i], &c->limit, fp);
	for (i = 0; i < c->ntenants; i++) {
		t = &c->tenants[i];
		for (j = 0, ntok = 0; j < c->ntokens; j++)
			ntok += c->tokens[j].tenant == t;
		fprintf(fp, "\n[tenant %s]\n# %zu token(s)\n", t->name, ntok);
		if (t->env_file != NULL)
			fprintf(fp, "env_file = %s\n", t->env_file);
		if (t->events_set)
			fprintf(fp, "events = %s\n", events_modes[t->events]);
		for (j = 0; j < nlimit_settings; j++)
			if (t->limit_set & (1u << j))
				setting_dump(&limit_settings[j], &t->limit, fp);
		for (j = 0; j < t->nenv; j++)
			fprintf(fp, "%s = %s\n", t->env[j].key,
			    strstr(t->env[j].key, "SECRET") ||
				    strstr(t->env[j].key, "PASSWORD")
				? "(hidden)"
				: t->env[j].val);
	}
}

enum events_mode
tenant_events(const struct tenant *t)
{
	switch (t->events) {
	case EVM_AMI:
	case EVM_ARI:
	case EVM_ESL:
		return (enum events_mode)t->events;
	case EVM_AUTO:
		if (tenant_getbool(t, "ARI_ENABLED"))
			return EVM_ARI;
		return tenant_has_prefix(t, "FUSIONPBX_") ? EVM_ESL : EVM_AMI;
	default:
		return EVM_OFF;
	}
}

int
conf_has_events(const struct conf *c)
{
	size_t i;

	for (i = 0; i < c->ntenants; i++)
		if (tenant_events(&c->tenants[i]) != EVM_OFF)
			return 1;
	return 0;
}
