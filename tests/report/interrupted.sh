#!/usr/bin/env bash
# softcheck report, interrupted part-way: SIGINT and SIGTERM each must end it
# with 128 + the signal's number, report.md and report.json must still be
# written (what finished, the rest as "not run", and "interrupted"), one line
# on stderr must say so, and no worker may outlive softcheck.
#   interrupted.sh SOFTCHECK OUT_PREFIX
set -u
# Job control: without it a script's background job starts with SIGINT
# ignored, and softcheck rightly keeps an inherited "ignore".
set -m
exe=$1 out=$2
status=0
fail() { echo "FAIL: $*"; status=1; }
for sig in INT TERM; do
  dir=$out.$sig err=$out.$sig.stderr
  rm -rf "$dir" "$err"
  start=$(date +%s)
  "$exe" report --sizes 64,1024 --attention-sizes 128 --out "$dir" >/dev/null 2>"$err" &
  pid=$!
  # Wait until softcheck has started its third worker (workers run one at a
  # time: the first, measuring the first implementation, has then finished),
  # however slow the build (sanitizers) or the machine; at most 120 s.
  seen=" "
  for _ in $(seq 1200); do
    for d in /proc/[0-9]*; do
      read -r _ _ _ ppid _ <"$d/stat" 2>/dev/null || continue
      [ "$ppid" = "$pid" ] && [ "${seen#* ${d#/proc/} }" = "$seen" ] && seen="$seen${d#/proc/} "
    done
    [ "$(echo $seen | wc -w)" -ge 3 ] && break
    sleep 0.1
  done
  kill -s "$sig" "$pid"
  wait "$pid"
  rc=$?
  took=$(( $(date +%s) - start ))
  want=$((128 + $(kill -l "$sig")))
  [ "$rc" -eq "$want" ] || fail "SIG$sig: exit $rc, want $want"
  [ "$took" -le 150 ] || fail "SIG$sig: took $took s to stop"
  grep -q "\"interrupted\": \"SIG$sig\"" "$dir/report.json" 2>/dev/null ||
    fail "SIG$sig: $dir/report.json lacks \"interrupted\": \"SIG$sig\""
  grep -q "^\*\*Interrupted\*\* (SIG$sig)" "$dir/report.md" 2>/dev/null ||
    fail "SIG$sig: $dir/report.md does not say it was interrupted"
  grep -q "not run: softcheck was interrupted (SIG$sig)" "$dir/report.md" 2>/dev/null ||
    fail "SIG$sig: $dir/report.md lists nothing as not run"
  # Something finished before the signal: a measured row (ns/element given).
  grep -Eq '^\| [^|]+ \| [^|]+ \| 64 \| [0-9.e+-]+ \|' "$dir/report.md" 2>/dev/null ||
    fail "SIG$sig: $dir/report.md kept no finished measurement"
  # No contract column may read "none" for a check the signal cut short.
  grep -Eq 'not checked: softcheck was interrupted' "$dir/report.md" 2>/dev/null ||
    fail "SIG$sig: $dir/report.md names no check as cut short"
  [ "$(wc -l <"$err")" -eq 1 ] && grep -q "interrupted by SIG$sig" "$err" ||
    fail "SIG$sig: stderr is not one line saying so: $(cat "$err")"
  # A leftover worker has softcheck's own command line (read from /proc: no
  # procps needed; "[-]" keeps grep from finding itself).
  sleep 0.5
  left=$(for d in /proc/[0-9]*; do
           tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -q -- "[-]-out $dir" &&
             echo "${d#/proc/}"
         done)
  if [ -n "$left" ]; then
    fail "SIG$sig: a worker outlived softcheck: pid $left"
    kill -KILL $left 2>/dev/null
  fi
done
[ "$status" -eq 0 ] && echo "interrupted: ok"
exit "$status"
