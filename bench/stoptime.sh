#!/usr/bin/env bash
# How long `lanner run` takes to stop: from SIGTERM to the exit of the
# process, and for a run with `--duration D`, from the start of the
# process to its exit and from when it has attached (its --ready-file
# appears; the duration counts from a moment before) to its exit. RUNS runs of each, for each collector named
# (default ebpf audit fanotify); prints the median and the maximum.
#
# It holds the kernel test lock (internal/testutil.LockKernel) while it
# runs. LANNER_ARGS adds flags to `lanner run`; LANNER=path uses that
# binary instead of building bin/lanner's default rules into a temporary one.
#
# Usage (as root): bench/stoptime.sh [RUNS] [DURATION] [COLLECTOR...]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
DURATION=${2:-3s}
shift $(( $# > 2 ? 2 : $# ))
COLLECTORS=("$@")
[ ${#COLLECTORS[@]} -gt 0 ] || COLLECTORS=(ebpf audit fanotify)
read -r -a LANNER_ARGS <<<"${LANNER_ARGS:-}"

tmp=$(mktemp -d)
lanner_pid=
cleanup() {
	[ -n "$lanner_pid" ] && kill -INT "$lanner_pid" 2>/dev/null && wait "$lanner_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

bin=${LANNER:-}
if [ -z "$bin" ]; then
	bin=$tmp/lanner
	make -s build BIN="$bin" >/dev/null
fi

exec 9>/tmp/lanner-kernel-tests.lock
flock 9

now() { date +%s.%N; }
stats() { sort -n | awk '{a[NR]=$1} END {printf "median %.3f s, max %.3f s", a[int((NR+1)/2)], a[NR]}'; }

for col in "${COLLECTORS[@]}"; do
	stops=() durs=() readys=()
	for r in $(seq "$RUNS"); do
		rm -f "$tmp/ready"
		"$bin" run --collector "$col" --output json ${LANNER_ARGS[@]+"${LANNER_ARGS[@]}"} \
			--ready-file "$tmp/ready" >/dev/null 2>"$tmp/stderr" &
		lanner_pid=$!
		for _ in $(seq 3000); do [ -f "$tmp/ready" ] && break; sleep 0.01; done
		[ -f "$tmp/ready" ] || { cat "$tmp/stderr"; exit 1; }
		sleep 1
		t0=$(now)
		kill -TERM "$lanner_pid"
		wait "$lanner_pid" || true
		t1=$(now)
		lanner_pid=
		stops+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b-a}')")

		rm -f "$tmp/ready"
		t0=$(now)
		"$bin" run --collector "$col" --output json --duration "$DURATION" ${LANNER_ARGS[@]+"${LANNER_ARGS[@]}"} \
			--ready-file "$tmp/ready" >/dev/null 2>"$tmp/stderr" &
		lanner_pid=$!
		for _ in $(seq 3000); do [ -f "$tmp/ready" ] && break; sleep 0.01; done
		tr=$(now)
		wait "$lanner_pid" || { cat "$tmp/stderr"; exit 1; }
		t1=$(now)
		lanner_pid=
		durs+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b-a}')")
		readys+=("$(awk -v a="$tr" -v b="$t1" 'BEGIN {print b-a}')")
	done
	echo "$col: SIGTERM to exit: $(printf '%s\n' "${stops[@]}" | stats) ($RUNS runs)"
	echo "$col: --duration $DURATION, start to exit: $(printf '%s\n' "${durs[@]}" | stats)"
	echo "$col: --duration $DURATION, attached (ready file) to exit: $(printf '%s\n' "${readys[@]}" | stats)"
done
