/*
 * PHP values.  The dialects that replace PHP applications reproduce how
 * PHP holds data: ordered arrays whose numeric-string keys become integer
 * keys, where re-assigning a key keeps its first position, and which
 * json_encode prints as a list when the keys are exactly 0..n-1 and as an
 * object otherwise (an empty array is always "[]").  $_GET, $_POST,
 * parse_ini_file results and AMI blocks are all held as pv.
 *
 * Storage comes from a request arena; nothing is freed individually.
 */
#ifndef PBXAPI_PV_H
#define PBXAPI_PV_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct jw;

enum pv_type { PV_NULL, PV_BOOL, PV_INT, PV_DOUBLE, PV_STR, PV_ARR };

struct pv_arr;

struct pv {
	enum pv_type type;
	union {
		int b;
		int64_t i;
		double d;
		struct {
			const char *s;
			size_t len;
		} str;
		struct pv_arr *arr;
	} u;
};

struct pv_ent {
	struct pv_ent *next;
	const char *key; /* the key as text (integer keys too) */
	size_t klen;
	int is_int;
	int64_t ikey;
	struct pv val;
};

struct pv_arr {
	struct pv_ent *head, *tail;
	size_t n;
	int64_t next_index;   /* for $a[] = ... */
	struct pv_ent **hash; /* built once n passes a threshold */
	size_t hsize;
};

/* Returns a new empty array. */
struct pv *pv_new_arr(struct arena *a);

/* Value constructors (strings are not copied). */
struct pv pv_str(const char *s, size_t len);
struct pv pv_int(int64_t i);
struct pv pv_null(void);
struct pv pv_bool(int b);

/*
 * Sets arr[key] = val with PHP's key normalisation; an existing key keeps
 * its position.  Returns the stored value.  The key is not copied.
 */
struct pv *pv_set(struct arena *a, struct pv *arr, const char *key, size_t klen,
    struct pv val);

/* Appends arr[] = val.  Returns the stored value. */
struct pv *pv_push(struct arena *a, struct pv *arr, struct pv val);

/* Returns arr[key] or NULL. */
struct pv *pv_get(const struct pv *arr, const char *key, size_t klen);
struct pv *pv_getz(const struct pv *arr, const char *key);

/* Removes arr[key] if present. */
void pv_unset(struct pv *arr, const char *key, size_t klen);

/* Returns the number of elements of an array (0 for other types). */
size_t pv_count(const struct pv *arr);

/*
 * PHP's (string) cast: strings as they are, integers in decimal, true "1",
 * false and null "", arrays "Array".  The result may point into v.
 */
const char *pv_to_str(struct arena *a, const struct pv *v, size_t *len);

/* PHP's (int) cast of a string (the table of elastix-api.md §1.3). */
int64_t php_intval(const char *s, size_t n);

/* PHP's (int) cast of any value. */
int64_t pv_to_int(const struct pv *v);

/* PHP's empty(): "", "0", 0, null, false, []. */
int pv_empty(const struct pv *v);

/* Writes v as json_encode would. */
void pv_encode(struct jw *w, const struct pv *v);

#endif
