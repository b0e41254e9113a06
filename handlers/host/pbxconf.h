/*
 * Credentials the elastix-api finds on the PBX itself: the AMI user of
 * manager.conf (elastix-api.md §2.4) and the MySQL password of
 * /etc/issabel.conf (§2.5) or /etc/freepbx.conf (§2.6).  The files are
 * read on every call, as the reference does, so edits apply at once.
 */
#ifndef PBXAPI_PBXCONF_H
#define PBXAPI_PBXCONF_H

#include <stddef.h>

struct arena;
struct pv;
struct tenant;

struct db_settings {
	const char *host; /* "localhost": the Unix socket, port unused */
	long port;	  /* (int) of DB_PORT */
	const char *user;
	const char *password;
	const char *charset;
};

/* What freepbx.conf assigns; NULL for a key it does not set. */
struct amp_conf {
	const char *host; /* AMPDBHOST */
	const char *user; /* AMPDBUSER */
	const char *pass; /* AMPDBPASS */
};

/*
 * The AMI user and secret for the AMI login and the auth command:
 * AMI_USERNAME and AMI_SECRET when both are set, else the first section
 * of AMI_CONF_PATH other than [general] that has a secret, else the
 * configured pair as it is (also when the file is unreadable or does not
 * parse).  The strings live in the arena or the tenant.
 */
void pbx_ami_credentials(struct arena *a, const struct tenant *t,
    const char **user, const char **secret);

/*
 * The first section of a parsed manager.conf other than "general" that
 * has a "secret" key.  Returns 1 with *user (the section name) and
 * *secret set, or 0.
 */
int pbx_manager_user(struct arena *a, const struct pv *conf, const char **user,
    const char **secret);

/*
 * The PBX distributions' db_inject slots (pbx.h): DB_PASSWORD from the
 * mysqlrootpwd of ISSABEL_CONF_PATH; DB_HOST, DB_USERNAME and DB_PASSWORD
 * from the AMPDBHOST, AMPDBUSER and AMPDBPASS of FREEPBX_CONF_PATH.
 */
void pbx_issabel_inject(
    struct arena *a, const struct tenant *t, struct db_settings *out);
void pbx_freepbx_inject(
    struct arena *a, const struct tenant *t, struct db_settings *out);

/*
 * Parses an issabel.conf text: lines of key=value split at the first '='
 * and trimmed.  Returns the last mysqlrootpwd (in the arena), or NULL.
 */
const char *pbx_issabel_rootpw(struct arena *a, const char *text, size_t n);

/*
 * Parses a freepbx.conf text: every $amp_conf['KEY'] = 'VALUE'
 * assignment as the reference's regular expression finds it (a later one
 * wins, a value ends at its first quote of either kind), except that
 * assignments inside PHP comments are ignored.  Strings are in the arena.
 */
void pbx_freepbx_parse(
    struct arena *a, const char *text, size_t n, struct amp_conf *out);

#endif
