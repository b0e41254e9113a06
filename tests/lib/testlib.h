/*
 * Helpers shared by the unit tests, compiled once and linked into every
 * one like tap.c: a PHP value as JSON text, and a scratch directory with
 * the files a test writes into it.
 */
#ifndef PBXAPI_TESTLIB_H
#define PBXAPI_TESTLIB_H

#include <stddef.h>
#include <stdint.h>

#include <fcgiapp.h>

struct arena;
struct pv;

/*
 * Returns v as pv_encode writes it under the jw flags (JW_PHP:
 * json_encode; JW_UTF8: raw UTF-8), a string in the arena a: "(null)"
 * for a NULL v, "(failed)" if the writer failed (invalid UTF-8 under
 * JW_PHP, a nesting error or overflow).
 */
const char *tl_json(struct arena *a, const struct pv *v, unsigned flags);

/*
 * Makes the scratch directory /tmp/name.XXXXXX and returns its path;
 * bails out of the test (TAP "Bail out!") if it cannot.
 */
const char *tl_tmpdir(const char *name);

/* Returns the path of name (relative) inside the scratch directory. */
const char *tl_path(const char *name);

/*
 * Writes the n bytes at text to name inside the scratch directory,
 * making the directories it needs, and returns its path.  A failure is
 * a failed check.
 */
const char *tl_putn(const char *name, const char *text, size_t n);

/* tl_putn of the C string text. */
const char *tl_put(const char *name, const char *text);

/*
 * Removes the scratch directory with everything in it; the paths
 * returned above are gone with it.
 */
void tl_rmtmp(void);

/*
 * A libfcgi reader stream on memory, for request bodies: the bytes are
 * handed out chunk at a time (0: all at once), then the stream ends.
 * fills counts the handouts; off and len may be changed between reads.
 */
struct tl_feed {
	FCGX_Stream s;
	unsigned char *data;
	size_t len, off, chunk;
	int fills;
};

/* Sets f up on a copy (in the arena) of the n bytes at body. */
FCGX_Stream *tl_feed(struct tl_feed *f, struct arena *a, const char *body,
    size_t n, size_t chunk);

/*
 * Appends a websocket frame (RFC 6455: FIN, opcode, 7/16/64-bit length;
 * masked with mask unless NULL, as a server's is not) of the len bytes
 * at p to out at *n, for the client's and the framing's tests.
 */
void tl_ws_frame(uint8_t *out, size_t *n, int fin, int op, const char *p,
    size_t len, const uint8_t *mask);

#endif
