#!/usr/bin/env bash
# Overhead of `lanner run` on the exec/open/connect workload
# (../shared/docs/ANCHORS.md): N fork+execs of a static no-op program, N
# opens of one file, N TCP connects to 127.0.0.1. Runs the workload RUNS
# times without Lanner and RUNS times with it, alternately, and prints the
# median wall times, the slowdown, Lanner's CPU time during the workload
# (and kauditd's, with the audit collector), its drop counters and how many
# of the workload's actions it alerted on.
#
# It holds the kernel test lock (internal/testutil.LockKernel) while it
# runs, so that it neither disturbs nor is disturbed by the live tests.
#
# Usage (as root): bench/overhead.sh [N] [RUNS] [RULES...]
# COLLECTOR=audit or fanotify picks another collector than ebpf;
# LANNER_ARGS adds flags to `lanner run` (e.g. LANNER_ARGS='--buffer-size 8MiB').
# RULES default to Falco's stable falco_rules.yaml; bench/workload_rules.yaml
# (one rule per action) is always loaded last, as in the anchor figures.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}
RUNS=${2:-3}
shift $(( $# > 2 ? 2 : $# ))
RULES=("$@")
[ ${#RULES[@]} -gt 0 ] || RULES=(../shared/falco-rules/falco_rules.yaml)
COLLECTOR=${COLLECTOR:-ebpf}
read -r -a LANNER_ARGS <<<"${LANNER_ARGS:-}"

tmp=$(mktemp -d)
lanner_pid=
cleanup() {
	[ -n "$lanner_pid" ] && kill -INT "$lanner_pid" 2>/dev/null && wait "$lanner_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

printf 'int main(void) { return 0; }\n' | gcc -static -O2 -x c -o "$tmp/lanner-noop" -
go build -o "$tmp/workload" ./bench/workload
make -s build RULES="${RULES[*]} bench/workload_rules.yaml" BIN="$tmp/lanner" >/dev/null

exec 9>/tmp/lanner-kernel-tests.lock
flock 9

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

workload() { "$tmp/workload" -n "$N" -noop "$tmp/lanner-noop"; }

kauditd=$(pgrep -x kauditd | head -1 || true)

base=() with=() cpus=() kcpus=() drops=() alerts=()
for r in $(seq "$RUNS"); do
	base+=("$(workload)")
	rm -f "$tmp/ready"
	"$tmp/lanner" run --collector "$COLLECTOR" --rule-matching all --output json ${LANNER_ARGS[@]+"${LANNER_ARGS[@]}"} \
		--out-file "$tmp/alerts.$r" --ready-file "$tmp/ready" 2>"$tmp/stderr.$r" &
	lanner_pid=$!
	for _ in $(seq 600); do [ -f "$tmp/ready" ] && break; sleep 0.1; done
	[ -f "$tmp/ready" ] || { cat "$tmp/stderr.$r"; exit 1; }
	sleep 0.5
	c0=$(cpu_ticks "$lanner_pid")
	k0=$([ -n "$kauditd" ] && cpu_ticks "$kauditd" || echo 0)
	with+=("$(workload)")
	sleep 1 # let Lanner drain what the workload produced
	c1=$(cpu_ticks "$lanner_pid")
	k1=$([ -n "$kauditd" ] && cpu_ticks "$kauditd" || echo 0)
	kill -INT "$lanner_pid"; wait "$lanner_pid" || true; lanner_pid=
	cpus+=("$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN {printf "%.2f", (b-a)/hz}')")
	kcpus+=("$(awk -v a="$k0" -v b="$k1" -v hz="$hz" 'BEGIN {printf "%.2f", (b-a)/hz}')")
	drops+=("$(grep -o 'kernel_drops=[0-9]*' "$tmp/stderr.$r" | tail -1)$(grep -o ' kernel_drops_by_type=[^ ]*' "$tmp/stderr.$r" | tail -1 || true)")
	e=$(grep -c '"rule":"Benchmark workload no-op executed"' "$tmp/alerts.$r" || true)
	o=$(grep -c '"rule":"Benchmark workload file opened"' "$tmp/alerts.$r" || true)
	k=$(grep -c '"rule":"Benchmark workload connected"' "$tmp/alerts.$r" || true)
	l=$(grep -c '"rule":"Lanner Events Lost"' "$tmp/alerts.$r" || true)
	alerts+=("exec=$e open=$o connect=$k (Lanner Events Lost: $l)")
done

b=$(printf '%s\n' "${base[@]}" | median)
w=$(printf '%s\n' "${with[@]}" | median)
c=$(printf '%s\n' "${cpus[@]}" | median)
echo "workload: N=$N, $RUNS runs, collector $COLLECTOR${LANNER_ARGS[*]+ ${LANNER_ARGS[*]}}, rules: ${RULES[*]} + bench/workload_rules.yaml"
grep -o 'ring buffer [0-9]* [KM]iB' "$tmp/stderr.1" | head -1 || true
echo "without lanner: ${base[*]} s (median $b s)"
echo "with lanner:    ${with[*]} s (median $w s)"
awk -v b="$b" -v w="$w" 'BEGIN {printf "slowdown: %+.1f%%\n", (w-b)/b*100}'
echo "lanner CPU during the workload: ${cpus[*]} s (median $c s)"
if [ "$COLLECTOR" = audit ]; then
	kc=$(printf '%s\n' "${kcpus[@]}" | median)
	echo "kauditd CPU during the workload: ${kcpus[*]} s (median $kc s)"
fi
for r in $(seq "$RUNS"); do echo "run $r: ${drops[$((r-1))]}, alerts ${alerts[$((r-1))]} of $N each"; done
