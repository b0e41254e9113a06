#!/bin/sh
# bench/fusionpbx.sh: cdr-list (and, with -o, originate) of the
# {"action": ...} dialect with wrk against an installation, next to the
# same dialect's 401 (the request path without the backends).  make bench
# runs the self-contained version (bench/scenarios/fusionpbx_dialect.py:
# its own PostgreSQL with 1,000,000 CDRs and the ESL double).
#
# usage: bench/fusionpbx.sh [-o] BASE_URL KEY_UUID:SECRET DOMAIN_UUID
#   -o           also originate (places real calls on a real FreeSWITCH:
#                100 -> 101 of the domain; only against a test system)
#   BASE_URL     the web server in front of pbxapi, e.g. http://127.0.0.1
# Environment: BENCH_SECONDS (5), BENCH_CONNECTIONS (64), BENCH_THREADS (2).
set -eu
orig=
[ "${1:-}" = -o ] && { orig=1; shift; }
[ $# -eq 3 ] || { sed -n '8,13p' "$0" >&2; exit 2; }
base=$1 cred=$2 domain=$3
secs=${BENCH_SECONDS:-5} conns=${BENCH_CONNECTIONS:-64}
threads=${BENCH_THREADS:-2}
url="$base/app/rest_api/rest.php"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
auth="Basic $(printf '%s' "$cred" | base64 -w0)"

script() { # script FILE AUTH BODY
	printf 'wrk.method = "POST"\nwrk.body = [[%s]]\n' "$3" >"$1"
	printf 'wrk.headers["Content-Type"] = "application/json"\n' >>"$1"
	printf 'wrk.headers["Authorization"] = "%s"\n' "$2" >>"$1"
}

run() { # run LABEL BODY AUTH
	script "$tmp/s.lua" "$3" "$2"
	out=$(wrk -t "$threads" -c "$conns" -d "${secs}s" --latency \
	    -s "$tmp/s.lua" "$url")
	rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ {print $2}')
	p99=$(printf '%s\n' "$out" | awk '$1 == "99%" {print $2}')
	bad=$(printf '%s\n' "$out" | awk '/Non-2xx/ {print $5}')
	printf '%-14s %10s req/s  p99 %10s  non-2xx: %s\n' "$1" "$rps" "$p99" \
	    "${bad:-0}"
}

cdr="{\"action\":\"cdr-list\",\"domain_uuid\":\"$domain\"}"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $auth" \
    -d "$cdr" "$url")
[ "$code" = 200 ] || { echo "cdr-list answers $code, not 200" >&2; exit 1; }
run cdr-list "$cdr" "$auth"
run "401 ceiling" "$cdr" "Basic eHg6eHg="
if [ -n "$orig" ]; then
	run originate "{\"action\":\"originate\",\"domain_uuid\":\"$domain\",\
\"caller_id_number\":\"100\",\"destination_a\":\"100\",\
\"destination_b\":\"101\"}" "$auth"
fi
