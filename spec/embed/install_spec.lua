-- cmake --install: the installed tree, and an outside project (examples/embed)
-- built against it with find_package and with pkg-config.
local H = require "spec.helper"
local P = require "spec.embed.prefix"

local sh, q = P.sh, H.q

local function exists(p) return H.sh("test -e " .. q(p)) end

describe("the installed tree", function()
  local prefix, version
  setup(function()
    prefix = P.prefix()
    version = P.version()
  end)

  it("has the core library, shared, its SONAME naming the ABI (0.x: the minor)", function()
    local lib = prefix .. "/lib/"
    local abi = version:match("^(%d+%.%d+)")
    local out, code = sh("readelf -d " .. q(lib .. "libmapbuf.so"))
    assert.equals(0, code)
    assert.matches("Library soname: %[libmapbuf%.so%." .. abi:gsub("%.", "%%.") .. "%]", out)
    -- the links developers and the loader follow, down to the versioned file
    assert.equals("libmapbuf.so." .. abi, (sh("readlink " .. q(lib .. "libmapbuf.so")):gsub("\n", "")))
    assert.equals("libmapbuf.so." .. version,
                  (sh("readlink " .. q(lib .. "libmapbuf.so." .. abi)):gsub("\n", "")))
    -- the glue library too; it finds the core next to itself, and it does
    -- not link Lua: the host's Lua is the one it uses
    out = sh("readelf -d " .. q(lib .. "libmapbuf-lua.so"))
    assert.matches("Library soname: %[libmapbuf%-lua%.so%." .. abi:gsub("%.", "%%.") .. "%]", out)
    assert.matches("NEEDED.-%[libmapbuf%.so%." .. abi:gsub("%.", "%%.") .. "%]", out)
    assert.matches("RUNPATH.-%[%$ORIGIN%]", out)
    assert.not_matches("liblua", out)
    -- the symbols carry the ABI's version node
    out = sh("objdump -T " .. q(lib .. "libmapbuf.so"))
    assert.matches("MAPBUF_0%.1%s+mb_open", out)
  end)

  it("has the glue static too, and the module exports only its openers", function()
    local out, code = sh("nm -g --defined-only " .. q(prefix .. "/lib/libmapbuf-lua.a"))
    assert.equals(0, code)
    assert.matches("T luaopen_mapbuf\n", out)
    assert.matches("T mapbuf_pushmemory\n", out)
    out = sh("nm -D --defined-only " .. q(prefix .. "/lib/lua/" .. H.luaabi .. "/mapbuf.so"))
    local names = {}
    for name in out:gmatch("%x+ T ([%w_]+)") do names[#names + 1] = name end
    table.sort(names)
    assert.same({"luaopen_mapbuf", "luaopen_mapbuf_maps", "luaopen_mapbuf_ring"}, names)
  end)

  it("has the core library, static", function()
    local out, code = sh("nm -g --defined-only " .. q(prefix .. "/lib/libmapbuf.a"))
    assert.equals(0, code)
    for _, f in ipairs {"mb_open", "mb_wrap", "mb_close", "mb_atomic_add"} do
      assert.matches("T " .. f .. "\n", out)
    end
    assert.not_matches("luaL_", out)   -- the core has no Lua in it
  end)

  it("has both headers, and each compiles on its own, as C and as C++", function()
    for _, h in ipairs {"mapbuf.h", "mapbuf_lua.h"} do
      assert.is_true(exists(prefix .. "/include/" .. h), h)
      local c = H.file('#include "' .. h .. '"\nint main(void) { return 0; }\n', ".c")
      local out, code = sh("cc -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"
        .. q(prefix .. "/include") .. " -I" .. q(H.luainc) .. " " .. q(c))
      assert.equals(0, code, out)
      local cc = H.file('#include "' .. h .. '"\nint main() { return 0; }\n', ".cc")
      out, code = sh("g++ -std=c++17 -Wall -Wextra -Werror -fsyntax-only -I"
        .. q(prefix .. "/include") .. " -I" .. q(H.luainc) .. " " .. q(cc))
      assert.equals(0, code, out)
    end
    -- the installed header says the version of the tree it came from
    assert.equals(H.readfile(H.src .. "/src/core/mapbuf.h"),
                  H.readfile(prefix .. "/include/mapbuf.h"))
  end)

  it("has the Lua module, loadable by the stock interpreter from there alone", function()
    local so = prefix .. "/lib/lua/" .. H.luaabi .. "/mapbuf.so"
    assert.is_true(exists(so))
    local f = H.file("0123456789")
    local code = [[
      local mapbuf = require "mapbuf"
      local where = package.searchpath("mapbuf", package.cpath)
      local m = assert(mapbuf.open(]] .. ("%q"):format(f) .. [[))
      local ring = require "mapbuf.ring"
      print(mapbuf._VERSION, where, m:sub(3, 5), type(ring),
            package.searchpath("mapbuf.ring", package.path))]]
    local out, st = sh("LUA_CPATH=" .. q(prefix .. "/lib/lua/" .. H.luaabi .. "/?.so")
      .. " LUA_PATH=" .. q(prefix .. "/share/lua/" .. H.luaabi .. "/?.lua")
      .. " " .. q(H.lua) .. " -e " .. q(H.searchpath_src .. code))
    assert.equals(0, st, out)
    assert.equals(("mapbuf %s\t%s\t234\ttable\t%s\n"):format(version, so,
      prefix .. "/share/lua/" .. H.luaabi .. "/mapbuf/ring.lua"), out)
  end)

  it("has the pure-Lua modules, as in the source tree", function()
    local list = sh("cd " .. q(H.src .. "/lua/mapbuf") .. " && ls *.lua")
    local n = 0
    for name in list:gmatch("[^\n]+") do
      n = n + 1
      assert.equals(H.readfile(H.src .. "/lua/mapbuf/" .. name),
                    H.readfile(prefix .. "/share/lua/" .. H.luaabi .. "/mapbuf/" .. name))
    end
    assert.is_true(n >= 1)
    assert.is_true(exists(prefix .. "/share/lua/" .. H.luaabi .. "/mapbuf/ring.lua"))
  end)

  it("has the host executable, which runs from there", function()
    local bin = prefix .. "/bin/mapbuf"
    local out, code = sh(q(bin) .. " -v")
    assert.equals(0, code)
    assert.matches(version, out, 1, true)
    out, code = sh(q(bin) .. " -e 'print(#m, m:sub(1, 3))' " .. q(H.file("abcdef")))
    assert.equals(0, code, out)
    assert.equals("6\tabc\n", out)
  end)

  it("has the man page", function()
    local man = prefix .. "/share/man/man1/mapbuf.1"
    assert.equals(H.readfile(H.src .. "/docs/mapbuf.1"), H.readfile(man))
    assert.matches("^[^\n]*\n?.-%.TH MAPBUF 1", H.readfile(man))
  end)

  it("has pkg-config files that point into the prefix", function()
    local out, code = sh(P.pkgenv() .. "pkg-config --modversion mapbuf mapbuf-lua")
    assert.equals(0, code, out)
    assert.equals(version .. "\n" .. version .. "\n", out)
    out = sh(P.pkgenv() .. "pkg-config --cflags --libs mapbuf-lua")
    assert.matches("%-I" .. prefix:gsub("%p", "%%%0") .. "/lib/pkgconfig/%.%./%.%./include", out)
    local lua = sh("pkg-config --cflags --libs " .. H.luapc)   -- Debian's names
    assert.matches("%-I" .. H.plain(H.luainc), out)
    assert.matches("%-lmapbuf%-lua %-lmapbuf " .. H.plain(lua:match("%-l%S+")), out)
    out = sh(P.pkgenv() .. "pkg-config --static --libs mapbuf")
    assert.matches("%-lmapbuf %-lpthread %-lm", out)
  end)

  it("has pkg-config files that still work when the tree is moved", function()
    local moved = H.tmpname("-moved")
    assert.equals(0, select(2, sh("cp -a " .. q(prefix) .. " " .. q(moved))))
    local out = sh("PKG_CONFIG_PATH=" .. q(moved .. "/lib/pkgconfig")
                   .. " pkg-config --variable=includedir mapbuf")
    assert.equals(moved .. "/lib/pkgconfig/../../include\n", out)
  end)

  it("has a CMake package of this version", function()
    local dir = prefix .. "/lib/cmake/mapbuf/"
    for _, f in ipairs {"mapbufConfig.cmake", "mapbufConfigVersion.cmake",
                        "mapbufTargets.cmake"} do
      assert.is_true(exists(dir .. f), f)
    end
    assert.matches('PACKAGE_VERSION "' .. version:gsub("%p", "%%%0") .. '"',
                   H.readfile(dir .. "mapbufConfigVersion.cmake"))
    local t = H.readfile(dir .. "mapbufTargets.cmake")
    for _, name in ipairs {"mapbuf::mapbuf", "mapbuf::mapbuf_static", "mapbuf::lua",
                           "mapbuf::lua_static"} do
      assert.truthy(t:find("add_library(" .. name .. " ", 1, true), name)
    end
    -- relocatable: no absolute path in any exported file (Lua is found
    -- again on the using machine, through find_dependency)
    for f in sh("ls " .. q(dir)):gmatch("[^\n]+") do
      local text = H.readfile(dir .. f)
      assert.is_falsy(text:find("/usr/", 1, true), f .. " names /usr/")
      assert.is_falsy(text:find(H.src, 1, true), f .. " names the source tree")
      assert.is_falsy(text:find(H.build, 1, true), f .. " names the build tree")
    end
    assert.matches("find_dependency%(MapbufLua%)", H.readfile(dir .. "mapbufConfig.cmake"))
  end)
end)

-- The example is copied out of the source tree, so nothing it builds lands
-- there, and checked the way its README says it runs.
describe("examples/embed against the installed tree", function()
  local prefix, src
  setup(function()
    prefix = P.prefix()
    src = H.tmpname("-embed")
    assert(H.sh("cp -r " .. q(H.src .. "/examples/embed") .. " " .. q(src)))
  end)
  teardown(H.cleanup)

  -- The frame after calibrate.lua with gain 3: the first 12 samples scaled.
  local calibrated = "frame SFRM seq=42 count=12 flags=0x0001 samples: "
    .. "0 114 213 276 300 276 213 114 0 -114 -213 -276 -100 -92 -71 -38\n"

  local function checkhost(bin)
    local out, code = sh("cd " .. q(src) .. " && " .. q(bin) .. " calibrate.lua 3")
    assert.equals(0, code, out)
    local lines = {}
    for l in out:gmatch("[^\n]*\n") do lines[#lines + 1] = l end
    assert.equals("released 1 time\n", lines[1])
    assert.equals(calibrated, lines[2])
    assert.equals("changed:\n", lines[3])
    assert.equals("  flags: 0x0000 -> 0x0001\n", lines[4])
    assert.equals("  sample[1]: 38 -> 114\n", lines[5])
    assert.equals(3 + 1 + 10, #lines)   -- samples 0 and 8 are 0: unchanged
    -- lent read-only: the first write raises, the frame is untouched
    out, code = sh("cd " .. q(src) .. " && " .. q(bin) .. " -r calibrate.lua")
    assert.equals(1, code)
    assert.matches("mapbuf: pack: map is read%-only", out)
    -- a script that changes nothing, and one that closes the frame itself
    local s = H.file("local m = ...; assert(m[1] == 83 and #m == 44)\n")
    out, code = sh(q(bin) .. " " .. q(s))
    assert.equals(0, code, out)
    assert.matches("released 1 time\n.*changed:\n  no change\n$", out)
    s = H.file("local m = ...; m[5] = 7; m:close()\n")
    out, code = sh(q(bin) .. " " .. q(s))
    assert.equals(0, code, out)
    assert.matches("^the script closed the frame\nreleased 1 time\n", out)
    assert.matches("changed:\n  seq: 42 %-> 7\n$", out)
  end

  local function checkfile(bin)
    local f = H.tmpname(".frame")
    local out, code = sh(q(bin) .. " write " .. q(f))
    assert.equals(0, code, out)
    assert.equals(44, #H.readfile(f))
    out, code = sh(q(prefix .. "/bin/mapbuf") .. " -w " .. q(src .. "/calibrate.lua")
                   .. " " .. q(f) .. " -- 3")
    assert.equals(0, code, out)
    out = sh(q(bin) .. " show " .. q(f))
    assert.equals(calibrated:gsub("seq=42", "seq=1"), out)
  end

  it("builds with find_package(mapbuf) and runs", function()
    local b = H.tmpname("-cmake")
    local flags = P.sanflags ~= "" and (" -DCMAKE_C_FLAGS=" .. P.sanflags) or ""
    local out, code = sh("cmake -S " .. q(src) .. " -B " .. q(b)
      .. " -DCMAKE_PREFIX_PATH=" .. q(prefix) .. flags
      .. " && cmake --build " .. q(b))
    assert.equals(0, code, out)
    assert.not_matches("warning", out)
    -- linked against the installed libraries, not the build tree's
    out = sh("ldd " .. q(b .. "/sensor-host"))
    assert.matches(prefix:gsub("%p", "%%%0") .. "/lib/libmapbuf%-lua%.so%.0", out)
    assert.not_matches("libmapbuf", (sh("ldd " .. q(b .. "/frame-file"))))  -- static
    checkhost(b .. "/sensor-host")
    checkfile(b .. "/frame-file")
  end)

  it("a C++ host builds against the installed tree and runs", function()
    local cc = H.file([[
#include <cstdio>
#include <cstring>
#include <vector>
#include "lua.hpp"          // Lua's C++ header: extern "C" where lua.h has none (LuaJIT)
#include "mapbuf_lua.h"
static int releases = 0;
static void released(void *, void *, size_t) { releases++; }
int main() {
  std::vector<unsigned char> buf(16, 0);
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  if (mapbuf_pushmemory(L, buf.data(), buf.size(), 1, released, nullptr) != 0) return 1;
  lua_setglobal(L, "m");
  if (luaL_dostring(L, "m:pack(1, '<I4', 0xABCD) return #m") != 0) return 2;
  int n = (int)lua_tointeger(L, -1);
  lua_close(L);
  std::printf("%d %d %x %d\n", n, releases, buf[0] | buf[1] << 8, mapbuf_version());
  return 0;
}
]], ".cc")
    local exe = H.tmpname("-cxx")
    local out, code = sh("export " .. P.pkgenv() .. "&& g++ -std=c++17 -Wall -Wextra -Werror "
      .. P.sanflags .. " -o " .. q(exe) .. " " .. q(cc)
      .. " $(pkg-config --cflags --libs mapbuf-lua) -Wl,-rpath," .. q(prefix .. "/lib"))
    assert.equals(0, code, out)
    out, code = sh(q(exe))
    assert.equals(0, code, out)
    assert.equals("16 1 abcd 100\n", out)
  end)

  it("builds statically against libmapbuf-lua.a and libmapbuf.a, by hand and with CMake", function()
    local exe = H.tmpname("-static")
    local lib = prefix .. "/lib/"
    local out, code = sh("cc -std=c11 -Wall -Wextra -Werror " .. P.sanflags .. " -o " .. q(exe)
      .. " " .. q(src .. "/sensor_host.c") .. " -I" .. q(prefix .. "/include")
      .. " $(pkg-config --cflags " .. H.luapc .. ") " .. q(lib .. "libmapbuf-lua.a") .. " "
      .. q(lib .. "libmapbuf.a") .. " $(pkg-config --libs " .. H.luapc .. ") -lm -lpthread")
    assert.equals(0, code, out)
    assert.not_matches("libmapbuf", (sh("ldd " .. q(exe))))
    checkhost(exe)
    local d = H.tmpname("-cstatic")
    os.execute("mkdir -p " .. q(d))
    H.writefile(d .. "/CMakeLists.txt", "cmake_minimum_required(VERSION 3.18)\n"
      .. "project(st LANGUAGES C)\nfind_package(mapbuf 0.1 REQUIRED)\n"
      .. "add_executable(h " .. src .. "/sensor_host.c)\n"
      .. "target_link_libraries(h PRIVATE mapbuf::lua_static MapbufLua::Lua)\n")
    local flags = P.sanflags ~= "" and (" -DCMAKE_C_FLAGS=" .. P.sanflags) or ""
    out, code = sh("cmake -S " .. q(d) .. " -B " .. q(d .. "/b") .. " -DCMAKE_PREFIX_PATH="
      .. q(prefix) .. flags .. " && cmake --build " .. q(d .. "/b"))
    assert.equals(0, code, out)
    assert.not_matches("libmapbuf", (sh("ldd " .. q(d .. "/b/h"))))
    checkhost(d .. "/b/h")
  end)

  it("refuses a mapbuf of another major version", function()
    local d = H.tmpname("-v9")
    os.execute("mkdir " .. q(d))
    H.writefile(d .. "/CMakeLists.txt", "cmake_minimum_required(VERSION 3.18)\n"
      .. "project(v9 LANGUAGES C)\nfind_package(mapbuf 9 REQUIRED)\n")
    local out, code = sh("cmake -S " .. q(d) .. " -B " .. q(d .. "/b")
                         .. " -DCMAKE_PREFIX_PATH=" .. q(prefix))
    assert.is_not.equals(0, code)
    assert.matches("mapbuf", out)
  end)

  it("builds with pkg-config (its Makefile) and runs", function()
    local out, code = sh(P.pkgenv() .. "make -C " .. q(src)
      .. (P.sanflags ~= "" and (" CFLAGS='-O1 -g " .. P.sanflags .. "'") or ""))
    assert.equals(0, code, out)
    assert.not_matches("warning", out)
    checkhost(src .. "/sensor-host")
    checkfile(src .. "/frame-file")
    assert.not_matches("libmapbuf", (sh("ldd " .. q(src .. "/frame-file"))))
  end)

  -- The guide's hosts are written against the 5.2 C API (luaL_requiref,
  -- LUA_OK): they build for 5.2 .. 5.4; sensor_host.c shows 5.1's way
  local guide_it = H.luaver >= 5.2 and it or pending
  guide_it("builds the host of docs/embedding.md, which runs as the guide says", function()
    local guide = H.readfile(H.src .. "/docs/embedding.md")
    local c = assert(guide:match("\n## 3%..-\n```c\n(.-)```\n"))
    local lua = assert(guide:match("with a script such as\n\n```lua\n(.-)```\n"))
    local exe = H.tmpname("-guide")
    local out, code = sh("export " .. P.pkgenv() .. "&& cc -std=c11 -Wall -Wextra -Werror "
      .. P.sanflags .. " -o " .. q(exe) .. " " .. q(H.file(c, ".c"))
      .. " $(pkg-config --cflags --libs mapbuf-lua) -Wl,-rpath," .. q(prefix .. "/lib"))
    assert.equals(0, code, out)
    out, code = sh(q(exe) .. " " .. q(H.file(lua, ".lua")))
    assert.equals(0, code, out)
    assert.equals("loans left: 0, first byte: 238\n", out)   -- 0xC0FFEE, little-endian
  end)

  it("compiles every whole program of docs/embedding.md, and the core's runs", function()
    local guide = H.readfile(H.src .. "/docs/embedding.md")
    local n = 0
    for c in guide:gmatch("\n```c\n(.-)```\n") do
      -- (the Lua hosts are 5.2 C API, as above; the core's builds everywhere)
      if c:find("int main", 1, true) and (H.luaver >= 5.2 or not c:find("lua_State", 1, true)) then
        n = n + 1
        local exe = H.tmpname("-sample")
        local out, code = sh("export " .. P.pkgenv() .. "&& cc -std=c11 -Wall -Wextra -Werror "
          .. P.sanflags .. " -o " .. q(exe) .. " " .. q(H.file(c, ".c"))
          .. " $(pkg-config --cflags --libs mapbuf-lua) -Wl,-rpath," .. q(prefix .. "/lib"))
        assert.equals(0, code, "sample " .. n .. ":\n" .. c .. "\n" .. out)
        if not c:find("lua_State", 1, true) then   -- the core's: it makes data.bin
          local d = H.tmpname("-run")
          os.execute("mkdir -p " .. q(d))
          out, code = sh("cd " .. q(d) .. " && " .. q(exe))
          assert.equals(0, code, out)
          assert.equals("hello", H.readfile(d .. "/data.bin"):sub(1, 5))
        end
      end
    end
    assert.is_true(n >= (H.luaver >= 5.2 and 2 or 1), "whole programs in the guide: " .. n)
  end)

  it("builds with the one-line cc command of its README", function()
    local readme = H.readfile(src .. "/README.md")
    local cmd = assert(readme:match("\n    (cc [^\n]*pkg%-config[^\n]*)\n"))
    local out, code = sh("cd " .. q(src) .. " && export " .. P.pkgenv() .. "&& "
      .. cmd:gsub("^cc ", "cc " .. P.sanflags .. " -o one "):gsub("%-o sensor%-host ", ""))
    assert.equals(0, code, out)
    out, code = sh("cd " .. q(src) .. " && LD_LIBRARY_PATH=" .. q(prefix .. "/lib")
                   .. " ./one calibrate.lua 3")
    assert.equals(0, code, out)
    assert.matches(calibrated, out, 1, true)
  end)
end)
