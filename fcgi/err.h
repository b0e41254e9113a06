/*
 * One error enumeration for the whole program.  Each entry carries the
 * HTTP status a dialect uses by default and a public text that is safe to
 * show a client; details go to the log through the caller's errbuf.
 */
#ifndef PBXAPI_ERR_H
#define PBXAPI_ERR_H

#define ERR_TABLE                                   \
	X(E_OK, 200, "OK")                          \
	X(E_BADREQ, 400, "Bad Request")             \
	X(E_UNAUTH, 401, "Unauthorized")            \
	X(E_FORBIDDEN, 403, "Forbidden")            \
	X(E_NOTFOUND, 404, "Not Found")             \
	X(E_METHOD, 405, "Method Not Allowed")      \
	X(E_CONFLICT, 409, "Conflict")              \
	X(E_TOOLARGE, 413, "Payload Too Large")     \
	X(E_UNPROC, 422, "Unprocessable Entity")    \
	X(E_TOOMANY, 429, "Too Many Requests")      \
	X(E_INTERNAL, 500, "Internal Server Error") \
	X(E_NOTSUP, 501, "Not Implemented")         \
	X(E_PROTO, 502, "Bad Gateway")              \
	X(E_BACKEND, 503, "Service Unavailable")    \
	X(E_TIMEOUT, 504, "Gateway Timeout")

enum err {
#define X(name, status, text) name,
	ERR_TABLE
#undef X
	    E__MAX
};

/* Returns the public text of e ("Bad Request" ...). */
const char *err_str(enum err e);

/* Returns the default HTTP status of e. */
int err_status(enum err e);

/* Returns the reason phrase of an HTTP status, "Unknown" if not known. */
const char *http_reason(int status);

#endif
