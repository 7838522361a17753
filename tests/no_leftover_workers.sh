# Sourced by the interrupted.sh tests (tests/gate, tests/report).
#   no_leftover_workers PATTERN WHAT
# A worker that outlived softcheck has softcheck's own command line, report
# paths included: after half a second, any process whose command line
# matches PATTERN (a grep regular expression; write its first character as
# "[-]" so that grep does not find itself) is a failure, reported through the
# caller's fail() as WHAT, and killed. Read from /proc: no procps needed.
no_leftover_workers() {
  local d left=""
  sleep 0.5
  for d in /proc/[0-9]*; do
    tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -q -- "$1" && left="$left ${d#/proc/}"
  done
  if [ -n "$left" ]; then
    fail "$2: a worker outlived softcheck: pid$left"
    kill -KILL $left 2>/dev/null
  fi
}
