# Where jmem's libraries come from, in one place.
#
# The developer build links Debian 12's packages. The release build (JMEM_PORTABLE, made by
# packaging/build-deb.sh in a Debian 11 root) must run on every JetPack, whose releases ship these
# libraries in older versions or not at all (packaging/README.md): spdlog, fmt, toml++ and nlohmann-json
# are used header-only from JMEM_VENDOR_INCLUDE, sdbus-c++ is a static library found through
# CMAKE_PREFIX_PATH, and libstdc++ is linked in, so the package needs only libc6 and libsystemd0.
option(JMEM_PORTABLE "Header-only and static libraries, for the release package" OFF)
set(JMEM_VENDOR_INCLUDE "" CACHE PATH "JMEM_PORTABLE: the headers of spdlog, fmt, toml++ and nlohmann-json")

find_package(PkgConfig REQUIRED)
# Named as sdbus-c++'s static build expects it.
pkg_check_modules(Systemd REQUIRED IMPORTED_TARGET GLOBAL libsystemd)

if(JMEM_PORTABLE)
  if(NOT IS_DIRECTORY "${JMEM_VENDOR_INCLUDE}/spdlog")
    message(FATAL_ERROR "JMEM_PORTABLE needs JMEM_VENDOR_INCLUDE (now \"${JMEM_VENDOR_INCLUDE}\") to hold spdlog/")
  endif()
  add_library(jmem_vendor_headers INTERFACE)
  target_include_directories(jmem_vendor_headers SYSTEM INTERFACE ${JMEM_VENDOR_INCLUDE})
  add_library(spdlog::spdlog ALIAS jmem_vendor_headers)
  add_library(tomlplusplus::tomlplusplus ALIAS jmem_vendor_headers)
  add_library(nlohmann_json::nlohmann_json ALIAS jmem_vendor_headers)
  # Debian's spdlog headers expect an external fmt; both compiled into each user.
  target_compile_definitions(jmem_vendor_headers INTERFACE FMT_HEADER_ONLY=1)
  add_link_options(-static-libstdc++ -static-libgcc)
  set(jmem_sdbus_version 2.1)
else()
  find_package(nlohmann_json 3.10 REQUIRED)
  find_package(spdlog 1.10 REQUIRED)
  find_package(tomlplusplus 3.3 REQUIRED)
  set(jmem_sdbus_version 1.2)
endif()

# bus/sdbus_compat.h hides where 1.2 and 2.1 differ; a static sdbus-c++ needs the threads library named.
find_package(Threads REQUIRED)
find_package(sdbus-c++ ${jmem_sdbus_version} REQUIRED)
target_compile_definitions(SDBusCpp::sdbus-c++ INTERFACE JMEM_SDBUS_MAJOR=${sdbus-c++_VERSION_MAJOR})
find_package(sdbus-c++-tools ${jmem_sdbus_version} REQUIRED)
