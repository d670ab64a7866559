# Another CPU with Debian's cross gcc (gcc-aarch64-linux-gnu,
# gcc-s390x-linux-gnu, ...) and its cross libc in /usr/<triplet>; the
# tests run under qemu-user with that libc as their root.  Which CPU:
# MAPBUF_CROSS, as a cache variable or from the environment.
#   cmake -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/qemu.cmake \
#         -DMAPBUF_CROSS=aarch64 -DMAPBUF_WITH_LUA=OFF
if(NOT MAPBUF_CROSS)
  set(MAPBUF_CROSS "$ENV{MAPBUF_CROSS}")
endif()
if(NOT MAPBUF_CROSS)
  message(FATAL_ERROR "qemu.cmake: say which CPU with -DMAPBUF_CROSS=aarch64 (or s390x, ...)")
endif()
set(ENV{MAPBUF_CROSS} "${MAPBUF_CROSS}")   # for CMake's try_compile runs
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${MAPBUF_CROSS})
set(_triplet ${MAPBUF_CROSS}-linux-gnu)
set(CMAKE_C_COMPILER ${_triplet}-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/${_triplet})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-${MAPBUF_CROSS} -L /usr/${_triplet})
