/*
 * Error table and HTTP reason phrases.
 */
#include "err.h"

static const struct {
	int status;
	const char *text;
} errs[E__MAX] = {
#define X(name, st, tx) [name] = { .status = st, .text = tx },
	ERR_TABLE
#undef X
};

const char *
err_str(enum err e)
{
	if ((unsigned)e >= E__MAX)
		return "Unknown error";
	return errs[e].text;
}

int
err_status(enum err e)
{
	if ((unsigned)e >= E__MAX)
		return 500;
	return errs[e].status;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 206:
		return "Partial Content";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Payload Too Large";
	case 416:
		return "Range Not Satisfiable";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "Unknown";
	}
}
