# vcpkg overlay port for bobbin (header-only).
#
#   vcpkg install bobbin --overlay-ports=<bobbin>/ports
#
# The port builds the source tree it sits in. To publish it in a registry, replace SOURCE_PATH
# with vcpkg_from_github(OUT_SOURCE_PATH SOURCE_PATH REPO <owner>/bobbin REF "v${VERSION}" ...).
# The version in vcpkg.json must equal include/bobbin/version.hpp's (tests/package checks it).
set(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../..")

# Header-only: one release configuration, so there is no debug tree to prune.
set(VCPKG_BUILD_TYPE release)

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DBOBBIN_BUILD_TESTS=OFF
    -DBOBBIN_BUILD_EXAMPLES=OFF
    -DBOBBIN_BUILD_BENCHMARKS=OFF
    -DBOBBIN_INSTALL=ON
)
vcpkg_cmake_install()

# bobbin installs its package config in share/cmake/bobbin; vcpkg wants it in share/bobbin.
vcpkg_cmake_config_fixup(PACKAGE_NAME bobbin CONFIG_PATH share/cmake/bobbin)
vcpkg_fixup_pkgconfig()

# Header-only: no debug headers (there is no debug build; this keeps it so if one appears).
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug/include" "${CURRENT_PACKAGES_DIR}/debug/share")

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
