/*
 * PBX distributions of the ?cmd= dialect: what differs between the
 * Asterisk-family distributions the PHP elastix-api served (its drivers
 * asterisk, issabel and freepbx; elastix-api.md §1.2, §2.5, §2.6, §5.3,
 * §5.10, §5.21, §5.22).  A tenant's PBX_DRIVER selects one: "issabel",
 * "freepbx", anything else "asterisk".  A NULL slot is something the
 * distribution does not have; the command then answers as the reference
 * did (the FreePBX-only commands with 501).
 */
#ifndef PBXAPI_PBX_H
#define PBXAPI_PBX_H

struct arena;
struct db_settings;
struct pv;
struct tenant;

struct pbx_distro {
	const char *name;
	/*
	 * Completes the database settings from the distribution's own file
	 * when DB_PASSWORD is empty (Issabel: issabel.conf, FreePBX:
	 * freepbx.conf).
	 */
	void (*db_inject)(
	    struct arena *a, const struct tenant *t, struct db_settings *db);
	/*
	 * The query of the SIP extensions kept in the PBX database
	 * (FreePBX's pjsip table: id, keyword, data), as sipextensions
	 * shows them; NULL: the command reads the ini file.
	 */
	const char *sip_sql;
	/* The queue list query; NULL: no queue commands (501). */
	const char *queues_sql;
	/* An extra getharddrivers entry (key and directory), or NULL. */
	const char *modules_key, *modules_dir;
};

/* Returns the driver the tenant's PBX_DRIVER selects. */
const struct pbx_distro *pbx_distro(const struct tenant *t);

/*
 * The database settings of the tenant: DB_HOST, DB_PORT, DB_USERNAME,
 * DB_PASSWORD and DB_CHARSET, where an empty DB_PASSWORD lets the PBX's
 * own file supply them: with PBX_DRIVER=issabel the mysqlrootpwd of
 * ISSABEL_CONF_PATH, with PBX_DRIVER=freepbx the AMPDBHOST, AMPDBUSER and
 * AMPDBPASS of FREEPBX_CONF_PATH.  Empty values found there change
 * nothing (the reference passes them through the environment, where an
 * empty variable does not override).
 */
void pbx_db_settings(
    struct arena *a, const struct tenant *t, struct db_settings *out);

#endif
