#!/usr/bin/env bash
# Runs one fuzz target: scripts/fuzz.sh PACKAGE TARGET FUZZTIME.
#
# Go before 1.27 can fail a duration-bound fuzz run with a bare "context
# deadline exceeded" as -fuzztime expires, without any failing input (a
# race in the fuzzing coordinator, go.dev/issue/75804). Such a run is
# tried once more; any other failure, or a second one, fails.
set -uo pipefail
pkg=$1 target=$2 fuzztime=$3
go=${GO:-go}
run() {
	"$go" test "$pkg" -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" -fuzzminimizetime 1s 2>&1 | tee "$log"
	return "${PIPESTATUS[0]}"
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
run && exit 0
if grep -q 'context deadline exceeded' "$log" && ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"; then
	echo "fuzz.sh: $target stopped with the fuzzing engine's deadline race and no failing input; running it again" >&2
	run && exit 0
fi
exit 1
