/*
 * ARI's models and reply heads, shared by the backends (ari_model.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ari_model.h"
#include "json.h"
#include "reply.h"
#include "util.h"

struct ari_str
ari_strz(const char *s)
{
	struct ari_str v = { s != NULL ? s : "", s != NULL ? strlen(s) : 0 };

	return v;
}

void
ari_time(char *buf, time_t t, long ms)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	(void)snprintf(buf, ARI_TIME_SIZE,
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03ld+0000",
	    (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
	    tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
	    tm.tm_sec % 100, ms % 1000);
}

static void
put(struct jw *w, const char *key, struct ari_str v)
{
	jw_keyz(w, key);
	jw_str(w, v.s != NULL ? v.s : "", v.s != NULL ? v.n : 0);
}

static void
put_party(
    struct jw *w, const char *key, struct ari_str name, struct ari_str number)
{
	jw_keyz(w, key);
	jw_obj_open(w);
	put(w, "name", name);
	put(w, "number", number);
	jw_obj_close(w);
}

void
ari_chan_json(struct jw *w, const struct ari_chan *c)
{
	jw_obj_open(w);
	put(w, "id", c->id);
	put(w, "name", c->name);
	put(w, "state", c->state);
	put(w, "protocol_id", ari_strz(""));
	put_party(w, "caller", c->caller_name, c->caller_number);
	put_party(w, "connected", c->connected_name, c->connected_number);
	put(w, "accountcode", c->accountcode);
	jw_keyz(w, "dialplan");
	jw_obj_open(w);
	put(w, "context", c->context);
	put(w, "exten", c->exten);
	jw_keyz(w, "priority");
	jw_int(w, c->priority);
	put(w, "app_name", c->app_name);
	put(w, "app_data", c->app_data);
	jw_obj_close(w);
	put(w, "creationtime", ari_strz(c->creationtime));
	put(w, "language", c->language);
	jw_obj_close(w);
}

int
ari_true(const char *s)
{
	static const char *const yes[] = { "yes", "true", "y", "t", "1", "on" };
	size_t i;

	for (i = 0; i < nitems(yes); i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	return 0;
}

struct jw *
ari_reply_json(struct reply *rp, int status)
{
	struct jw *w = reply_json(rp, JW_UTF8);

	reply_status(rp, status);
	reply_header(rp, "Cache-Control", "no-cache, no-store");
	return w;
}

enum err
ari_reply_empty(struct reply *rp)
{
	reply_status(rp, 204);
	reply_header(rp, "Cache-Control", "no-cache, no-store");
	return E_OK;
}
