// bobbin/version.hpp — the library's version, the one place it is written.
//
// CMake reads BOBBIN_VERSION_MAJOR/MINOR/PATCH from this file (project(VERSION)),
// and the package config, pkg-config file, Conan recipe and vcpkg port follow it.
#pragma once

#define BOBBIN_VERSION_MAJOR 0
#define BOBBIN_VERSION_MINOR 1
#define BOBBIN_VERSION_PATCH 0

// One number for comparisons: 10000 * major + 100 * minor + patch.
#define BOBBIN_VERSION \
  (BOBBIN_VERSION_MAJOR * 10000 + BOBBIN_VERSION_MINOR * 100 + BOBBIN_VERSION_PATCH)
