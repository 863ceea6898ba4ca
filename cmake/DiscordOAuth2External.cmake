# Builds discord-oauth2 from its sources as part of a CMake project, with meson, and gives the
# target discord-oauth2::discord-oauth2 (the static library, its headers, its dependencies):
#
#   include(third_party/discord-oauth2/cmake/DiscordOAuth2External.cmake)
#   discord_oauth2_add_external(SOURCE_DIR ${CMAKE_CURRENT_SOURCE_DIR}/third_party/discord-oauth2)
#   target_link_libraries(bot PRIVATE discord-oauth2::discord-oauth2)
#
# The sources are a directory (a git submodule, an unpacked release, FetchContent's): nothing is
# downloaded here, so it builds offline. Needs meson and ninja, and the library's dependencies
# installed (Debian: libasio-dev libcurl4-openssl-dev libsimdjson-dev libfmt-dev libssl-dev
# libsqlite3-dev). Without PostgreSQL support: add -Dpostgres=enabled to MESON_OPTIONS for it.
#
#   discord_oauth2_add_external(SOURCE_DIR dir
#                               [BUILD_TYPE release|debugoptimized|debug|plain]   (default release)
#                               [MESON_OPTIONS -Dname=value ...])
include_guard(GLOBAL)
include(ExternalProject)

function(discord_oauth2_add_external)
  cmake_parse_arguments(ARG "" "SOURCE_DIR;BUILD_TYPE" "MESON_OPTIONS" ${ARGN})
  if(NOT ARG_SOURCE_DIR OR NOT EXISTS "${ARG_SOURCE_DIR}/meson.build")
    message(FATAL_ERROR "discord_oauth2_add_external: SOURCE_DIR must be discord-oauth2's source directory "
                        "(the one with meson.build), not '${ARG_SOURCE_DIR}'")
  endif()
  if(NOT ARG_BUILD_TYPE)
    set(ARG_BUILD_TYPE release)
  endif()
  find_program(DISCORD_OAUTH2_MESON meson REQUIRED)
  find_program(DISCORD_OAUTH2_NINJA NAMES ninja ninja-build REQUIRED)
  find_package(Threads REQUIRED)
  find_package(CURL REQUIRED)
  find_package(OpenSSL REQUIRED)
  find_package(fmt REQUIRED)
  find_package(SQLite3 REQUIRED)
  find_package(simdjson REQUIRED)

  set(prefix "${CMAKE_CURRENT_BINARY_DIR}/discord-oauth2")
  set(library "${prefix}/lib/${CMAKE_STATIC_LIBRARY_PREFIX}discord-oauth2${CMAKE_STATIC_LIBRARY_SUFFIX}")
  ExternalProject_Add(discord_oauth2_external
    SOURCE_DIR "${ARG_SOURCE_DIR}"
    BINARY_DIR "${prefix}-build"
    INSTALL_DIR "${prefix}"
    CONFIGURE_COMMAND "${DISCORD_OAUTH2_MESON}" setup <BINARY_DIR> <SOURCE_DIR>
                      --prefix=<INSTALL_DIR> --libdir=lib --buildtype=${ARG_BUILD_TYPE}
                      -Ddefault_library=static -Dtests=false -Dbench=false -Dtools=false
                      ${ARG_MESON_OPTIONS}
    BUILD_COMMAND "${DISCORD_OAUTH2_NINJA}" -C <BINARY_DIR>
    INSTALL_COMMAND "${DISCORD_OAUTH2_MESON}" install -C <BINARY_DIR> --no-rebuild --quiet
    BUILD_ALWAYS ON # ninja knows when nothing changed
    BUILD_BYPRODUCTS "${library}")
  # The include directory must exist when the target is defined; the install fills it.
  file(MAKE_DIRECTORY "${prefix}/include")

  add_library(discord-oauth2::discord-oauth2 STATIC IMPORTED GLOBAL)
  set_target_properties(discord-oauth2::discord-oauth2 PROPERTIES
    IMPORTED_LOCATION "${library}"
    INTERFACE_INCLUDE_DIRECTORIES "${prefix}/include"
    # As the installed package: Asio's coroutines and its allocator decided once for everybody.
    INTERFACE_COMPILE_DEFINITIONS "ASIO_HAS_CO_AWAIT;ASIO_HAS_STD_COROUTINE;ASIO_NO_DEPRECATED;ASIO_HAS_STD_ALIGNED_ALLOC"
    INTERFACE_COMPILE_FEATURES cxx_std_20
    INTERFACE_LINK_LIBRARIES "CURL::libcurl;OpenSSL::SSL;OpenSSL::Crypto;fmt::fmt;SQLite::SQLite3;simdjson::simdjson;Threads::Threads")
  add_dependencies(discord-oauth2::discord-oauth2 discord_oauth2_external)
endfunction()
