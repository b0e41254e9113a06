/*
 * The WCS method families that need a media server (RTMP, RTSP, WebRTC
 * streams, mixers, transcoders, VOD, CDN) and inject_stream: pbxapi has
 * none, so each answers 501 (docs/wcs.md), never a faked success.  A
 * path no row names is WCS's 404.
 */
#include "conf.h"
#include "wcs_dialect.h"

static enum err
no_media_server(struct req *r, struct reply *rp)
{
	(void)rp;
	return wcs_fail(r, E_NOTSUP, "%s needs a media server", r->path);
}

#define MEDIA(p)                                                  \
	{                                                         \
		.name = p, .methods = M_POST, .scope = SCOPE_WCS, \
		.run = no_media_server, .path = p                 \
	}

static const struct cmd cmds[] = {
	MEDIA("/call/inject_stream"),
	MEDIA("/call/inject_stream/{op}"),
	MEDIA("/rtsp/{op}"),
	MEDIA("/stream/{op}"),
	MEDIA("/data/{op}"),
	MEDIA("/connection/{op}"),
	MEDIA("/push/{op}"),
	MEDIA("/pull/{op}"),
	MEDIA("/pull/rtmp/{op}"),
	MEDIA("/mixer/{op}"),
	MEDIA("/mixer/test/{op}"),
	MEDIA("/api/{op}"),
	MEDIA("/logger/{op}"),
	MEDIA("/cdn/{op}"),
	MEDIA("/cdn/stream/{op}"),
	MEDIA("/transcoder/{op}"),
	MEDIA("/vod/{op}"),
};

const struct family wcs_media = { .name = "media", CMDS(cmds) };
