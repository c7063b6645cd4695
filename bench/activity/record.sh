#!/usr/bin/env bash
# Records bench/testdata/activity.jsonl.gz: `lanner record` (eBPF) runs
# while bench/activity/session.sh does ordinary work, then
# `go run ./bench/activity` keeps the session's events and trims them (see
# its documentation). As root, on a Debian host with the Debian archive
# reachable; takes the kernel test lock, so it never runs alongside the
# live tests. The sl package the session installs is purged afterwards.
#
# Usage: bench/activity/record.sh [OUT]   (KEEP=1 keeps the raw capture)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-bench/testdata/activity.jsonl.gz}
make build >/dev/null
tmp=$(mktemp -d)
rec=
cleanup() {
	[ -n "$rec" ] && kill -INT "$rec" 2>/dev/null && wait "$rec" 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "capture kept in $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
exec 9>/tmp/lanner-kernel-tests.lock
flock 9

bin/lanner record --env --out "$tmp/raw.jsonl" --ready-file "$tmp/ready" 2>"$tmp/record.err" &
rec=$!
for _ in $(seq 600); do [ -e "$tmp/ready" ] && break; sleep 0.1; done
[ -e "$tmp/ready" ] || { cat "$tmp/record.err"; exit 1; }

# A clean environment, as a login shell would have.
env -i PATH=/root/.pyenv/shims:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root TERM=xterm LANG=C.UTF-8 USER=root LOGNAME=root SHELL=/bin/bash \
	bench/activity/session.sh "$tmp" >"$tmp/session.out" 2>&1 || { cat "$tmp/session.out"; exit 1; }
sleep 1
kill -INT "$rec"
wait "$rec"
rec=
grep '^stats:' "$tmp/record.err"
go run ./bench/activity -session "$(cat "$tmp/session.pid")" -out "$out" "$tmp/raw.jsonl"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq sl >/dev/null
ls -l "$out"
