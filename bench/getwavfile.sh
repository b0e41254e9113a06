#!/bin/sh
# bench/getwavfile.sh: getwavfile throughput against nginx serving the same
# file statically, with wrk (64 connections by default).
#
# usage: bench/getwavfile.sh BASE_URL KEY NAME [STATIC_URL]
#   BASE_URL    the web server in front of pbxapi, e.g. http://127.0.0.1:8080
#   KEY         the Authorization value (API key or token)
#   NAME        the recording, relative to the tenant's RECORDINGS_PATH
#   STATIC_URL  the same file served by nginx as a static file (optional)
# Environment: BENCH_SECONDS (5), BENCH_CONNECTIONS (64), BENCH_THREADS (2).
#
# Make a 10 MB recording with e.g.
#   head -c 10485760 /dev/urandom > /var/spool/asterisk/monitor/bench.wav
set -eu
[ $# -ge 3 ] || { sed -n '4,10p' "$0" >&2; exit 2; }
base=$1 key=$2 name=$3 static=${4:-}
secs=${BENCH_SECONDS:-5} conns=${BENCH_CONNECTIONS:-64}
threads=${BENCH_THREADS:-2}

run() { # run LABEL URL [HEADER]
	if [ $# -ge 3 ]; then
		out=$(wrk -t "$threads" -c "$conns" -d "${secs}s" -H "$3" "$2")
	else
		out=$(wrk -t "$threads" -c "$conns" -d "${secs}s" "$2")
	fi
	rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ {print $2}')
	xfer=$(printf '%s\n' "$out" | awk '/^Transfer\/sec:/ {print $2}')
	bad=$(printf '%s\n' "$out" | awk '/Non-2xx/ {print $5}')
	printf '%-10s %12s req/s %12s/s  non-2xx: %s\n' "$1" "$rps" "$xfer" \
	    "${bad:-0}"
	eval "rps_$1=$rps"
}

url="$base/api/api.php?cmd=getwavfile&name=$name"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $key" "$url")
[ "$code" = 200 ] || { echo "getwavfile answers $code, not 200" >&2; exit 1; }
run getwavfile "$url" "Authorization: $key"
if [ -n "$static" ]; then
	run static "$static"
	awk -v a="$rps_getwavfile" -v b="$rps_static" 'BEGIN {
	    r = b > 0 ? 100 * a / b : 0
	    printf "ratio      %.1f%% of nginx static (target >= 90%%)\n", r
	}'
fi
