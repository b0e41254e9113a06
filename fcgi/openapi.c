/*
 * The OpenAPI 3.1 description of every dialect, generated from the
 * command tables so that it cannot drift from what is served (see
 * dispatch.h, openapi_write()).  The tables say each command's methods,
 * scope and parameters; a dialect's struct dialect_doc says what only
 * the dialect knows: its path, how it names the command, how it
 * authenticates and its success statuses.
 *
 * A ?cmd=/action dialect has one path: one operation per method, the
 * commands a oneOf of objects keyed by a const (the query string as a
 * form-exploded object parameter, or the JSON body); the parameters on
 * the other side are an anyOf titled by command.  A REST dialect has one
 * path item per .path template and one operation per method, named
 * "<dialect>.<command>" (".<method>" after the first method).
 */
#include <stdio.h>
#include <string.h>

#include "dispatch.h"
#include "json.h"
#include "req.h"
#include "version.h"

static const struct {
	unsigned bit;
	const char *name;
} methods[] = {
	{ M_GET, "get" },
	{ M_PUT, "put" },
	{ M_POST, "post" },
	{ M_DELETE, "delete" },
	{ M_OPTIONS, "options" },
	{ M_HEAD, "head" },
	{ M_PATCH, "patch" },
};

/* The methods documented for c: ANY is GET and POST (a JSON body: POST). */
static unsigned
doc_methods(const struct dialect *d, const struct cmd *c)
{
	if (c->methods != M_ANY)
		return c->methods & ~M_OTHER;
	return d->doc->key_src == SRC_BODY ? M_POST : M_GET | M_POST;
}

/* Returns 1 if parameter p is written on side src (ANY: the query). */
static int
on_side(const struct param *p, enum src src)
{
	if (p->src == SRC_ANY)
		return src == SRC_QUERY;
	return p->src == src;
}

/* Writes "key": "text" if text is not NULL. */
static void
kv_str(struct jw *w, const char *key, const char *text)
{
	if (text == NULL)
		return;
	jw_keyz(w, key);
	jw_strz(w, text);
}

/* Writes the description of p: what the schema cannot say. */
static void
param_text(struct jw *w, const struct param *p)
{
	char s[256];
	int n = 0;

	s[0] = '\0';
	if (p->src == SRC_ANY)
		n += snprintf(s + n, sizeof(s) - (size_t)n,
		    "May be given in the body instead. ");
	if (p->flags & P_NOCTL)
		n += snprintf(
		    s + n, sizeof(s) - (size_t)n, "No CR, LF or NUL. ");
	if (p->flags & P_UTF8)
		n += snprintf(s + n, sizeof(s) - (size_t)n, "UTF-8. ");
	if (p->flags & P_ICASE)
		n += snprintf(
		    s + n, sizeof(s) - (size_t)n, "Values without case. ");
	if (p->valid != NULL)
		n += snprintf(
		    s + n, sizeof(s) - (size_t)n, "Checked by a validator. ");
	if (p->alias != NULL)
		n += snprintf(s + n, sizeof(s) - (size_t)n,
		    "If empty, '%.40s' is used. ", p->alias);
	if (n > 0 && (size_t)n < sizeof(s)) {
		s[n - 1] = '\0';
		kv_str(w, "description", s);
	}
}

/* Writes the default of p, a number if p is an integer and d is one. */
static void
param_default(struct jw *w, const struct param *p)
{
	const char *s = p->def;
	size_t i = *s == '-' ? 1 : 0;

	jw_keyz(w, "default");
	if (p->type == PT_INT && s[i] != '\0' &&
	    strspn(s + i, "0123456789") == strlen(s + i))
		jw_number(w, s, strlen(s));
	else
		jw_strz(w, s);
}

/* Writes the JSON Schema of one value of p. */
static void
value_schema(struct jw *w, const struct param *p)
{
	const char *const *v;

	jw_obj_open(w);
	jw_keyz(w, "type");
	jw_strz(w, p->type == PT_INT ? "integer" : "string");
	if (p->type == PT_STR && p->maxlen > 0) {
		jw_keyz(w, "maxLength");
		jw_int(w, (int64_t)p->maxlen);
	}
	if (p->type == PT_STR && (p->flags & (P_REQUIRED | P_NONEMPTY))) {
		jw_keyz(w, "minLength");
		jw_int(w, 1);
	}
	if (p->values != NULL && !(p->flags & P_ICASE)) {
		jw_keyz(w, "enum");
		jw_arr_open(w);
		for (v = p->values; *v != NULL; v++)
			jw_strz(w, *v);
		jw_arr_close(w);
	}
	if (p->def != NULL)
		param_default(w, p);
	jw_obj_close(w);
}

/* Writes the JSON Schema of p: a value, or a list of them (P_LIST). */
static void
param_schema(struct jw *w, const struct param *p)
{
	if (!(p->flags & P_LIST)) {
		value_schema(w, p);
		return;
	}
	jw_obj_open(w);
	jw_keyz(w, "anyOf");
	jw_arr_open(w);
	value_schema(w, p);
	jw_obj_open(w);
	jw_keyz(w, "type");
	jw_strz(w, "array");
	jw_keyz(w, "items");
	value_schema(w, p);
	jw_obj_close(w);
	jw_arr_close(w);
	jw_obj_close(w);
}

/* Writes the names of c's required parameters on side src. */
static void
required_list(struct jw *w, const struct cmd *c, enum src src, const char *key)
{
	size_t i;

	jw_keyz(w, "required");
	jw_arr_open(w);
	if (key != NULL)
		jw_strz(w, key);
	for (i = 0; i < c->nparams; i++)
		if (on_side(&c->params[i], src) &&
		    (c->params[i].flags & P_REQUIRED))
			jw_strz(w, c->params[i].name);
	jw_arr_close(w);
}

/* Returns the number of c's parameters on side src. */
static size_t
side_count(const struct cmd *c, enum src src)
{
	size_t i, n = 0;

	for (i = 0; i < c->nparams; i++)
		n += on_side(&c->params[i], src);
	return n;
}

/* Writes "description": the scopes c needs, if any. */
static void
scope_text(struct jw *w, const struct cmd *c)
{
	static const char head[] = "Token scopes needed:";
	char s[128];
	size_t i, n = sizeof(head) - 1, k;

	if (c->scope == 0)
		return;
	memcpy(s, head, n);
	for (i = 0; i < nscope_names; i++) {
		k = strlen(scope_names[i].name);
		if (!(c->scope & scope_names[i].bit) || n + 1 + k >= sizeof(s))
			continue;
		s[n++] = ' ';
		memcpy(s + n, scope_names[i].name, k);
		n += k;
	}
	jw_keyz(w, "description");
	jw_str(w, s, n);
}

/*
 * Writes c's parameters on side src as an object schema; with key, the
 * property key is the const c->name (the command's name) and the
 * description names the scopes c needs.
 */
static void
object_schema(struct jw *w, const struct cmd *c, enum src src, const char *key)
{
	const struct param *p;
	size_t i;

	jw_obj_open(w);
	kv_str(w, "title", c->name);
	kv_str(w, "type", "object");
	if (key != NULL)
		scope_text(w, c);
	jw_keyz(w, "properties");
	jw_obj_open(w);
	if (key != NULL) {
		jw_keyz(w, key);
		jw_obj_open(w);
		kv_str(w, "const", c->name);
		jw_obj_close(w);
	}
	for (i = 0; i < c->nparams; i++) {
		p = &c->params[i];
		if (!on_side(p, src))
			continue;
		jw_keyz(w, p->name);
		param_schema(w, p);
	}
	jw_obj_close(w);
	required_list(w, c, src, key);
	jw_obj_close(w);
}

/* Writes the security of c: any of d's schemes, with c's scopes. */
static void
security(struct jw *w, const struct dialect *d, const struct cmd *c)
{
	const struct doc_auth *const *a;
	size_t i;

	jw_keyz(w, "security");
	jw_arr_open(w);
	for (a = d->doc->auth; a != NULL && *a != NULL; a++) {
		jw_obj_open(w);
		jw_keyz(w, (*a)->id);
		jw_arr_open(w);
		for (i = 0; c != NULL && i < nscope_names; i++)
			if (c->scope & scope_names[i].bit)
				jw_strz(w, scope_names[i].name);
		jw_arr_close(w);
		jw_obj_close(w);
	}
	jw_arr_close(w);
}

/* Writes the responses of c (NULL: of a one-path operation) to method m. */
static void
responses(
    struct jw *w, const struct dialect *d, const struct cmd *c, unsigned m)
{
	char code[16];
	int ok = c != NULL && d->doc->ok != NULL ? d->doc->ok(c) : 200;

	snprintf(code, sizeof(code), "%d", ok);
	jw_keyz(w, "responses");
	jw_obj_open(w);
	jw_keyz(w, code);
	jw_obj_open(w);
	kv_str(w, "description", "Success.");
	if (ok != 204 && m != M_HEAD) {
		jw_keyz(w, "content");
		jw_obj_open(w);
		jw_keyz(w, "*/*");
		jw_obj_open(w);
		jw_obj_close(w);
		jw_obj_close(w);
	}
	jw_obj_close(w);
	jw_keyz(w, "default");
	jw_obj_open(w);
	kv_str(w, "description", "An error, in the dialect's shape.");
	jw_obj_close(w);
	jw_obj_close(w);
}

/* Writes the media type of d's bodies with the schema to come. */
static void
body_open(struct jw *w, const struct dialect *d, int required)
{
	jw_keyz(w, "requestBody");
	jw_obj_open(w);
	jw_keyz(w, "required");
	jw_bool(w, required);
	jw_keyz(w, "content");
	jw_obj_open(w);
	jw_keyz(w,
	    d->body_kinds & BODY_FORM ? "application/x-www-form-urlencoded"
				      : "application/json");
	jw_obj_open(w);
	jw_keyz(w, "schema");
}

static void
body_close(struct jw *w)
{
	jw_obj_close(w);
	jw_obj_close(w);
	jw_obj_close(w);
}

/* Writes one parameter object: p, or a path segment named name. */
static void
param_object(struct jw *w, const struct param *p, const char *name, size_t n)
{
	jw_obj_open(w);
	jw_keyz(w, "name");
	if (p != NULL)
		jw_strz(w, p->name);
	else
		jw_str(w, name, n);
	kv_str(w, "in", p == NULL || p->src == SRC_PATH ? "path" : "query");
	jw_keyz(w, "required");
	jw_bool(w, p == NULL || p->src == SRC_PATH || (p->flags & P_REQUIRED));
	if (p != NULL)
		param_text(w, p);
	jw_keyz(w, "schema");
	if (p != NULL)
		param_schema(w, p);
	else {
		jw_obj_open(w);
		kv_str(w, "type", "string");
		jw_obj_close(w);
	}
	jw_obj_close(w);
}

/* Returns c's path parameter called name (n bytes), or NULL. */
static const struct param *
path_param(const struct cmd *c, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < c->nparams; i++)
		if (c->params[i].src == SRC_PATH &&
		    strlen(c->params[i].name) == n &&
		    memcmp(c->params[i].name, name, n) == 0)
			return &c->params[i];
	return NULL;
}

/* Writes the parameters of REST row c: its template's, then the query. */
static void
rest_params(struct jw *w, const struct cmd *c)
{
	const char *s, *e;
	size_t i;

	jw_keyz(w, "parameters");
	jw_arr_open(w);
	for (s = strchr(c->path, '{'); s != NULL; s = strchr(e, '{')) {
		if ((e = strchr(++s, '}')) == NULL)
			break;
		param_object(
		    w, path_param(c, s, (size_t)(e - s)), s, (size_t)(e - s));
	}
	for (i = 0; i < c->nparams; i++)
		if (on_side(&c->params[i], SRC_QUERY))
			param_object(w, &c->params[i], NULL, 0);
	jw_arr_close(w);
}

/* Writes the operationId of c for method m: ".<method>" after the first. */
static void
operation_id(struct jw *w, const struct dialect *d, const struct cmd *c,
    unsigned m, const char *mname)
{
	char id[160];
	unsigned all = doc_methods(d, c);

	if ((all & (m - 1)) == 0)
		snprintf(id, sizeof(id), "%s.%s", d->name, c->name);
	else
		snprintf(id, sizeof(id), "%s.%s.%s", d->name, c->name, mname);
	jw_keyz(w, "operationId");
	jw_strz(w, id);
}

/* Writes the tags of an operation of d. */
static void
tags(struct jw *w, const struct dialect *d)
{
	jw_keyz(w, "tags");
	jw_arr_open(w);
	jw_strz(w, d->name);
	jw_arr_close(w);
}

/* Writes the operation of REST row c for method m. */
static void
rest_operation(struct jw *w, const struct dialect *d, const struct cmd *c,
    unsigned m, const char *mname)
{
	jw_keyz(w, mname);
	jw_obj_open(w);
	operation_id(w, d, c, m, mname);
	tags(w, d);
	if (d->doc->summary != NULL)
		kv_str(w, "summary", d->doc->summary(c));
	security(w, d, c);
	rest_params(w, c);
	if (side_count(c, SRC_BODY) > 0 && m != M_GET && m != M_HEAD) {
		body_open(w, d, 0);
		object_schema(w, c, SRC_BODY, NULL);
		body_close(w);
	}
	responses(w, d, c, m);
	jw_obj_close(w);
}

/* Writes the path servers of d (its other base paths), if any. */
static void
path_servers(struct jw *w, const struct dialect *d)
{
	const char *const *s;

	if (d->doc->servers == NULL)
		return;
	jw_keyz(w, "servers");
	jw_arr_open(w);
	for (s = d->doc->servers; *s != NULL; s++) {
		jw_obj_open(w);
		kv_str(w, "url", *s);
		jw_obj_close(w);
	}
	jw_arr_close(w);
}

/* Writes the path item of template path: every row of d serving it. */
static void
rest_item(struct jw *w, const struct dialect *d, const char *path)
{
	const struct family *const *f;
	const struct cmd *c;
	char key[256];
	size_t i, j;

	snprintf(key, sizeof(key), "%s%s",
	    d->doc->prefix != NULL ? d->doc->prefix : "", path);
	jw_keyz(w, key);
	jw_obj_open(w);
	path_servers(w, d);
	for (j = 0; j < nitems(methods); j++)
		for (f = d->families; *f != NULL; f++)
			for (i = 0; i < (*f)->ncmds; i++) {
				c = &(*f)->cmds[i];
				if (c->path != NULL &&
				    strcmp(c->path, path) == 0 &&
				    (doc_methods(d, c) & methods[j].bit))
					rest_operation(w, d, c, methods[j].bit,
					    methods[j].name);
			}
	jw_obj_close(w);
}

/* Returns 1 if a row of d before c (in d's order) has c's path. */
static int
path_seen(const struct dialect *d, const struct cmd *c)
{
	const struct family *const *f;
	size_t i;

	for (f = d->families; *f != NULL; f++)
		for (i = 0; i < (*f)->ncmds; i++) {
			if (&(*f)->cmds[i] == c)
				return 0;
			if ((*f)->cmds[i].path != NULL &&
			    strcmp((*f)->cmds[i].path, c->path) == 0)
				return 1;
		}
	return 0;
}

/* Writes the path items of REST dialect d, one per template. */
static void
rest_items(struct jw *w, const struct dialect *d)
{
	const struct family *const *f;
	const struct cmd *c;
	size_t i;

	for (f = d->families; *f != NULL; f++)
		for (i = 0; i < (*f)->ncmds; i++) {
			c = &(*f)->cmds[i];
			if (c->path != NULL && !path_seen(d, c))
				rest_item(w, d, c->path);
		}
}

/* Returns the methods of one-path dialect d: those of any of its rows. */
static unsigned
one_methods(const struct dialect *d)
{
	const struct family *const *f;
	unsigned m = 0;
	size_t i;

	for (f = d->families; *f != NULL; f++)
		for (i = 0; i < (*f)->ncmds; i++)
			m |= doc_methods(d, &(*f)->cmds[i]);
	return m;
}

/*
 * Writes the commands of d that method m reaches as the schema of side
 * src: a oneOf keyed by d's key if the key is on that side, else an
 * anyOf of those commands with parameters there.  Returns how many.
 */
static size_t
commands_schema(struct jw *w, const struct dialect *d, unsigned m, enum src src)
{
	const char *key = d->doc->key_src == src ? d->doc->key : NULL;
	const struct family *const *f;
	const struct cmd *c;
	size_t i, n = 0;

	jw_obj_open(w);
	jw_keyz(w, key != NULL ? "oneOf" : "anyOf");
	jw_arr_open(w);
	for (f = d->families; *f != NULL; f++)
		for (i = 0; i < (*f)->ncmds; i++) {
			c = &(*f)->cmds[i];
			if (!(doc_methods(d, c) & m) ||
			    (key == NULL && side_count(c, src) == 0))
				continue;
			object_schema(w, c, src, key);
			n++;
		}
	jw_arr_close(w);
	jw_obj_close(w);
	return n;
}

/* Returns 1 if a command of d that m reaches has parameters on src. */
static int
side_used(const struct dialect *d, unsigned m, enum src src)
{
	const struct family *const *f;
	size_t i;

	if (d->doc->key_src == src)
		return 1;
	for (f = d->families; *f != NULL; f++)
		for (i = 0; i < (*f)->ncmds; i++)
			if ((doc_methods(d, &(*f)->cmds[i]) & m) &&
			    side_count(&(*f)->cmds[i], src) > 0)
				return 1;
	return 0;
}

/* Writes the query of a one-path operation as a form object. */
static void
one_query(struct jw *w, const struct dialect *d, unsigned m)
{
	jw_keyz(w, "parameters");
	jw_arr_open(w);
	if (side_used(d, m, SRC_QUERY)) {
		jw_obj_open(w);
		kv_str(w, "name", d->doc->key);
		kv_str(w, "in", "query");
		jw_keyz(w, "required");
		jw_bool(w, d->doc->key_src == SRC_QUERY);
		kv_str(w, "style", "form");
		jw_keyz(w, "explode");
		jw_bool(w, 1);
		jw_keyz(w, "schema");
		commands_schema(w, d, m, SRC_QUERY);
		jw_obj_close(w);
	}
	jw_arr_close(w);
}

/* Writes the operation of one-path dialect d for method m. */
static void
one_operation(
    struct jw *w, const struct dialect *d, unsigned m, const char *mname)
{
	char id[80];

	jw_keyz(w, mname);
	jw_obj_open(w);
	snprintf(id, sizeof(id), "%s.%s", d->name, mname);
	kv_str(w, "operationId", id);
	tags(w, d);
	kv_str(w, "description", d->doc->text);
	security(w, d, NULL);
	one_query(w, d, m);
	if ((m & (M_POST | M_PUT | M_PATCH)) && side_used(d, m, SRC_BODY)) {
		body_open(w, d, d->doc->key_src == SRC_BODY);
		commands_schema(w, d, m, SRC_BODY);
		body_close(w);
	}
	responses(w, d, NULL, m);
	jw_obj_close(w);
}

/* Writes the path item of one-path dialect d. */
static void
one_item(struct jw *w, const struct dialect *d)
{
	unsigned m = one_methods(d);
	size_t j;

	jw_keyz(w, d->doc->path);
	jw_obj_open(w);
	for (j = 0; j < nitems(methods); j++)
		if (m & methods[j].bit)
			one_operation(w, d, methods[j].bit, methods[j].name);
	jw_obj_close(w);
}

/* Returns 1 if a dialect before d has the scheme a (by id). */
static int
scheme_seen(const struct dialect *const *d, const struct doc_auth *a)
{
	const struct dialect *const *e;
	const struct doc_auth *const *b;

	for (e = dialects; e != d; e++)
		for (b = (*e)->doc != NULL ? (*e)->doc->auth : NULL;
		     b != NULL && *b != NULL; b++)
			if (strcmp((*b)->id, a->id) == 0)
				return 1;
	return 0;
}

/* Writes one security scheme object. */
static void
scheme(struct jw *w, const struct doc_auth *a)
{
	jw_keyz(w, a->id);
	jw_obj_open(w);
	kv_str(w, "type", a->type);
	kv_str(w, "in", a->in);
	kv_str(w, "name", a->param);
	kv_str(w, "scheme", a->scheme);
	kv_str(w, "description", a->text);
	jw_obj_close(w);
}

/* Writes components: every dialect's security schemes, once each. */
static void
components(struct jw *w)
{
	const struct dialect *const *d;
	const struct doc_auth *const *a;

	jw_keyz(w, "components");
	jw_obj_open(w);
	jw_keyz(w, "securitySchemes");
	jw_obj_open(w);
	for (d = dialects; *d != NULL; d++)
		for (a = (*d)->doc != NULL ? (*d)->doc->auth : NULL;
		     a != NULL && *a != NULL; a++)
			if (!scheme_seen(d, *a))
				scheme(w, *a);
	jw_obj_close(w);
	jw_obj_close(w);
}

/* Writes info and the tags, one per documented dialect. */
static void
info(struct jw *w)
{
	const struct dialect *const *d;

	kv_str(w, "openapi", "3.1.0");
	jw_keyz(w, "info");
	jw_obj_open(w);
	kv_str(w, "title", "pbxapi");
	kv_str(w, "version", PBXAPI_VERSION);
	kv_str(w, "summary", "Every dialect pbxapi serves, from its tables.");
	jw_obj_close(w);
	jw_keyz(w, "tags");
	jw_arr_open(w);
	for (d = dialects; *d != NULL; d++)
		if ((*d)->doc != NULL) {
			jw_obj_open(w);
			kv_str(w, "name", (*d)->name);
			kv_str(w, "description", (*d)->doc->text);
			jw_obj_close(w);
		}
	jw_arr_close(w);
}

int
openapi_write(struct jw *w)
{
	const struct dialect *const *d;

	jw_obj_open(w);
	info(w);
	jw_keyz(w, "paths");
	jw_obj_open(w);
	for (d = dialects; *d != NULL; d++) {
		if ((*d)->doc == NULL)
			continue;
		if ((*d)->doc->path != NULL)
			one_item(w, *d);
		else
			rest_items(w, *d);
	}
	jw_obj_close(w);
	components(w);
	jw_obj_close(w);
	return w->error ? -1 : 0;
}
