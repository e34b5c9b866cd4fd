"""Conan 2 recipe for bobbin, a header-only C++20 library.

    conan create .                      # package it and build test_package/ against it
    conan install --requires=bobbin/<version>

The version is read from include/bobbin/version.hpp, the one place it is written. The
package is made by bobbin's own CMake install with tests, examples and benchmarks off (the
same configuration the vcpkg port in ports/bobbin/ uses); tests/package/ checks that install
and builds test_package/ against it. Consumers see the names the CMake install gives them:
find_package(bobbin) and the target bobbin::bobbin (CMakeDeps), and bobbin.pc
(PkgConfigDeps). Conan generates those files itself, so the installed copies are removed.
"""

import os
import re

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeToolchain, cmake_layout
from conan.tools.files import copy, load, rmdir

required_conan_version = ">=2.0"


class BobbinConan(ConanFile):
    name = "bobbin"
    description = "Node.js worker_threads and Web Atomics concurrency for C++20 threads"
    license = "MIT"
    topics = ("concurrency", "threads", "atomics", "event-loop", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    exports_sources = "CMakeLists.txt", "cmake/*", "include/*", "LICENSE*"
    no_copy_source = True

    def set_version(self):
        header = load(self, os.path.join(self.recipe_folder, "include", "bobbin", "version.hpp"))
        parts = []
        for part in ("MAJOR", "MINOR", "PATCH"):
            match = re.search(rf"^#define BOBBIN_VERSION_{part} +(\d+)", header, re.MULTILINE)
            if match is None:
                raise ValueError(f"version.hpp has no BOBBIN_VERSION_{part}")
            parts.append(match.group(1))
        self.version = ".".join(parts)

    def layout(self):
        cmake_layout(self)

    def package_id(self):
        # Header-only: one package serves every setting.
        self.info.clear()

    def validate(self):
        if self.settings.get_safe("compiler.cppstd"):
            check_min_cppstd(self, 20)

    def generate(self):
        toolchain = CMakeToolchain(self)
        toolchain.cache_variables["BOBBIN_BUILD_TESTS"] = False
        toolchain.cache_variables["BOBBIN_BUILD_EXAMPLES"] = False
        toolchain.cache_variables["BOBBIN_BUILD_BENCHMARKS"] = False
        toolchain.cache_variables["BOBBIN_INSTALL"] = True
        toolchain.generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()

    def package(self):
        copy(self, "LICENSE*", src=self.source_folder,
             dst=os.path.join(self.package_folder, "licenses"))
        cmake = CMake(self)
        cmake.install()
        # CMakeDeps and PkgConfigDeps write these from package_info() below.
        rmdir(self, os.path.join(self.package_folder, "share"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "bobbin")
        self.cpp_info.set_property("cmake_target_name", "bobbin::bobbin")
        self.cpp_info.set_property("pkg_config_name", "bobbin")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread"]
