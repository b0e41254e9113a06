/*
 * The recording server dialect: a drop-in twin of the XiVO CC recording
 * server's REST API (docs/recordings.md), under the root layout
 * ("/records/search") and the "/recording" prefix alike.  Rows carry
 * their path (fcgi/rest.c); the handlers speak the API's JSON and ask
 * the tenant's record store, which is XiVO CC's xivo_stats database
 * (xivo.c), an Asterisk CDR database (cdr.c) or FusionPBX's v_xml_cdr
 * (fpx.c), all behind one table of operations (struct rec_store).
 */
#ifndef PBXAPI_RECORDINGS_H
#define PBXAPI_RECORDINGS_H

#include <stddef.h>

#include "digest.h"
#include "dispatch.h"

struct jw;
struct tenant;

#define REC_PAGE_MAX	      1000 /* the largest pageSize (and history size) */
#define REC_ATTACHED_MAX      256  /* pairs of one Record */
#define REC_ATTACHED_MAX_TEXT "256"
#define REC_CALLID_MAX	      1000 /* records of one call id */
#define REC_CALLID_MAX_TEXT   "1000"
#define REC_OFFSET_MAX	      10000 /* records a page may skip; deeper: cursor */
#define REC_ID_MAX	      128   /* a recording file id */
#define REC_ATTACH_MAX	      100   /* elements of one attached_data POST */
#define REC_KEY_MAX	      128   /* attached_data.key */
#define REC_VALUE_MAX	      1024  /* attached_data.value */
#define REC_URL_TTL_MAX	      86400
#define REC_AUDIO_DIR	      "/var/spool/recording-server"

/* The search filters of POST /records/search; NULL: not given. */
struct rec_filter {
	const char *agent, *queue, *start, *end, *callee, *caller;
	const char *direction, *qstatus, *key, *value;
};

/* Which page: by number, or after a keyset position (cursor). */
struct rec_page {
	long page, size;
	int keyset;	      /* the request gave a cursor */
	const char *after_ts; /* cursor_ts of the last row seen, NULL: top */
	long long after_id;   /* and its rowid */
};

/* One Record (spec §4); NULL strings are JSON null. */
struct rec_record {
	long long rowid; /* the store's row: cursor, attached data */
	/*
	 * Start time, full precision; a store whose table has no integer
	 * key keeps its whole position here (rec_store.h) and rowid 0.
	 */
	const char *cursor_ts;
	const char *id, *start, *duration, *src_num, *dst_num;
	const char *agent, *queue, *status;
	const char **keys, **vals; /* attached data, by key */
	size_t nattached;
};

struct rec_list {
	struct rec_record *v;
	size_t n;
	int has_next;
};

/* One HistoryEntry (spec §3.6). */
struct rec_hist {
	const char *start, *duration, *src_num, *dst_num, *status;
	const char *src_first, *src_last, *dst_first, *dst_last;
};

/* Where a recording's file is: a root and a path below it. */
struct rec_file {
	const char *root;  /* the tenant's audio root (not resolved) */
	const char *rel;   /* below it, no "." or ".." component */
	const char *accel; /* X-Accel-Redirect prefix for root, "" none */
};

/*
 * A record store.  Each operation returns E_OK or sets r's error; a NULL
 * slot is an operation the store cannot do (501).  Strings live in r's
 * arena.
 */
struct rec_store {
	const char *name;
	enum err (*search)(struct req *r, const struct rec_filter *f,
	    const struct rec_page *pg, struct rec_list *out);
	enum err (*by_callid)(
	    struct req *r, const char *callid, struct rec_list *out);
	/* The record whose file id is id: out->n is 0 or 1. */
	enum err (*by_id)(struct req *r, const char *id, struct rec_list *out);
	/*
	 * Attaches the n key/value pairs to the call (its call_data id, or
	 * its unique id with by_uniqueid), all or none.  E_NOTFOUND if the
	 * call does not exist.
	 */
	enum err (*attach)(struct req *r, const char *call, int by_uniqueid,
	    const char *const *keys, const char *const *vals, size_t n);
	enum err (*history)(struct req *r, const char *iface, long size,
	    struct rec_hist **out, size_t *n);
	/* E_NOTFOUND if no agent answered the caller in that time. */
	enum err (*last_agent)(
	    struct req *r, const char *caller, long days, const char **agent);
	/* Where the file of recording id is (it may not exist). */
	enum err (*locate)(struct req *r, const char *id, struct rec_file *out);
};

extern const struct rec_store rec_xivo, rec_cdr, rec_fpx;

/* The store of r's tenant (RECORDING_BACKEND, or guessed). */
const struct rec_store *rec_store(struct req *r);

/* Writes a Record as the API does (keys in the documented order). */
void rec_write_record(struct jw *w, const struct rec_record *rec);

/* Writes {"hasNext":...,"records":[...]} (and "cursor" in keyset mode). */
enum err rec_reply_list(struct req *r, struct reply *rp,
    const struct rec_list *l, const struct rec_page *pg);

/*
 * Reads a keyset cursor ("" is the first page) into pg.  Returns 0, or
 * -1 if it is not one this tenant's pbxapi made.
 */
int rec_cursor_parse(struct req *r, const char *s, struct rec_page *pg);

/*
 * Writes the HMAC-SHA-256 of msg under tenant t's RECORDING_URL_KEY, or
 * without one the generation's random key (signed URLs, cursors).
 */
void rec_mac(struct req *r, const struct tenant *t, const char *msg,
    uint8_t mac[SHA256_LEN]);

/* Returns 0 if s is a page or history size: 1 .. REC_PAGE_MAX. */
int rec_v_size(const char *s, size_t n);

/* Returns 0 if s is a recording file id (spec §10.6). */
int rec_valid_id(const char *s, size_t n);

/*
 * The value of a tenant setting, or def if the tenant sets none (or an
 * empty one).
 */
const char *rec_setting(const struct req *r, const char *key, const char *def);

/*
 * Readiness (/readyz), as ast_probe (asterisk.h): kind "pgsql xivo_stats"
 * when t's store is XiVO's (RECORDING_BACKEND xivo, or none and a
 * RECORDING_DB_* key).  rec_probe takes r->tenant's pooled connection
 * before deadline.  Returns E_OK, E_NOTFOUND for another kind, or
 * E_BACKEND, E_TIMEOUT or E_PROTO with the reason in why.
 */
int rec_probe_wants(const struct tenant *t, const char *kind);
enum err rec_probe(struct req *r, const char *kind, uint64_t deadline,
    char *why, size_t whylen);

/* The families of the dialect. */
extern const struct family rec_records, rec_calldata, rec_history, rec_audio;

#endif
