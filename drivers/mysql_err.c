/*
 * PDO's error texts for the MySQL driver.  The reference returns the
 * message of its PDOException in 503 bodies; these functions build the
 * same text from what libmariadb reports, so that the bodies match.
 * Pure functions: tested without a server (tests/unit/t_mysql.c).
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mysql.h"

/*
 * PDO's SQLSTATE descriptions (ext/pdo/pdo_sqlstate.c) for the states
 * MySQL and MariaDB report.
 */
static const struct {
	const char *state;
	const char *text;
} sqlstates[] = {
	{ "00000", "No error" },
	{ "01000", "Warning" },
	{ "01001", "Cursor operation conflict" },
	{ "01002", "Disconnect error" },
	{ "01003", "NULL value eliminated in set function" },
	{ "01004", "String data, right truncated" },
	{ "01006", "Privilege not revoked" },
	{ "01007", "Privilege not granted" },
	{ "02000", "No data" },
	{ "07002", "COUNT field incorrect" },
	{ "07005", "Prepared statement not a cursor-specification" },
	{ "07006", "Restricted data type attribute violation" },
	{ "07009", "Invalid descriptor index" },
	{ "08000", "Connection exception" },
	{ "08001", "Client unable to establish connection" },
	{ "08003", "Connection does not exist" },
	{ "08004", "Server rejected the connection" },
	{ "08006", "Connection failure" },
	{ "08S01", "Communication link failure" },
	{ "0A000", "Feature not supported" },
	{ "21000", "Cardinality violation" },
	{ "21S01", "Insert value list does not match column list" },
	{ "22000", "Data exception" },
	{ "22001", "String data, right truncated" },
	{ "22003", "Numeric value out of range" },
	{ "22004", "Null value not allowed" },
	{ "22007", "Invalid datetime format" },
	{ "22008", "Datetime field overflow" },
	{ "22012", "Division by zero" },
	{ "22018", "Invalid character value for cast specification" },
	{ "22019", "Invalid escape character" },
	{ "22023", "Invalid parameter value" },
	{ "22025", "Invalid escape sequence" },
	{ "23000", "Integrity constraint violation" },
	{ "24000", "Invalid cursor state" },
	{ "25000", "Invalid transaction state" },
	{ "25001", "Active sql transaction" },
	{ "25006", "Read only sql transaction" },
	{ "28000", "Invalid authorization specification" },
	{ "2F003", "Prohibited sql statement attempted" },
	{ "2F005", "Function executed no return statement" },
	{ "3D000", "Invalid catalog name" },
	{ "3F000", "Invalid schema name" },
	{ "40000", "Transaction rollback" },
	{ "40001", "Serialization failure" },
	{ "42000", "Syntax error or access violation" },
	{ "42S01", "Base table or view already exists" },
	{ "42S02", "Base table or view not found" },
	{ "42S11", "Index already exists" },
	{ "42S12", "Index not found" },
	{ "42S21", "Column already exists" },
	{ "42S22", "Column not found" },
	{ "44000", "WITH CHECK OPTION violation" },
	{ "HY000", "General error" },
	{ "HY001", "Memory allocation error" },
	{ "HY093", "Invalid parameter number" },
	{ "HYT00", "Timeout expired" },
	{ "HYT01", "Connection timeout expired" },
};

const char *
pdo_sqlstate_text(const char *state)
{
	size_t i;

	for (i = 0; i < sizeof(sqlstates) / sizeof(sqlstates[0]); i++)
		if (strcmp(sqlstates[i].state, state) == 0)
			return sqlstates[i].text;
	return "<<Unknown error>>";
}

int
mysql_msg_errno(const char *msg)
{
	const char *open, *end;
	long v;
	char *stop;

	end = msg + strlen(msg);
	if (end == msg || end[-1] != ')')
		return 0;
	open = strrchr(msg, '(');
	if (open == NULL)
		return 0;
	v = strtol(open + 1, &stop, 10);
	if (stop != end - 1 || v < -1000 || v > 1000)
		return 0;
	return (int)v;
}

/* The host in "Unknown server host 'h' (-2)", copied into dst. */
static void
quoted_host(const char *msg, char *dst, size_t size)
{
	const char *a = strchr(msg, '\''), *b;
	size_t n;

	dst[0] = '\0';
	if (a == NULL || (b = strrchr(msg, '\'')) == a)
		return;
	n = (size_t)(b - a - 1);
	if (n >= size)
		n = size - 1;
	memcpy(dst, a + 1, n);
	dst[n] = '\0';
}

void
pdo_connect_msg(char *dst, size_t size, unsigned code, const char *msg)
{
	char host[256];
	int n;

	switch (code) {
	case 2002: /* CR_CONNECTION_ERROR: unix socket */
	case 2003: /* CR_CONN_HOST_ERROR: TCP */
		n = mysql_msg_errno(msg);
		if (n > 0) {
			snprintf(dst, size, "SQLSTATE[HY000] [2002] %s",
			    strerror(n));
			return;
		}
		break;
	case 2005: /* CR_UNKNOWN_HOST */
		quoted_host(msg, host, sizeof(host));
		n = mysql_msg_errno(msg);
		snprintf(dst, size,
		    "SQLSTATE[HY000] [2002] php_network_getaddresses: getaddrinfo for %s failed: %s",
		    host,
		    n < 0 ? gai_strerror(n) : "Name or service not known");
		return;
	case 2006: /* CR_SERVER_GONE_ERROR */
	case 2013: /* CR_SERVER_LOST: no greeting in time */
		snprintf(dst, size,
		    "SQLSTATE[HY000] [2006] MySQL server has gone away");
		return;
	default:
		break;
	}
	snprintf(dst, size, "SQLSTATE[HY000] [%u] %s", code, msg);
}

void
pdo_stmt_msg(
    char *dst, size_t size, const char *state, unsigned code, const char *msg)
{
	if (state == NULL || strlen(state) != 5)
		state = "HY000";
	snprintf(dst, size, "SQLSTATE[%s]: %s: %u %s", state,
	    pdo_sqlstate_text(state), code, msg);
}
