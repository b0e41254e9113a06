/*
 * The ceiling of the architecture: the smallest libfcgi responder, which
 * answers every request with the bytes of pbxapi's 401 reply.  Run under
 * spawn-fcgi with as many processes as pbxapi has workers.
 */
#include <fcgiapp.h>

#include <string.h>

int
main(void)
{
	static const char reply[] = "Status: 401 Unauthorized\r\n"
				    "Content-Type: application/json\r\n"
				    "Access-Control-Allow-Origin: *\r\n"
				    "Content-Length: 35\r\n\r\n"
				    "{\"error\":\"Unauthorized\",\"code\":401}";
	FCGX_Request r;

	FCGX_Init();
	FCGX_InitRequest(&r, 0, 0);
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_PutStr(reply, (int)strlen(reply), r.out);
		FCGX_Finish_r(&r);
	}
	return 0;
}
