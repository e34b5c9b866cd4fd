# Builds and runs SOURCE with the flags that `pkg-config --cflags/--libs bobbin` give.
# Usage: cmake -DPKG_CONFIG=<exe> -DCXX=<compiler> -DSOURCE=<file> -DOUTPUT=<exe>
#              -P pkg_config.cmake
if(NOT PKG_CONFIG)
  message(STATUS "pkg-config not found: test skipped")
  return()
endif()

foreach(kind IN ITEMS cflags libs)
  execute_process(COMMAND "${PKG_CONFIG}" --${kind} bobbin
    OUTPUT_VARIABLE ${kind} OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
  message(STATUS "pkg-config --${kind} bobbin: ${${kind}}")
  separate_arguments(${kind} UNIX_COMMAND "${${kind}}")
endforeach()

execute_process(COMMAND "${CXX}" ${cflags} "${SOURCE}" -o "${OUTPUT}" ${libs}
  COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND "${OUTPUT}" COMMAND_ERROR_IS_FATAL ANY)
