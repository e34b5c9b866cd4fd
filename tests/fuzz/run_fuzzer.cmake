# run_fuzzer.cmake: runs one libFuzzer target for a fixed time over a copy of its seed corpus.
#
#   cmake -DFUZZER=<exe> -DSEEDS=<seed dir> -DWORK=<scratch dir> -DSECONDS=<n> -P run_fuzzer.cmake
#
# The seeds are copied to <WORK>/corpus, which libFuzzer may grow; crash, leak and timeout
# inputs are written to <WORK>/ (never into the source tree). Fails if the fuzzer does.
foreach(var IN ITEMS FUZZER SEEDS WORK SECONDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}/corpus")
file(MAKE_DIRECTORY "${WORK}/corpus")
if(IS_DIRECTORY "${SEEDS}")
  file(GLOB seeds "${SEEDS}/*")
  if(seeds)
    file(COPY ${seeds} DESTINATION "${WORK}/corpus")
  endif()
endif()
execute_process(
  COMMAND "${FUZZER}" "-max_total_time=${SECONDS}" "-timeout=30" "-print_final_stats=1"
          "-artifact_prefix=${WORK}/" "${WORK}/corpus"
  WORKING_DIRECTORY "${WORK}"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${result}); the failing input is in ${WORK}/")
endif()
