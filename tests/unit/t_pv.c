/*
 * PHP values (pv.c): the (int) cast table of elastix-api.md §1.3, empty(),
 * key normalisation and order, and json_encode's list/object rules (§1.4).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "json.h"
#include "pv.h"
#include "tap.h"
#include "testlib.h"

static struct arena *A;

/* Returns json_encode(v) (JW_PHP) as an arena string. */
#define enc(v) tl_json(A, (v), JW_PHP)

static void
iv(const char *s, int64_t want)
{
	char name[128];
	size_t i, o;

	/* The name is one TAP line: control bytes as '?'. */
	o = (size_t)snprintf(name, sizeof(name), "(int) \"");
	for (i = 0; s[i] != '\0' && o < sizeof(name) - 2; i++)
		name[o++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	name[o++] = '"';
	name[o] = '\0';
	is_int(php_intval(s, strlen(s)), want, name);
}

static void
intval_table(void)
{
	iv(" 2", 2);
	iv("2abc", 2);
	iv("1e1", 10);
	iv("1.9", 1);
	iv("-1.9", -1);
	iv("0x10", 0);
	iv("99999999999999999999", INT64_MAX);
	iv("-99999999999999999999", INT64_MIN);
	iv("1e100", INT64_MAX);
	iv(" \t\n12", 12);
	iv("+5", 5);
	iv("--5", 0);
	iv("", 0);
	iv(".5", 0);
	iv("5.", 5);
	iv("1e", 1);
	iv("abc", 0);
	iv("\xd9\xa1\xd9\xa2", 0); /* Arabic-Indic digits one, two */
}

static void
intval_more(void)
{
	char big[700];

	iv("\v\f\r7", 7);
	iv("-0", 0);
	iv("9223372036854775807", INT64_MAX);
	iv("9223372036854775808", INT64_MAX);
	iv("-9223372036854775808", INT64_MIN);
	iv("-1e100", INT64_MIN);
	iv("1e1000", 0); /* infinite: zend_dval_to_lval_cap gives 0 */
	iv("1.5e3", 1500);
	iv("1e-1", 0);
	iv("-.5e1", -5);
	iv("12 ", 12);
	iv("007", 7);
	iv("1e+2", 100);
	iv("1e+", 1);
	iv("+", 0);
	iv("-", 0);
	iv(".", 0);
	iv("+.e1", 0);
	is_int(php_intval("42", 1), 4, "(int) respects the length");
	is_int(php_intval("5\09", 3), 5, "(int) stops at a NUL");
	/* A numeric prefix longer than any buffer: 1 000...0 e-600 is 1. */
	big[0] = '1';
	memset(big + 1, '0', 600);
	memcpy(big + 601, "e-600", 6);
	is_int(php_intval(big, strlen(big)), 1, "(int) of a 606-byte float");
	memset(big, '9', 650);
	is_int(php_intval(big, 650), INT64_MAX, "(int) of 650 nines");
}

static void
to_int(void)
{
	struct pv d = { .type = PV_DOUBLE };

	d.u.d = 1.9;
	is_int(pv_to_int(&d), 1, "(int) 1.9");
	d.u.d = -1.9;
	is_int(pv_to_int(&d), -1, "(int) -1.9");
	d.u.d = NAN;
	is_int(pv_to_int(&d), 0, "(int) NAN");
	d.u.d = INFINITY;
	is_int(pv_to_int(&d), 0, "(int) INF");
	/* PHP 8 casts out-of-range floats modulo 2^64 (zend_dval_to_lval). */
	d.u.d = 1e20;
	is_int(pv_to_int(&d), 7766279631452241920LL, "(int) 1e20 wraps");
	d.u.d = -1e20;
	is_int(pv_to_int(&d), -7766279631452241920LL, "(int) -1e20 wraps");
	d.u.d = 9223372036854775808.0;
	is_int(pv_to_int(&d), INT64_MIN, "(int) 2^63 wraps");
	d.u.d = 18446744073709551616.0;
	is_int(pv_to_int(&d), 0, "(int) 2^64 wraps to 0");
	d.u.d = -9223372036854775808.0;
	is_int(pv_to_int(&d), INT64_MIN, "(int) -2^63");
	is_int(pv_to_int(&(struct pv){ .type = PV_NULL }), 0, "(int) null");
	is_int(pv_to_int(&(struct pv){ .type = PV_BOOL, .u.b = 1 }), 1,
	    "(int) true");
	is_int(pv_to_int(pv_new_arr(A)), 0, "(int) []");
}

static void
empty(void)
{
	struct pv *arr = pv_new_arr(A);
	struct pv v;

	ok(pv_empty(NULL), "empty(absent)");
	v = pv_str("", 0);
	ok(pv_empty(&v), "empty('')");
	v = pv_str("0", 1);
	ok(pv_empty(&v), "empty('0')");
	v = pv_str("00", 2);
	ok(!pv_empty(&v), "!empty('00')");
	v = pv_str("0.0", 3);
	ok(!pv_empty(&v), "!empty('0.0')");
	v = pv_str(" ", 1);
	ok(!pv_empty(&v), "!empty(' ')");
	v = pv_int(0);
	ok(pv_empty(&v), "empty(0)");
	v = pv_null();
	ok(pv_empty(&v), "empty(null)");
	v = pv_bool(0);
	ok(pv_empty(&v), "empty(false)");
	ok(pv_empty(arr), "empty([])");
	pv_push(A, arr, pv_null());
	ok(!pv_empty(arr), "!empty([null])");
}

static void
to_str(void)
{
	struct pv v;
	size_t n;

	v = pv_int(-42);
	is_str(pv_to_str(A, &v, &n), "-42", "(string) -42");
	v = pv_bool(1);
	is_str(pv_to_str(A, &v, &n), "1", "(string) true");
	v = pv_bool(0);
	is_str(pv_to_str(A, &v, &n), "", "(string) false");
	v = pv_null();
	is_str(pv_to_str(A, &v, &n), "", "(string) null");
	is_str(pv_to_str(A, pv_new_arr(A), &n), "Array", "(string) []");
	v = pv_str("a\0b", 3);
	ok(pv_to_str(A, &v, &n) == v.u.str.s && n == 3,
	    "(string) of a string is the string, NUL and all");
}

static void
keys(void)
{
	struct pv *a = pv_new_arr(A);

	pv_set(A, a, "x", 1, pv_int(1));
	pv_set(A, a, "y", 1, pv_int(2));
	pv_set(A, a, "x", 1, pv_int(3));
	is_str(enc(a), "{\"x\":3,\"y\":2}", "overwrite keeps the position");
	is_int((long long)pv_count(a), 2, "count after overwrite");
	ok(pv_getz(a, "x") != NULL && pv_getz(a, "x")->u.i == 3, "pv_getz");
	ok(pv_getz(a, "z") == NULL, "pv_getz absent");
	ok(pv_getz(NULL, "x") == NULL, "pv_getz on NULL");
	a = pv_new_arr(A);
	pv_set(A, a, "100", 3, pv_str("a", 1));
	pv_push(A, a, pv_str("b", 1));
	is_str(enc(a), "{\"100\":\"a\",\"101\":\"b\"}",
	    "numeric-string key is an integer key");
	a = pv_new_arr(A);
	pv_set(A, a, "0", 1, pv_str("a", 1));
	pv_set(A, a, "1", 1, pv_str("b", 1));
	is_str(enc(a), "[\"a\",\"b\"]", "keys '0','1' make a list");
	a = pv_new_arr(A);
	pv_set(A, a, "1", 1, pv_str("b", 1));
	pv_set(A, a, "0", 1, pv_str("a", 1));
	is_str(enc(a), "{\"1\":\"b\",\"0\":\"a\"}", "keys 1,0 are an object");
	a = pv_new_arr(A);
	pv_set(A, a, "01", 2, pv_int(1));
	pv_push(A, a, pv_int(2));
	is_str(enc(a), "{\"01\":1,\"0\":2}", "'01' stays a string key");
	a = pv_new_arr(A);
	pv_set(A, a, "-0", 2, pv_int(1));
	pv_set(A, a, "-5", 2, pv_int(2));
	pv_push(A, a, pv_int(3));
	is_str(enc(a), "{\"-0\":1,\"-5\":2,\"0\":3}",
	    "'-0' is a string, '-5' an integer below next index");
	a = pv_new_arr(A);
	pv_set(A, a, "9223372036854775807", 19, pv_int(1));
	ok(pv_push(A, a, pv_int(2)) == NULL, "push after INT64_MAX fails");
	pv_set(A, a, "9223372036854775808", 19, pv_int(3));
	is_int((long long)pv_count(a), 2, "2^63 is a string key");
}

static void
push_and_lists(void)
{
	struct pv *a = pv_new_arr(A), *b;

	is_str(enc(a), "[]", "empty array is []");
	pv_push(A, a, pv_int(1));
	pv_push(A, a, pv_int(2));
	is_str(enc(a), "[1,2]", "pushed values make a list");
	pv_set(A, a, "5", 1, pv_int(3));
	pv_push(A, a, pv_int(4));
	is_str(enc(a), "{\"0\":1,\"1\":2,\"5\":3,\"6\":4}",
	    "push after 5 is 6; gaps make an object");
	b = pv_new_arr(A);
	pv_set(A, b, "k", 1, *pv_new_arr(A));
	pv_push(A, b, pv_null());
	pv_push(A, b, pv_bool(1));
	is_str(enc(b), "{\"k\":[],\"0\":null,\"1\":true}",
	    "nested empty array, null, true");
	a = pv_new_arr(A);
	pv_push(A, a, pv_str("x", 1));
	pv_unset(a, "0", 1);
	pv_push(A, a, pv_str("y", 1));
	is_str(enc(a), "{\"1\":\"y\"}", "next index survives unset");
}

/* Many keys (past the hash threshold), overwrites and unsets. */
static void
many(void)
{
	struct pv *a = pv_new_arr(A);
	char k[32];
	int i, good = 1;

	for (i = 0; i < 1000; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		pv_set(A, a, arena_strdup(A, k), strlen(k), pv_int(i));
	}
	for (i = 0; i < 1000; i += 2) {
		snprintf(k, sizeof(k), "k%d", i);
		pv_set(A, a, arena_strdup(A, k), strlen(k), pv_int(-i));
	}
	for (i = 0; i < 1000; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		if (pv_get(a, k, strlen(k)) == NULL ||
		    pv_get(a, k, strlen(k))->u.i != (i % 2 ? i : -i))
			good = 0;
	}
	ok(good && pv_count(a) == 1000, "1000 keys, half overwritten");
	ok(strcmp(a->u.arr->head->key, "k0") == 0 &&
		strcmp(a->u.arr->tail->key, "k999") == 0,
	    "insertion order kept");
	for (i = 0; i < 1000; i += 3) {
		snprintf(k, sizeof(k), "k%d", i);
		pv_unset(a, k, strlen(k));
	}
	is_int((long long)pv_count(a), 1000 - 334, "unset every third key");
	ok(pv_getz(a, "k3") == NULL && pv_getz(a, "k4") != NULL,
	    "unset keys are gone, others stay");
}

/* Set/unset cycles must not fill the hash index with tombstones. */
static void
churn(void)
{
	struct pv *a = pv_new_arr(A);
	char k[32];
	int i;

	for (i = 0; i < 20; i++) {
		snprintf(k, sizeof(k), "base%d", i);
		pv_set(A, a, arena_strdup(A, k), strlen(k), pv_int(i));
	}
	for (i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "t%d", i);
		pv_set(A, a, arena_strdup(A, k), strlen(k), pv_int(i));
		pv_unset(a, k, strlen(k));
	}
	is_int((long long)pv_count(a), 20, "5000 set/unset cycles");
	ok(pv_getz(a, "base7") != NULL && pv_getz(a, "t9") == NULL,
	    "lookups after churn");
}

int
main(void)
{
	A = arena_new();
	intval_table();
	intval_more();
	to_int();
	empty();
	to_str();
	keys();
	push_and_lists();
	many();
	churn();
	arena_free(A);
	return done_testing();
}
