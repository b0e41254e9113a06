/*
 * What every part of the recording dialect shares: the tenant's record
 * store, the Record writer, the list reply with its keyset cursor, and
 * the file id rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "digest.h"
#include "fusionpbx.h"
#include "json.h"
#include "recordings.h"
#include "reply.h"
#include "str.h"

#define CURSOR_MAC 8 /* HMAC bytes in a cursor */

const char *
rec_setting(const struct req *r, const char *key, const char *def)
{
	const char *v = tenant_get(r->tenant, key);

	return *v != '\0' ? v : def;
}

/* Returns 1 if the tenant sets any key that starts with prefix. */
static int
has_keys(const struct tenant *t, const char *prefix)
{
	size_t i, n = strlen(prefix);

	for (i = 0; i < t->nenv; i++)
		if (strncmp(t->env[i].key, prefix, n) == 0)
			return 1;
	return 0;
}

/*
 * RECORDING_BACKEND = xivo | asterisk | fusionpbx; unset, a tenant with
 * RECORDING_DB_* keys is XiVO CC's stats database, one with FUSIONPBX_*
 * keys FusionPBX, and any other an Asterisk with its CDR database.
 */
const struct rec_store *
rec_store(struct req *r)
{
	const char *b = rec_setting(r, "RECORDING_BACKEND", "");

	if (strcmp(b, "xivo") == 0)
		return &rec_xivo;
	if (strcmp(b, "fusionpbx") == 0)
		return &rec_fpx;
	if (strcmp(b, "asterisk") == 0)
		return &rec_cdr;
	if (has_keys(r->tenant, "RECORDING_DB_"))
		return &rec_xivo;
	if (fpx_tenant_has_keys(r->tenant))
		return &rec_fpx;
	return &rec_cdr;
}

int
rec_v_size(const char *s, size_t n)
{
	long v;

	if (v_digits(s, n) != 0 || n > 4)
		return -1;
	v = strtol(s, NULL, 10);
	return v >= 1 && v <= REC_PAGE_MAX ? 0 : -1;
}

int
rec_valid_id(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > REC_ID_MAX || s[0] == '.')
		return -1;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
			s[i] == '_' || s[i] == '-'))
			return -1;
	return 0;
}

void
rec_write_record(struct jw *w, const struct rec_record *rec)
{
	size_t i;

	jw_obj_open(w);
	jw_keyz(w, "agent");
	jw_strz_or_null(w, rec->agent);
	jw_keyz(w, "attached_data");
	jw_obj_open(w);
	for (i = 0; i < rec->nattached; i++) {
		jw_keyz(w, rec->keys[i]);
		jw_strz_or_null(w, rec->vals[i]);
	}
	jw_obj_close(w);
	jw_keyz(w, "dst_num");
	jw_strz_or_null(w, rec->dst_num);
	jw_keyz(w, "duration");
	jw_strz(w, rec->duration != NULL ? rec->duration : "");
	jw_keyz(w, "id");
	jw_strz_or_null(w, rec->id);
	jw_keyz(w, "queue");
	jw_strz_or_null(w, rec->queue);
	jw_keyz(w, "src_num");
	jw_strz_or_null(w, rec->src_num);
	jw_keyz(w, "start");
	jw_strz_or_null(w, rec->start);
	jw_keyz(w, "status");
	jw_strz_or_null(w, rec->status);
	jw_obj_close(w);
}

void
rec_mac(struct req *r, const struct tenant *t, const char *msg,
    uint8_t mac[SHA256_LEN])
{
	const char *k = tenant_get(t, "RECORDING_URL_KEY");

	if (*k != '\0')
		hmac_sha256(k, strlen(k), msg, strlen(msg), mac);
	else
		hmac_sha256(r->conf->url_key, sizeof(r->conf->url_key), msg,
		    strlen(msg), mac);
}

/* The MAC of a cursor's payload, bound to the tenant. */
static void
cursor_mac(struct req *r, const char *payload, uint8_t mac[SHA256_LEN])
{
	rec_mac(r, r->tenant,
	    arena_printf(r->arena, "cursor\n%s\n%s", r->tenant->name, payload),
	    mac);
}

/* The cursor after rec: hex(MAC) "." hex("start_time,rowid"). */
static const char *
cursor_make(struct req *r, const struct rec_record *rec)
{
	char *payload =
	    arena_printf(r->arena, "%s,%lld", rec->cursor_ts, rec->rowid);
	uint8_t mac[SHA256_LEN];

	cursor_mac(r, payload, mac);
	return arena_printf(r->arena, "%s.%s",
	    hex_encode(r->arena, mac, CURSOR_MAC),
	    hex_encode(r->arena, payload, strlen(payload)));
}

/*
 * Decodes n hex digits at s into the arena (NUL-terminated); NULL if
 * they are not, or if text is set and they decode to a NUL byte.
 */
static char *
unhex(struct arena *a, const char *s, size_t n, int text)
{
	char *o;
	size_t i;
	int hi, lo;

	if (n % 2 != 0)
		return NULL;
	o = arena_alloc(a, n / 2 + 1);
	for (i = 0; i < n; i += 2) {
		hi = hex_digit((unsigned char)s[i]);
		lo = hex_digit((unsigned char)s[i + 1]);
		if (hi < 0 || lo < 0 || (text && hi == 0 && lo == 0))
			return NULL;
		o[i / 2] = (char)(hi << 4 | lo);
	}
	o[n / 2] = '\0';
	return o;
}

int
rec_cursor_parse(struct req *r, const char *s, struct rec_page *pg)
{
	const char *dot = strchr(s, '.');
	uint8_t mac[SHA256_LEN];
	char *payload, *comma, *end, *m;

	pg->keyset = 1;
	if (*s == '\0')
		return 0; /* the first page */
	if (dot == NULL || (size_t)(dot - s) != 2 * CURSOR_MAC ||
	    (payload = unhex(r->arena, dot + 1, strlen(dot + 1), 1)) == NULL ||
	    (m = unhex(r->arena, s, 2 * CURSOR_MAC, 0)) == NULL)
		return -1;
	cursor_mac(r, payload, mac);
	if (!ct_equal(mac, m, CURSOR_MAC) ||
	    (comma = strrchr(payload, ',')) == NULL)
		return -1;
	*comma = '\0';
	pg->after_ts = payload;
	pg->after_id = strtoll(comma + 1, &end, 10);
	return *end == '\0' ? 0 : -1;
}

enum err
rec_reply_list(struct req *r, struct reply *rp, const struct rec_list *l,
    const struct rec_page *pg)
{
	struct jw *w = reply_json(rp, JW_UTF8);
	size_t i;

	jw_obj_open(w);
	jw_keyz(w, "hasNext");
	jw_bool(w, l->has_next);
	jw_keyz(w, "records");
	jw_arr_open(w);
	for (i = 0; i < l->n; i++)
		rec_write_record(w, &l->v[i]);
	jw_arr_close(w);
	if (pg != NULL && pg->keyset) {
		jw_keyz(w, "cursor");
		if (l->has_next && l->n > 0)
			jw_strz(w, cursor_make(r, &l->v[l->n - 1]));
		else
			jw_null(w);
	}
	jw_obj_close(w);
	return E_OK;
}
