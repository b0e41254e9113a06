/*
 * What every backend of the ARI dialect answers with: ARI's Channel
 * model, its creationtime, and the reply heads Asterisk sends (JSON or
 * 204, with Cache-Control).  The AMI and event socket translations fill
 * a struct ari_chan from what their PBX says; model.c writes it.
 */
#ifndef PBXAPI_ARI_MODEL_H
#define PBXAPI_ARI_MODEL_H

#include <stddef.h>
#include <time.h>

#include "err.h"

struct jw;
struct reply;

#define ARI_TIME_SIZE 48 /* "YYYY-MM-DDTHH:MM:SS.mmm+0000", NUL, slack */

/* Bytes that are not NUL-terminated (s NULL: ""). */
struct ari_str {
	const char *s;
	size_t n;
};

/* ARI's Channel, field for field in its key order. */
struct ari_chan {
	struct ari_str id, name, state;
	struct ari_str caller_name, caller_number;
	struct ari_str connected_name, connected_number;
	struct ari_str accountcode;
	struct ari_str context, exten, app_name, app_data;
	long long priority;
	char creationtime[ARI_TIME_SIZE];
	struct ari_str language;
};

/* A NUL-terminated string as an ari_str (NULL: ""). */
struct ari_str ari_strz(const char *s);

/* Writes c as ARI's Channel object. */
void ari_chan_json(struct jw *w, const struct ari_chan *c);

/*
 * Writes t and ms as ARI's creationtime ("2026-11-22T12:23:40.604+0000",
 * UTC) into buf, ARI_TIME_SIZE bytes.
 */
void ari_time(char *buf, time_t t, long ms);

/* Returns 1 for Asterisk's ast_true() words ("yes", "1", "on" ...). */
int ari_true(const char *s);

/* Starts a JSON reply of status (Cache-Control as Asterisk's). */
struct jw *ari_reply_json(struct reply *rp, int status);

/* A 204 as Asterisk sends it.  Returns E_OK. */
enum err ari_reply_empty(struct reply *rp);

#endif
