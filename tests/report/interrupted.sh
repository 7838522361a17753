#!/usr/bin/env bash
# softcheck report, interrupted part-way: SIGINT and SIGTERM each must end it
# with 128 + the signal's number, report.md and report.json must still be
# written (what finished, the rest as "not run", and "interrupted"), one line
# on stderr must say so, and no worker may outlive softcheck. Twice per
# signal: while workers measure (after the first has finished), and while
# softcheck itself computes the oracle, before any worker has started.
#   interrupted.sh SOFTCHECK OUT_PREFIX
set -u
# Job control: without it a script's background job starts with SIGINT
# ignored, and softcheck rightly keeps an inherited "ignore".
set -m
exe=$1 out=$2
status=0
fail() { echo "FAIL: $*"; status=1; }
. "$(dirname "$0")/../no_leftover_workers.sh"

# Waits (at most 60 s) until process $1 has started its third child: workers
# run one at a time, so the first, measuring the first implementation, has
# then finished however slow the build (sanitizers) or the machine.
third_child() {
  local seen=" " d ppid
  for _ in $(seq 600); do
    for d in /proc/[0-9]*; do
      { read -r _ _ _ ppid _ <"$d/stat"; } 2>/dev/null || continue
      [ "$ppid" = "$1" ] && [ "${seen#* ${d#/proc/} }" = "$seen" ] && seen="$seen${d#/proc/} "
    done
    [ "$(echo $seen | wc -w)" -ge 3 ] && return 0
    sleep 0.1
  done
  return 1
}

for phase in workers oracle; do
  for sig in INT TERM; do
    dir=$out.$phase.$sig err=$out.$phase.$sig.stderr
    rm -rf "$dir" "$err"
    if [ "$phase" = workers ]; then
      "$exe" report --sizes 64,1024 --attention-sizes 128 --out "$dir" >/dev/null 2>"$err" &
      pid=$!
      third_child "$pid" || fail "$phase SIG$sig: softcheck started no third worker in 60 s"
    else
      # One 2^20 row per distribution: the oracle takes seconds per row, in
      # softcheck's own process.
      "$exe" report --sizes 2^20 --only softmax-f32 --out "$dir" >/dev/null 2>"$err" &
      pid=$!
      sleep 1
    fi
    kill -s "$sig" "$pid"
    start=$(date +%s)
    wait "$pid"
    rc=$?
    took=$(( $(date +%s) - start ))
    want=$((128 + $(kill -l "$sig")))
    [ "$rc" -eq "$want" ] || fail "$phase SIG$sig: exit $rc, want $want"
    [ "$took" -le 60 ] || fail "$phase SIG$sig: took $took s to stop after the signal"
    grep -q "\"interrupted\": \"SIG$sig\"" "$dir/report.json" 2>/dev/null ||
      fail "$phase SIG$sig: $dir/report.json lacks \"interrupted\": \"SIG$sig\""
    grep -q "^\*\*Interrupted\*\* (SIG$sig)" "$dir/report.md" 2>/dev/null ||
      fail "$phase SIG$sig: $dir/report.md does not say it was interrupted"
    grep -q "not run: softcheck was interrupted (SIG$sig)" "$dir/report.md" 2>/dev/null ||
      fail "$phase SIG$sig: $dir/report.md lists nothing as not run"
    # No contract column may read "none" for a check that did not run.
    grep -q 'not checked: softcheck was interrupted' "$dir/report.md" 2>/dev/null ||
      fail "$phase SIG$sig: $dir/report.md names no check as not run"
    if [ "$phase" = workers ]; then
      # Something finished before the signal: a measured row (ns/element).
      grep -Eq '^\| [^|]+ \| [^|]+ \| 64 \| [0-9.e+-]+ \|' "$dir/report.md" 2>/dev/null ||
        fail "$phase SIG$sig: $dir/report.md kept no finished measurement"
    fi
    [ "$(wc -l <"$err")" -eq 1 ] && grep -q "interrupted by SIG$sig" "$err" ||
      fail "$phase SIG$sig: stderr is not one line saying so: $(cat "$err")"
    no_leftover_workers "[-]-out $dir" "$phase SIG$sig"
  done
done
[ "$status" -eq 0 ] && echo "interrupted: ok"
exit "$status"
