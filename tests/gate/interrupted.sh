#!/usr/bin/env bash
# softcheck check, interrupted while a kernel hangs: SIGINT and SIGTERM each
# must end it with 128 + the signal's number, the JSON and JUnit reports must
# still be written (the properties that finished, the rest as not run, and
# "interrupted"), one line on stderr must say so, and no worker may outlive
# softcheck.
#   interrupted.sh SOFTCHECK HANGING_LIB OUT_PREFIX
set -u
# Job control: without it a script's background job starts with SIGINT
# ignored, and softcheck rightly keeps an inherited "ignore".
set -m
exe=$1 lib=$2 out=$3
status=0
fail() { echo "FAIL: $*"; status=1; }
. "$(dirname "$0")/../no_leftover_workers.sh"
for sig in INT TERM; do
  json=$out.$sig.json xml=$out.$sig.xml err=$out.$sig.stderr
  rm -f "$json" "$xml" "$err"
  "$exe" check --lib "$lib" --symbol hang_on_masked_softmax_f32 --timeout 100 \
    --seed 1 --cases 60 --json "$json" --junit "$xml" >/dev/null 2>"$err" &
  pid=$!
  sleep 3  # by then a worker is running the properties (or stuck in a hang)
  kill -s "$sig" "$pid"
  wait "$pid"
  rc=$?
  want=$((128 + $(kill -l "$sig")))
  [ "$rc" -eq "$want" ] || fail "SIG$sig: exit $rc, want $want"
  grep -q "\"interrupted\": \"SIG$sig\"" "$json" 2>/dev/null ||
    fail "SIG$sig: $json lacks \"interrupted\": \"SIG$sig\""
  grep -q 'not run: softcheck was interrupted' "$xml" 2>/dev/null ||
    fail "SIG$sig: $xml lists no property as not run"
  [ "$(wc -l <"$err")" -eq 1 ] && grep -q "interrupted" "$err" ||
    fail "SIG$sig: stderr is not one line saying so: $(cat "$err")"
  no_leftover_workers "[-]-json $json" "SIG$sig"
done
[ "$status" -eq 0 ] && echo "interrupted: ok"
exit "$status"
