# FindMapbufLua.cmake - the Lua that mapbuf's binding builds for (our own
# find module: CMake's FindLua gives no imported target and knows no
# LuaJIT).  Installed with the package, so that mapbufConfig.cmake finds
# the same kind of Lua again (find_dependency) wherever it is installed.
#
# Input:
#   MAPBUF_LUA        5.1, 5.2, 5.3, 5.4 or jit; empty: the newest found
#                     (5.4 first, LuaJIT last)
#   MapbufLua_ROOT    a prefix to look in first (CMake's <Package>_ROOT)
# Output:
#   MapbufLua::Headers  imported INTERFACE target: Lua's include directory
#   MapbufLua::Lua      imported target: the headers and the library
#   MapbufLua_FOUND, MapbufLua_VERSION (5.4.4 / 2.1.0), MapbufLua_ABI (5.4;
#   5.1 for LuaJIT), MapbufLua_KIND (5.1 .. 5.4 or jit), MapbufLua_INCLUDE_DIR,
#   MapbufLua_LIBRARY, MapbufLua_EXECUTABLE (the interpreter, if there is
#   one), MapbufLua_PKGCONFIG (the pkg-config name of that Lua, if any)
include(FindPackageHandleStandardArgs)

set(_mbl_kinds 5.4 5.3 5.2 5.1 jit)
if(MAPBUF_LUA)
  if(NOT MAPBUF_LUA IN_LIST _mbl_kinds)
    message(FATAL_ERROR "MAPBUF_LUA must be one of ${_mbl_kinds}, not '${MAPBUF_LUA}'")
  endif()
  set(_mbl_kinds ${MAPBUF_LUA})
endif()

foreach(_k IN LISTS _mbl_kinds)
  if(_k STREQUAL "jit")
    set(_nd jit)
    set(_sfx luajit-2.1 luajit-2.0 luajit)
    set(_libs luajit-5.1 luajit)
    set(_exes luajit)
    set(_pcs luajit)
    set(_hdr luajit.h)
  else()
    string(REPLACE "." "" _nd ${_k})
    set(_sfx lua${_k} lua${_nd} lua-${_k} lua)
    set(_libs lua${_k} lua${_nd} lua-${_k})
    set(_exes lua${_k} lua${_nd} lua-${_k})
    set(_pcs lua${_k} lua${_nd} lua-${_k})
    set(_hdr lua.h)
  endif()
  find_path(MapbufLua_INCLUDE_DIR_${_nd} ${_hdr} PATH_SUFFIXES ${_sfx})
  set(_inc ${MapbufLua_INCLUDE_DIR_${_nd}})
  if(NOT _inc)
    continue()
  endif()
  # the header must be of this version (a bare include/lua.h may be any)
  file(STRINGS "${_inc}/lua.h" _vnum REGEX "^#define[ \t]+LUA_VERSION_NUM[ \t]+[0-9]+")
  string(REGEX REPLACE ".*LUA_VERSION_NUM[ \t]+([0-9]+).*" "\\1" _vnum "${_vnum}")
  if(_k STREQUAL "jit")
    set(_want 501)
  else()
    string(REPLACE "." "0" _want ${_k})
  endif()
  if(NOT _vnum STREQUAL _want)
    continue()
  endif()
  find_library(MapbufLua_LIBRARY_${_nd} NAMES ${_libs})
  set(MapbufLua_LIBRARY ${MapbufLua_LIBRARY_${_nd}})
  find_program(MapbufLua_EXECUTABLE_${_nd} NAMES ${_exes})
  set(MapbufLua_EXECUTABLE ${MapbufLua_EXECUTABLE_${_nd}})
  set(MapbufLua_INCLUDE_DIR ${_inc})
  set(MapbufLua_KIND ${_k})
  if(_k STREQUAL "jit")
    set(MapbufLua_ABI 5.1)
    file(STRINGS "${_inc}/luajit.h" _v REGEX "^#define[ \t]+LUAJIT_VERSION[ \t]+\"")
    string(REGEX REPLACE ".*\"LuaJIT ([0-9.]+).*" "\\1" MapbufLua_VERSION "${_v}")
  else()
    set(MapbufLua_ABI ${_k})
    # 5.1 says "Lua 5.1.5"; later ones LUA_VERSION_RELEASE "4"
    file(STRINGS "${_inc}/lua.h" _v REGEX "^#define[ \t]+LUA_(VERSION_)?RELEASE[ \t]")
    set(MapbufLua_VERSION ${_k})
    foreach(_line IN LISTS _v)
      if(_line MATCHES "\"Lua ([0-9.]+)\"")
        set(MapbufLua_VERSION ${CMAKE_MATCH_1})
      elseif(_line MATCHES "LUA_VERSION_RELEASE[ \t]+\"([0-9]+)\"")
        set(MapbufLua_VERSION ${_k}.${CMAKE_MATCH_1})
      endif()
    endforeach()
  endif()
  # the name pkg-config knows this Lua by, for mapbuf-lua.pc's Requires
  set(MapbufLua_PKGCONFIG "")
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    foreach(_pc IN LISTS _pcs)
      execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --exists ${_pc}
                      RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
      if(_rc EQUAL 0)
        set(MapbufLua_PKGCONFIG ${_pc})
        break()
      endif()
    endforeach()
  endif()
  break()
endforeach()

find_package_handle_standard_args(MapbufLua
  REQUIRED_VARS MapbufLua_INCLUDE_DIR MapbufLua_KIND
  VERSION_VAR MapbufLua_VERSION)

if(MapbufLua_FOUND AND NOT TARGET MapbufLua::Headers)
  # GLOBAL: a project that has mapbuf as a subproject links them too
  add_library(MapbufLua::Headers INTERFACE IMPORTED GLOBAL)
  set_target_properties(MapbufLua::Headers PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${MapbufLua_INCLUDE_DIR}")
  add_library(MapbufLua::Lua INTERFACE IMPORTED GLOBAL)
  set_property(TARGET MapbufLua::Lua APPEND PROPERTY
    INTERFACE_LINK_LIBRARIES MapbufLua::Headers)
  if(MapbufLua_LIBRARY)
    set_property(TARGET MapbufLua::Lua APPEND PROPERTY
      INTERFACE_LINK_LIBRARIES "${MapbufLua_LIBRARY}")
  endif()
endif()
