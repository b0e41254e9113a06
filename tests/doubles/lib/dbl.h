/*
 * What the protocol doubles share (tests/doubles/NAME/ links it into
 * NAME_double): sockets, threads, time, JSON text, base64 and the
 * command line.
 */
#ifndef DBL_H
#define DBL_H

#include <stddef.h>
#include <stdio.h>

/*
 * Writes all n bytes at p to the socket fd, without SIGPIPE.  Returns 0,
 * or -1 if the peer is gone or the socket fails.
 */
int dbl_send_all(int fd, const char *p, size_t n);

/* Sleeps ms milliseconds, signals notwithstanding. */
void dbl_sleep_ms(long ms);

/*
 * Runs fn(arg) in a detached thread.  Returns 0, or the error number of
 * pthread_create.
 */
int dbl_spawn(void *(*fn)(void *), void *arg);

/*
 * Writes the n bytes at s to fp as a JSON string: '"' and '\\'
 * backslashed, the other bytes below 0x20 and from 0x7f as \u00XX.
 */
void dbl_json_str(FILE *fp, const char *s, size_t n);

/*
 * Decodes the base64 (RFC 4648) of the n bytes at s into out, which
 * holds n bytes at least: stops at the first '=', passes over bytes
 * outside the alphabet.  Returns the length decoded.
 */
size_t dbl_b64_decode(const char *s, size_t n, char *out);

/*
 * Golden mode's handshake: once a double serves the case named in the
 * control file (its listener open or closed as the case wants), it
 * writes the case's id to "<control>.<who>.ack" (atomically, and only
 * when the id changed since the last call), so that the harness sends a
 * case's requests only after every double is ready for it.
 */
void dbl_ack(const char *control, const char *who, const char *id);

/* The type of a command-line option's member. */
enum dbl_type {
	DBL_STR, /* const char * */
	DBL_INT, /* int, in base 10 */
	DBL_LONG /* long, in base 10 */
};

/* A command-line option "--name V" (or "-ch V") that sets a member. */
struct dbl_opt {
	const char *name; /* without the leading "--" */
	int ch;		  /* the short letter, or 0 */
	enum dbl_type type;
	size_t off; /* offsetof the member */
};

/* Sets the member of the struct at base that option o names to v. */
void dbl_opt_put(void *base, const struct dbl_opt *o, const char *v);

/*
 * Sets the members of the struct at base from the command line, pairs
 * "--name V" of the n options of t.  Returns 0, or -1 if an argument
 * names none of them or lacks its value.
 */
int dbl_opt_args(void *base, const struct dbl_opt *t, size_t n, int argc,
    char *const argv[]);

#endif
