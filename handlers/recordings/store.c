/*
 * What the record stores share (see rec_store.h).
 */
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "rec_store.h"
#include "req.h"
#include "str.h"

#define COMPONENT_MAX 255 /* NAME_MAX of Linux */
#define LIKE_ESC      '!'

const char *
rec_like(struct arena *a, const char *s, int wild)
{
	char *out = arena_alloc(a, 2 * strlen(s) + 1), *o = out;

	for (; *s != '\0'; s++) {
		if (*s == '_' || *s == LIKE_ESC || (*s == '%' && !wild))
			*o++ = LIKE_ESC;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* ---- the statement builder ---- */

static void
sql_free(void *b)
{
	buf_free(b);
}

void
rec_q_init(
    struct rec_q *q, struct arena *a, enum rec_q_style style, const char *sql)
{
	memset(q, 0, sizeof(*q));
	q->a = a;
	q->style = style;
	q->sql = arena_zalloc(a, sizeof(*q->sql));
	buf_init(q->sql, REC_Q_MAX);
	arena_cleanup(a, sql_free, q->sql);
	buf_adds(q->sql, sql);
}

void
rec_q_sql(struct rec_q *q, const char *text)
{
	buf_adds(q->sql, text);
}

/* Binds v; with mark, appends its placeholder. */
static void
bind(struct rec_q *q, struct rec_qv v, int mark)
{
	if (q->n == REC_Q_VALS) {
		q->overflow = 1;
		return;
	}
	q->v[q->n++] = v;
	if (!mark)
		return;
	if (q->style == REC_Q_PG)
		buf_printf(q->sql, "$%zu", q->n);
	else
		buf_addc(q->sql, '?');
}

void
rec_q_str(struct rec_q *q, const char *s)
{
	bind(q, (struct rec_qv){ .s = s }, 1);
}

void
rec_q_int(struct rec_q *q, long long i)
{
	bind(q, (struct rec_qv){ .i = i, .is_int = 1 }, 1);
}

void
rec_q_val(struct rec_q *q, const char *s)
{
	bind(q, (struct rec_qv){ .s = s }, 0);
}

void
rec_q_ival(struct rec_q *q, long long i)
{
	bind(q, (struct rec_qv){ .i = i, .is_int = 1 }, 0);
}

void
rec_q_page(
    struct rec_q *q, const char *order, long long limit, long long offset)
{
	buf_adds(q->sql, order);
	buf_adds(q->sql, " LIMIT ");
	rec_q_int(q, limit);
	buf_adds(q->sql, " OFFSET ");
	rec_q_int(q, offset);
}

void
rec_q_cond(struct rec_q *q, const char *frag, const char *v)
{
	buf_adds(q->sql, " AND (");
	for (; *frag != '\0'; frag++) {
		if (*frag == '?')
			rec_q_str(q, v);
		else if (*frag == '~')
			rec_q_str(q, rec_like(q->a, v, 0));
		else
			buf_addc(q->sql, *frag);
	}
	buf_addc(q->sql, ')');
}

/* caller / callee: equality, or LIKE when the value holds a "%". */
static void
number(struct rec_q *q, const char *column, const char *v)
{
	buf_printf(q->sql, " AND (%s ", column);
	if (strchr(v, '%') == NULL) {
		buf_adds(q->sql, "= ");
		rec_q_str(q, v);
	} else {
		buf_adds(q->sql, "LIKE ");
		rec_q_str(q, rec_like(q->a, v, 1));
		buf_adds(q->sql, " ESCAPE '!'");
	}
	buf_addc(q->sql, ')');
}

/* The key and value filter: "?" binds the key, the next the value. */
static void
keyvalue(struct rec_q *q, const char *frag, const char *k, const char *v)
{
	int nth = 0;

	buf_adds(q->sql, " AND (");
	for (; *frag != '\0'; frag++)
		if (*frag == '?')
			rec_q_str(q, nth++ == 0 ? k : v);
		else
			buf_addc(q->sql, *frag);
	buf_addc(q->sql, ')');
}

/* Adds the filter of value v as sf says.  Returns E_OK or r's 501. */
static enum err
one(struct req *r, struct rec_q *q, const struct rec_sql *s,
    const struct rec_sql_filter *sf, const char *name, const char *v)
{
	if (v == NULL)
		return E_OK;
	if (sf->frag == NULL)
		return req_error(r, E_NOTSUP,
		    "the %s store cannot filter on '%s': %s", s->store, name,
		    sf->why);
	if (sf == &s->callee || sf == &s->caller)
		number(q, sf->frag, v);
	else
		rec_q_cond(q, sf->frag, v);
	return E_OK;
}

enum err
rec_q_filters(struct req *r, struct rec_q *q, const struct rec_sql *s,
    const struct rec_filter *f)
{
	enum err e = E_OK;

	if (e == E_OK)
		e = one(r, q, s, &s->agent, "agent", f->agent);
	if (e == E_OK)
		e = one(r, q, s, &s->queue, "queue", f->queue);
	if (e == E_OK)
		e = one(r, q, s, &s->start, "start", f->start);
	if (e == E_OK)
		e = one(r, q, s, &s->end, "end", f->end);
	if (e == E_OK)
		e = one(r, q, s, &s->callee, "callee", f->callee);
	if (e == E_OK)
		e = one(r, q, s, &s->caller, "caller", f->caller);
	if (e == E_OK)
		e = one(r, q, s, &s->direction, "direction", f->direction);
	if (e == E_OK)
		e = one(r, q, s, &s->qstatus, "queueCallStatus", f->qstatus);
	if (e != E_OK || f->key == NULL)
		return e;
	if (s->keyvalue.frag == NULL)
		return req_error(r, E_NOTSUP,
		    "the %s store cannot filter on attached data ('key', "
		    "'value'): %s",
		    s->store, s->keyvalue.why);
	keyvalue(q, s->keyvalue.frag, f->key, f->value);
	return E_OK;
}

const char *
rec_q_text(const struct rec_q *q)
{
	if (q->overflow || q->sql->overflow)
		return NULL;
	return buf_cstr(q->sql);
}

const char *const *
rec_q_pgvals(const struct rec_q *q)
{
	const char **v = arena_alloc(q->a, (q->n + 1) * sizeof(*v));
	size_t i;

	for (i = 0; i < q->n; i++)
		v[i] = q->v[i].is_int ? arena_printf(q->a, "%lld", q->v[i].i)
				      : q->v[i].s;
	return v;
}

/* "first tie" (rec_store.h). */
const char *
rec_pos_join(struct arena *a, const char *first, const char *tie)
{
	return arena_printf(a, "%s %s", first, tie);
}

/* Splits at the last space; 0 or -1 (rec_store.h). */
int
rec_pos_split(
    struct arena *a, const char *pos, const char **first, const char **tie)
{
	const char *sp = strrchr(pos, ' ');

	if (sp == NULL || sp == pos || sp[1] == '\0')
		return -1;
	*first = arena_strndup(a, pos, (size_t)(sp - pos));
	*tie = sp + 1;
	return 0;
}

/* 0 for one safe path component, else -1 (rec_store.h). */
int
rec_component_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > COMPONENT_MAX || strchr(s, '/') != NULL ||
	    strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return -1;
	return str_has_ctl(s, n) ? -1 : 0;
}

/*
 * The absolute path p with repeated and trailing slashes dropped ("/"
 * for the root directory), or NULL if p is not absolute, is too long, or
 * holds a "." or ".." component or a control byte.
 */
static const char *
normal(struct arena *a, const char *p)
{
	size_t n = strlen(p), len;
	char *out, *o;
	const char *c, *end;

	if (n == 0 || p[0] != '/' || n > REC_ROOT_MAX || str_has_ctl(p, n))
		return NULL;
	out = o = arena_alloc(a, n + 2);
	for (c = p; *c != '\0'; c = end) {
		c += strspn(c, "/");
		if (*c == '\0')
			break;
		end = c + strcspn(c, "/");
		len = (size_t)(end - c);
		if ((len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return NULL;
		*o++ = '/';
		memcpy(o, c, len);
		o += len;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
}

/* dir/name relative to root, 0 or -1 (rec_store.h). */
int
rec_path_below(struct arena *a, const char *root, const char *dir,
    const char *name, const char **rel)
{
	const char *r = normal(a, root), *d = normal(a, dir), *sub;
	size_t rl;

	if (r == NULL || d == NULL || rec_component_ok(name) == -1)
		return -1;
	rl = strcmp(r, "/") == 0 ? 0 : strlen(r);
	if (strncmp(d, r, rl) != 0 || (d[rl] != '/' && d[rl] != '\0'))
		return -1;
	sub = d[rl] == '\0' || d[rl + 1] == '\0' ? "" : d + rl + 1;
	*rel = *sub == '\0' ? arena_strdup(a, name)
			    : arena_printf(a, "%s/%s", sub, name);
	return strlen(*rel) > REC_ROOT_MAX ? -1 : 0;
}
