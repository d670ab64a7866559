-- LuaRocks: builds the C module mapbuf.so (core and binding in one file)
-- and installs it with the pure-Lua modules.  The version is kept in step
-- with MAPBUF_VERSION in src/core/mapbuf.h and project() in CMakeLists.txt
-- (spec/embed/version_spec.lua checks both, and that the C sources listed
-- here are exactly CMake's lists for the module).  Install from a checkout
-- with the command the README gives:
--   luarocks --lua-version 5.4 make mapbuf-0.1.0-1.rockspec
rockspec_format = "3.0"
package = "mapbuf"
version = "0.1.0-1"
source = {
  -- where the project's repository is published (luarocks make, from a
  -- checkout, does not fetch it)
  url = "git+https://github.com/mapbuf/mapbuf.git",
  tag = "v0.1.0",
}
description = {
  summary = "Memory-mapped files, shared memory and host memory as Lua objects",
  license = "MIT",
  detailed = [[
mapbuf maps files, anonymous and POSIX shared memory into Lua (5.1 to
5.4, and LuaJIT) as objects with string-like random access (1-based), a
file-like stream, Lua patterns and string.pack over the mapped bytes
without copying, views, typed arrays with bulk arithmetic in C,
checksums, atomics, futex wait/wake and byte-range locks.]],
}
dependencies = {
  "lua >= 5.1, < 5.5",   -- 5.1 (and LuaJIT) .. 5.4, from one source
}
build = {
  type = "builtin",
  modules = {
    mapbuf = {
      sources = {
        "src/core/bytes.c",
        "src/core/checksum.c",
        "src/core/elements.c",
        "src/core/elemx86.c",
        "src/core/guard.c",
        "src/core/ipc.c",
        "src/core/map.c",
        "src/core/mutex.c",
        "src/core/pattern_compile.c",
        "src/core/pattern_exec.c",
        "src/core/ring.c",
        "src/core/search.c",
        "src/core/simd.c",
        "src/core/posix/cpu.c",
        "src/core/posix/file.c",
        "src/core/posix/guard.c",
        "src/core/posix/ipc.c",
        "src/core/posix/live.c",
        "src/core/posix/map.c",
        "src/core/posix/shm.c",
        "src/lua/larray.c",
        "src/lua/lcommon.c",
        "src/lua/lcompat.c",
        "src/lua/lembed.c",
        "src/lua/lipc.c",
        "src/lua/lmap.c",
        "src/lua/lpack.c",
        "src/lua/lring.c",
        "src/lua/lsearch.c",
        "src/lua/lstream.c",
        "src/lua/lxform.c",
        "src/lua/module.c",
      },
      defines = { "_GNU_SOURCE", "_FILE_OFFSET_BITS=64" },
      incdirs = { "src/core", "src/core/posix", "src/lua" },
      libraries = { "pthread", "m" },
    },
    ["mapbuf.ring"] = "lua/mapbuf/ring.lua",
  },
  copy_directories = { "docs", "examples" },
}
