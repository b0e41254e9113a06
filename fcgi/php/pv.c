/*
 * PHP values (see pv.h).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "json.h"
#include "log.h"
#include "pv.h"

#define PV_HASH_AT 16

struct pv *
pv_new_arr(struct arena *a)
{
	struct pv *v = arena_alloc(a, sizeof(*v));

	v->type = PV_ARR;
	v->u.arr = arena_zalloc(a, sizeof(*v->u.arr));
	return v;
}

struct pv
pv_str(const char *s, size_t len)
{
	struct pv v = { .type = PV_STR };

	v.u.str.s = s;
	v.u.str.len = len;
	return v;
}

struct pv
pv_int(int64_t i)
{
	struct pv v = { .type = PV_INT };

	v.u.i = i;
	return v;
}

struct pv
pv_null(void)
{
	struct pv v = { .type = PV_NULL };

	return v;
}

struct pv
pv_bool(int b)
{
	struct pv v = { .type = PV_BOOL };

	v.u.b = b != 0;
	return v;
}

/*
 * ZEND_HANDLE_NUMERIC_STR: "0" or an optional '-' and a digit string
 * without leading zero, within int64 ("-0" stays a string).
 */
static int
numeric_key(const char *k, size_t n, int64_t *out)
{
	size_t i = 0;
	int neg = 0;
	uint64_t v = 0, lim;

	if (n == 0 || n > 20)
		return 0;
	if (k[0] == '-') {
		neg = 1;
		i = 1;
		if (n == 1)
			return 0;
	}
	if (k[i] == '0' && (n - i > 1 || neg))
		return 0;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (k[i] < '0' || k[i] > '9')
			return 0;
		if (v > (lim - (uint64_t)(k[i] - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(k[i] - '0');
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 1;
}

static uint64_t
key_hash(const char *k, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void
hash_insert(struct pv_arr *r, struct pv_ent *e)
{
	size_t i = key_hash(e->key, e->klen) & (r->hsize - 1);

	while (r->hash[i] != NULL)
		i = (i + 1) & (r->hsize - 1);
	r->hash[i] = e;
}

/* Refills the index from the list, dropping removed entries. */
static void
hash_refill(struct pv_arr *r)
{
	struct pv_ent *e;

	memset(r->hash, 0, r->hsize * sizeof(*r->hash));
	for (e = r->head; e != NULL; e = e->next)
		if (e->key != NULL)
			hash_insert(r, e);
}

/* (Re)builds the open-addressing index at twice the element count. */
static void
hash_build(struct arena *a, struct pv_arr *r)
{
	r->hsize = 64;
	while (r->hsize < r->n * 2)
		r->hsize *= 2;
	r->hash = arena_alloc(a, r->hsize * sizeof(*r->hash));
	hash_refill(r);
}

static struct pv_ent *
find(const struct pv_arr *r, const char *k, size_t n)
{
	struct pv_ent *e;
	size_t i;

	if (r->hash != NULL) {
		i = key_hash(k, n) & (r->hsize - 1);
		for (; (e = r->hash[i]) != NULL; i = (i + 1) & (r->hsize - 1))
			if (e->key != NULL && e->klen == n &&
			    memcmp(e->key, k, n) == 0)
				return e;
		return NULL;
	}
	for (e = r->head; e != NULL; e = e->next)
		if (e->key != NULL && e->klen == n && memcmp(e->key, k, n) == 0)
			return e;
	return NULL;
}

static struct pv *
append(struct arena *a, struct pv_arr *r, const char *k, size_t n, int is_int,
    int64_t ik, struct pv val)
{
	struct pv_ent *e = arena_zalloc(a, sizeof(*e));

	e->key = k;
	e->klen = n;
	e->is_int = is_int;
	e->ikey = ik;
	e->val = val;
	if (r->tail != NULL)
		r->tail->next = e;
	else
		r->head = e;
	r->tail = e;
	r->n++;
	if (is_int && ik >= r->next_index)
		r->next_index = ik == INT64_MAX ? ik : ik + 1;
	if (r->hash != NULL && r->n * 2 > r->hsize)
		hash_build(a, r);
	else if (r->hash != NULL)
		hash_insert(r, e);
	else if (r->n >= PV_HASH_AT)
		hash_build(a, r);
	return &e->val;
}

struct pv *
pv_set(struct arena *a, struct pv *arr, const char *key, size_t klen,
    struct pv val)
{
	struct pv_arr *r = arr->u.arr;
	struct pv_ent *e;
	int64_t ik = 0;
	int is_int;

	e = find(r, key, klen);
	if (e != NULL) {
		e->val = val;
		return &e->val;
	}
	is_int = numeric_key(key, klen, &ik);
	return append(a, r, key, klen, is_int, ik, val);
}

struct pv *
pv_push(struct arena *a, struct pv *arr, struct pv val)
{
	struct pv_arr *r = arr->u.arr;
	int64_t ik = r->next_index;
	char *k;

	k = arena_printf(a, "%" PRId64, ik);
	if (find(r, k, strlen(k)) != NULL) /* next_index saturated */
		return NULL;
	return append(a, r, k, strlen(k), 1, ik, val);
}

struct pv *
pv_get(const struct pv *arr, const char *key, size_t klen)
{
	struct pv_ent *e;

	if (arr == NULL || arr->type != PV_ARR)
		return NULL;
	e = find(arr->u.arr, key, klen);
	return e ? &e->val : NULL;
}

struct pv *
pv_getz(const struct pv *arr, const char *key)
{
	return pv_get(arr, key, strlen(key));
}

void
pv_unset(struct pv *arr, const char *key, size_t klen)
{
	struct pv_arr *r = arr->u.arr;
	struct pv_ent *e, *prev = NULL;

	for (e = r->head; e != NULL; prev = e, e = e->next) {
		if (e->key == NULL || e->klen != klen ||
		    memcmp(e->key, key, klen) != 0)
			continue;
		if (prev != NULL)
			prev->next = e->next;
		else
			r->head = e->next;
		if (r->tail == e)
			r->tail = prev;
		r->n--;
		e->key = NULL;
		/* Open addressing without tombstones: rebuild in place. */
		if (r->hash != NULL)
			hash_refill(r);
		return;
	}
}

size_t
pv_count(const struct pv *arr)
{
	if (arr == NULL || arr->type != PV_ARR)
		return 0;
	return arr->u.arr->n;
}

const char *
pv_to_str(struct arena *a, const struct pv *v, size_t *len)
{
	const char *s;

	switch (v->type) {
	case PV_STR:
		*len = v->u.str.len;
		return v->u.str.s;
	case PV_INT:
		s = arena_printf(a, "%" PRId64, v->u.i);
		break;
	case PV_DOUBLE: {
		char tmp[40];
		php_double_str(v->u.d, tmp, sizeof(tmp));
		s = arena_strdup(a, tmp);
		break;
	}
	case PV_BOOL:
		s = v->u.b ? "1" : "";
		break;
	case PV_ARR:
		s = "Array";
		break;
	case PV_NULL:
	default:
		s = "";
		break;
	}
	*len = strlen(s);
	return s;
}

/*
 * Finds the numeric prefix of PHP 8's is_numeric_string: leading
 * whitespace, a sign, digits, a fraction and an exponent.  Returns its
 * length from *start (0 if there are no digits); *is_float tells whether
 * it has a fraction or an exponent.
 */
static size_t
numeric_prefix(const char *s, size_t n, size_t *start, int *is_float)
{
	size_t i = 0, digits = 0, j;

	while (i < n && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')))
		i++;
	*start = i;
	*is_float = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	for (; i < n && isdigit((unsigned char)s[i]); i++)
		digits++;
	if (i < n && s[i] == '.') {
		for (j = i + 1; j < n && isdigit((unsigned char)s[j]); j++)
			digits++;
		if (digits > 0) {
			*is_float = 1;
			i = j;
		}
	}
	if (digits == 0)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		j = i + 1;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < n && isdigit((unsigned char)s[j])) {
			while (j < n && isdigit((unsigned char)s[j]))
				j++;
			i = j;
			*is_float = 1;
		}
	}
	return i - *start;
}

/* zend_dval_to_lval_cap: saturates, 0 for infinities and NaN. */
static int64_t
dval_to_lval_cap(double d)
{
	if (!isfinite(d))
		return 0;
	if (d >= 9223372036854775807.0)
		return INT64_MAX;
	if (d <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)d;
}

/* Converts a NUL-terminated numeric prefix as (int) does. */
static int64_t
prefix_to_int(const char *p, int is_float)
{
	long long v;

	if (!is_float) {
		errno = 0;
		v = strtoll(p, NULL, 10);
		if (errno == ERANGE)
			return p[0] == '-' ? INT64_MIN : INT64_MAX;
		return v;
	}
	return dval_to_lval_cap(strtod(p, NULL));
}

/*
 * PHP 8 (int) of a string: the longest numeric prefix; integers
 * saturate, a prefix with a fraction or exponent goes through double.
 */
int64_t
php_intval(const char *s, size_t n)
{
	char tmp[128], *p = tmp;
	size_t start, len;
	int is_float;
	int64_t v;

	len = numeric_prefix(s, n, &start, &is_float);
	if (len == 0)
		return 0;
	if (len >= sizeof(tmp) && (p = malloc(len + 1)) == NULL)
		fatalx("out of memory (numeric string of %zu bytes)", len);
	memcpy(p, s + start, len);
	p[len] = '\0';
	v = prefix_to_int(p, is_float);
	if (p != tmp)
		free(p);
	return v;
}

/*
 * zend_dval_to_lval: PHP 8 casts a float outside the int64 range modulo
 * 2^64 (1e20 gives 7766279631452241920); infinities and NaN give 0.
 */
static int64_t
dval_to_lval(double d)
{
	const double two64 = 18446744073709551616.0;
	double m;

	if (!isfinite(d))
		return 0;
	if (d >= -9223372036854775808.0 && d < 9223372036854775808.0)
		return (int64_t)d;
	m = fmod(d, two64); /* exact; an integer since |d| >= 2^63 */
	if (m < 0)
		m += two64;
	if (m >= two64)
		m = 0;
	return (int64_t)(uint64_t)m;
}

int64_t
pv_to_int(const struct pv *v)
{
	switch (v->type) {
	case PV_STR:
		return php_intval(v->u.str.s, v->u.str.len);
	case PV_INT:
		return v->u.i;
	case PV_DOUBLE:
		return dval_to_lval(v->u.d);
	case PV_BOOL:
		return v->u.b;
	case PV_ARR:
		return v->u.arr->n > 0;
	case PV_NULL:
	default:
		return 0;
	}
}

int
pv_empty(const struct pv *v)
{
	if (v == NULL)
		return 1;
	switch (v->type) {
	case PV_STR:
		return v->u.str.len == 0 ||
		    (v->u.str.len == 1 && v->u.str.s[0] == '0');
	case PV_INT:
		return v->u.i == 0;
	case PV_DOUBLE:
		return v->u.d == 0;
	case PV_BOOL:
		return !v->u.b;
	case PV_ARR:
		return v->u.arr->n == 0;
	case PV_NULL:
	default:
		return 1;
	}
}

/* Keys exactly 0..n-1 in order make a JSON list. */
static int
is_list(const struct pv_arr *r)
{
	const struct pv_ent *e;
	int64_t i = 0;

	for (e = r->head; e != NULL; e = e->next, i++)
		if (!e->is_int || e->ikey != i)
			return 0;
	return 1;
}

void
pv_encode(struct jw *w, const struct pv *v)
{
	const struct pv_ent *e;

	switch (v->type) {
	case PV_NULL:
		jw_null(w);
		break;
	case PV_BOOL:
		jw_bool(w, v->u.b);
		break;
	case PV_INT:
		jw_int(w, v->u.i);
		break;
	case PV_DOUBLE:
		jw_double(w, v->u.d);
		break;
	case PV_STR:
		jw_str(w, v->u.str.s, v->u.str.len);
		break;
	case PV_ARR:
		if (v->u.arr->n == 0 || is_list(v->u.arr)) {
			jw_arr_open(w);
			for (e = v->u.arr->head; e != NULL; e = e->next)
				pv_encode(w, &e->val);
			jw_arr_close(w);
			break;
		}
		jw_obj_open(w);
		for (e = v->u.arr->head; e != NULL; e = e->next) {
			jw_key(w, e->key, e->klen);
			pv_encode(w, &e->val);
		}
		jw_obj_close(w);
		break;
	}
}
