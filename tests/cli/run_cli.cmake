# Runs EXE with ARGS and checks the exit code and (stdout + stderr) against
# MATCH / NOMATCH regular expressions. STDOUT, if set, is where stdout goes
# instead of being captured: a file (/dev/full), or "closed" for a closed
# descriptor (through sh, as `EXE ARGS >&-`).
separate_arguments(args UNIX_COMMAND "${ARGS}")
set(out "")
if(STDOUT STREQUAL "closed")
  execute_process(COMMAND sh -c "exec \"$0\" \"$@\" >&-" ${EXE} ${args}
    RESULT_VARIABLE rc ERROR_VARIABLE err)
elseif(STDOUT)
  execute_process(COMMAND ${EXE} ${args} RESULT_VARIABLE rc
    OUTPUT_FILE ${STDOUT} ERROR_VARIABLE err)
else()
  execute_process(COMMAND ${EXE} ${args} RESULT_VARIABLE rc
    OUTPUT_VARIABLE out ERROR_VARIABLE err)
endif()
set(all "${out}${err}")
if(NOT rc STREQUAL EXPECT_EXIT)
  message(FATAL_ERROR "exit ${rc}, expected ${EXPECT_EXIT}\n${all}")
endif()
if(ONE_LINE)
  string(REGEX MATCHALL "\n" breaks "${err}")
  list(LENGTH breaks nbreaks)
  if(NOT nbreaks EQUAL 1 OR NOT err MATCHES "\n$")
    message(FATAL_ERROR "expected exactly one line on stderr, got:\n${err}")
  endif()
endif()
if(MATCH)
  string(REPLACE "\n" " " subject "${all}")
  if(NOT subject MATCHES "${MATCH}")
    message(FATAL_ERROR "output does not match '${MATCH}':\n${all}")
  endif()
endif()
if(NOMATCH AND all MATCHES "${NOMATCH}")
  message(FATAL_ERROR "output matches '${NOMATCH}':\n${all}")
endif()
message(STATUS "ok: ${all}")
