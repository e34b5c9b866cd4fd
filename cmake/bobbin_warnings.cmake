# bobbin_target_warnings(<target>)
#
# With BOBBIN_WERROR on, builds one of the project's own programs (a test, an example, the
# benchmark) with strict warnings as errors. The bobbin INTERFACE target never gets these
# flags: they would leak into every consumer's build.
function(bobbin_target_warnings target)
  if(NOT BOBBIN_WERROR)
    return()
  endif()
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 /permissive- /WX)
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
  endif()
endfunction()
