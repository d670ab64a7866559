# Cross-compiling for Windows x86-64 with Debian's mingw-w64 (the posix
# threads flavour: winpthreads gives the core its pthread_once/mutex), and
# running what was built under wine, which ctest uses for every test:
#   cmake -B build-win/mapbuf -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
#         -DMAPBUF_WIN_LUA=build-win/lua
# (.ci/windows does exactly that).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(_mb_triple x86_64-w64-mingw32)
find_program(CMAKE_C_COMPILER NAMES ${_mb_triple}-gcc-posix ${_mb_triple}-gcc REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${_mb_triple}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${_mb_triple})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# libgcc and winpthreads linked in, so the .exe and .dll files run under
# wine without mingw's runtime DLLs on its path
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static")
# Debian's wine64 package puts the loader in /usr/lib/wine; `wine` adds
# /usr/bin/wine
find_program(MAPBUF_WINE NAMES wine64 wine PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(MAPBUF_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${MAPBUF_WINE})
endif()
