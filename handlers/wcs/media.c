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

#define MEDIA(n, p)                                               \
	{                                                         \
		.name = n, .methods = M_POST, .scope = SCOPE_WCS, \
		.run = no_media_server, .path = p,                \
		WCS_OP(501, "Needs a media server: 501.")         \
	}

static const struct cmd cmds[] = {
	MEDIA("inject_stream", "/call/inject_stream"),
	MEDIA("inject_stream_op", "/call/inject_stream/{op}"),
	MEDIA("rtsp", "/rtsp/{op}"),
	MEDIA("stream", "/stream/{op}"),
	MEDIA("data", "/data/{op}"),
	MEDIA("connection", "/connection/{op}"),
	MEDIA("push", "/push/{op}"),
	MEDIA("pull", "/pull/{op}"),
	MEDIA("pull_rtmp", "/pull/rtmp/{op}"),
	MEDIA("mixer", "/mixer/{op}"),
	MEDIA("mixer_test", "/mixer/test/{op}"),
	MEDIA("api", "/api/{op}"),
	MEDIA("logger", "/logger/{op}"),
	MEDIA("cdn", "/cdn/{op}"),
	MEDIA("cdn_stream", "/cdn/stream/{op}"),
	MEDIA("transcoder", "/transcoder/{op}"),
	MEDIA("vod", "/vod/{op}"),
};

const struct family wcs_media = { .name = "media", CMDS(cmds) };
