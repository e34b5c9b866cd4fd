# The package recipes' install, emulated: what conanfile.py and ports/bobbin/portfile.cmake
# rely on, checked without Conan or vcpkg (neither is available as a Debian package or on
# PyPI for this build). Two modes:
#
#   cmake -DMODE=check -DSOURCE_DIR=<bobbin> -DVERSION=<x.y.z> -DPYTHON=<exe> -DWORK_DIR=<dir>
#         -P recipe.cmake
#       Static checks: conanfile.py and test_package/conanfile.py compile (py_compile);
#       ports/bobbin/vcpkg.json is valid JSON whose "version" is VERSION (version.hpp's);
#       the recipe reads its version from version.hpp instead of writing it; the recipe and
#       the port set the same BOBBIN_* options.
#
#   cmake -DMODE=install -DSOURCE_DIR=<bobbin> -DWORK_DIR=<dir> -DPREFIX=<stage>
#         -DGENERATOR=<g> [-DMAKE_PROGRAM=<m>] -DCXX=<compiler> [-DCXX_FLAGS=<flags>] -P recipe.cmake
#       Configures a fresh build of SOURCE_DIR with the BOBBIN_* options the portfile passes
#       (tests, examples and benchmarks off, install on), builds it and installs it into PREFIX,
#       as vcpkg_cmake_configure/vcpkg_cmake_install and Conan's CMake.configure/install do.
#       Then test_package/ is built against PREFIX (see tests/package/CMakeLists.txt).
cmake_minimum_required(VERSION 3.21)

# The -DBOBBIN_<OPTION>=<ON|OFF> lines of the portfile, as a list of "NAME=VALUE".
function(portfile_options out)
  file(STRINGS "${SOURCE_DIR}/ports/bobbin/portfile.cmake" lines REGEX "^ *-DBOBBIN_[A-Z_]+=")
  set(options "")
  foreach(line IN LISTS lines)
    string(REGEX MATCH "BOBBIN_[A-Z_]+=[A-Z]+" option "${line}")
    list(APPEND options "${option}")
  endforeach()
  if(options STREQUAL "")
    message(FATAL_ERROR "ports/bobbin/portfile.cmake passes no -DBOBBIN_* options")
  endif()
  list(SORT options)
  set(${out} "${options}" PARENT_SCOPE)
endfunction()

portfile_options(port_options)

if(MODE STREQUAL "check")
  # Both recipes must be valid Python; byte code goes to WORK_DIR, not the source tree.
  foreach(recipe IN ITEMS conanfile.py test_package/conanfile.py)
    execute_process(
      COMMAND "${CMAKE_COMMAND}" -E env "PYTHONPYCACHEPREFIX=${WORK_DIR}/pycache"
              "${PYTHON}" -m py_compile "${SOURCE_DIR}/${recipe}"
      RESULT_VARIABLE failed)
    if(failed)
      message(FATAL_ERROR "${recipe} does not compile")
    endif()
    message(STATUS "${recipe}: compiles")
  endforeach()

  # vcpkg.json: valid JSON (string(JSON) fails on anything else), the right name and version.
  file(READ "${SOURCE_DIR}/ports/bobbin/vcpkg.json" manifest)
  string(JSON port_name ERROR_VARIABLE error GET "${manifest}" name)
  if(error)
    message(FATAL_ERROR "ports/bobbin/vcpkg.json is not valid JSON: ${error}")
  endif()
  string(JSON port_version GET "${manifest}" version)
  if(NOT port_name STREQUAL "bobbin" OR NOT port_version STREQUAL VERSION)
    message(FATAL_ERROR
      "ports/bobbin/vcpkg.json says ${port_name} ${port_version}; version.hpp says ${VERSION}")
  endif()
  message(STATUS "vcpkg.json: valid, bobbin ${port_version}")

  # conanfile.py: the version comes from version.hpp, never a literal.
  file(READ "${SOURCE_DIR}/conanfile.py" conanfile)
  if(conanfile MATCHES "\n +version *= *[\"']" OR NOT conanfile MATCHES "version\\.hpp")
    message(FATAL_ERROR "conanfile.py must read its version from include/bobbin/version.hpp")
  endif()

  # The Conan toolchain's BOBBIN_* cache variables are the portfile's options.
  string(REGEX MATCHALL "cache_variables\\[\"BOBBIN_[A-Z_]+\"\\] *= *(True|False)"
         assignments "${conanfile}")
  set(conan_options "")
  foreach(assignment IN LISTS assignments)
    string(REGEX MATCH "BOBBIN_[A-Z_]+" name "${assignment}")
    if(assignment MATCHES "True$")
      list(APPEND conan_options "${name}=ON")
    else()
      list(APPEND conan_options "${name}=OFF")
    endif()
  endforeach()
  list(SORT conan_options)
  if(NOT conan_options STREQUAL port_options)
    message(FATAL_ERROR "conanfile.py sets ${conan_options}; the portfile ${port_options}")
  endif()
  message(STATUS "recipe and port options agree: ${port_options}")

elseif(MODE STREQUAL "install")
  set(build_dir "${WORK_DIR}/build")
  file(REMOVE_RECURSE "${build_dir}" "${PREFIX}")
  set(options "")
  foreach(option IN LISTS port_options)
    list(APPEND options "-D${option}")
  endforeach()
  set(make_program "")
  if(MAKE_PROGRAM)
    set(make_program "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
  endif()
  message(STATUS "configure with ${options}")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${build_dir}" -G "${GENERATOR}"
            ${make_program}
            "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
            -DCMAKE_BUILD_TYPE=Release ${options}
    COMMAND_ERROR_IS_FATAL ANY)
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${build_dir}" COMMAND_ERROR_IS_FATAL ANY)
  execute_process(COMMAND "${CMAKE_COMMAND}" --install "${build_dir}" --prefix "${PREFIX}"
                  COMMAND_ERROR_IS_FATAL ANY)

  # What the recipes package: the headers, the CMake package config and bobbin.pc.
  foreach(file IN ITEMS include/bobbin/bobbin.hpp include/bobbin/version.hpp
                        share/cmake/bobbin/bobbinConfig.cmake
                        share/cmake/bobbin/bobbinConfigVersion.cmake
                        share/pkgconfig/bobbin.pc)
    if(NOT EXISTS "${PREFIX}/${file}")
      message(FATAL_ERROR "the install has no ${file}")
    endif()
  endforeach()
  # A header-only package: the configuration built nothing that gets installed.
  file(GLOB_RECURSE binaries "${PREFIX}/*.a" "${PREFIX}/*.so" "${PREFIX}/*.so.*" "${PREFIX}/bin/*")
  if(binaries)
    message(FATAL_ERROR "a header-only install holds binaries: ${binaries}")
  endif()
  # Only the three kinds of file above: nothing from tests, examples or benchmarks.
  file(GLOB_RECURSE installed RELATIVE "${PREFIX}" "${PREFIX}/*")
  foreach(file IN LISTS installed)
    if(NOT file MATCHES "^(include/bobbin/|share/cmake/bobbin/|share/pkgconfig/bobbin\\.pc$)")
      message(FATAL_ERROR "the install holds an unexpected file: ${file}")
    endif()
  endforeach()
  message(STATUS "installed into ${PREFIX}")
else()
  message(FATAL_ERROR "recipe.cmake: MODE must be check or install")
endif()
