# Installs the build into BUILD/package-prefix, configures the consumer in
# SOURCE against it, builds it and runs its test.
set(prefix ${BUILD}/package-prefix)
set(consumer ${BUILD}/package-consumer)
file(REMOVE_RECURSE ${prefix} ${consumer})
foreach(step
    "${CMAKE_COMMAND};--install;${BUILD};--prefix;${prefix}"
    "${CMAKE_COMMAND};-S;${SOURCE};-B;${consumer};-DCMAKE_PREFIX_PATH=${prefix};-DCMAKE_CXX_COMPILER=${CXX}"
    "${CMAKE_COMMAND};--build;${consumer}"
    "${consumer}/my_kernel_test")
  execute_process(COMMAND ${step} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${step}\n${out}\n${err}")
  endif()
endforeach()
message(STATUS "installed, found, built and gated:\n${out}")
