-- spec/embed/build_spec.lua: mapbuf built the ways an outside project
-- builds it: as a subproject (FetchContent, which is add_subdirectory),
-- the core alone without Lua, and the glue with two lua_States in two
-- threads under ThreadSanitizer.
local H = require "spec.helper"
local P = require "spec.embed.prefix"

local sh, q = P.sh, H.q

-- the sanitizers the suite may run under are not for these builds
local clean = "env -u LD_PRELOAD -u ASAN_OPTIONS -u UBSAN_OPTIONS "

describe("built by an outside project", function()
  teardown(H.cleanup)

  it("works as a subproject (FetchContent), linking mapbuf::lua and its Lua", function()
    local d = H.tmpname("-sub")
    os.execute("mkdir -p " .. q(d))
    H.writefile(d .. "/CMakeLists.txt", ([[
cmake_minimum_required(VERSION 3.18)
project(outer LANGUAGES C)
set(CMAKE_C_STANDARD 11)
include(FetchContent)
FetchContent_Declare(mapbuf SOURCE_DIR %s)
FetchContent_MakeAvailable(mapbuf)
add_executable(outer-host %s/examples/embed/sensor_host.c)
target_link_libraries(outer-host PRIVATE mapbuf::lua MapbufLua::Lua)
add_executable(outer-core %s/examples/embed/frame_file.c)
target_link_libraries(outer-core PRIVATE mapbuf::mapbuf_static)
]]):format(H.src, H.src, H.src))
    local out, code = sh(clean .. "cmake -S " .. q(d) .. " -B " .. q(d .. "/b")
      .. " && " .. clean .. "cmake --build " .. q(d .. "/b") .. " -j2 --target outer-host outer-core")
    assert.equals(0, code, out)
    -- no tests of mapbuf's among the outer project's
    local tests = sh("ctest --test-dir " .. q(d .. "/b") .. " -N")
    assert.matches("Total Tests: 0", tests)
    out, code = sh("cd " .. q(H.src .. "/examples/embed") .. " && " .. q(d .. "/b/outer-host")
                   .. " calibrate.lua 3")
    assert.equals(0, code, out)
    assert.matches("^released 1 time\nframe SFRM seq=42", out)
    local f = H.tmpname(".frame")
    out, code = sh(q(d .. "/b/outer-core") .. " write " .. q(f))
    assert.equals(0, code, out)
    assert.equals(44, #H.readfile(f))
  end)

  it("builds the core alone, looking for no Lua at all", function()
    local b = H.tmpname("-core")
    local out, code = sh(clean .. "cmake -S " .. q(H.src) .. " -B " .. q(b)
      .. " -DMAPBUF_WITH_LUA=OFF -DMAPBUF_TESTS=ON")
    assert.equals(0, code, out)
    assert.not_matches("[Ll]ua", out)
    out, code = sh(clean .. "cmake --build " .. q(b) .. " -j2 --target mapbuf test_map")
    assert.equals(0, code, out)
    out, code = sh("cd " .. q(b) .. " && ./test_map")
    assert.equals(0, code, out)
    out, code = sh("ctest --test-dir " .. q(b) .. " -R abi/symbols --output-on-failure")
    assert.equals(0, code, out)
    local tests = sh("ctest --test-dir " .. q(b) .. " -N")
    assert.not_matches("lua/", tests)
  end)

  it("runs two lua_States in two threads on one buffer, clean under ThreadSanitizer", function()
    local exe = H.tmpname("-tsan")
    local srcs = {}
    for f in sh("cd " .. q(H.src) .. " && ls src/core/*.c src/core/posix/*.c src/lua/*.c"):gmatch("[^\n]+") do
      srcs[#srcs + 1] = q(H.src .. "/" .. f)
    end
    local out, code = sh(clean .. "cc -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=thread -o " .. q(exe)
      .. " " .. q(H.src .. "/spec/embed/hostmem.c") .. " " .. table.concat(srcs, " ")
      .. " -I" .. q(H.src .. "/src/core") .. " -I" .. q(H.src .. "/src/core/posix")
      .. " -I" .. q(H.src .. "/src/lua")
      .. " $(pkg-config --cflags --libs " .. H.luapc .. ") -lpthread -lm")
    assert.equals(0, code, out)
    local script = H.file([[
      local m, id = host.new(string.rep("\0", 64))
      local r = {host.threads(id, [=[
        local m, who, n = ...
        for i = 1, n do m:atomic_add(1, 1); m:atomic_add(9, 3, 32) end
        for k = 0, 199 do                                 -- ping-pong
          local mine = 2 * k + who - 1
          while true do
            local v = m:atomic_load(25, 32)
            if v == mine then break end
            if not m:wait(25, v, 5) then error("no wake at " .. v) end
          end
          m:atomic_store(25, mine + 1, 32)
          m:wake(25)
        end
        -- each state maps files and views of its own meanwhile
        local f = mapbuf.anon(4096)
        f:view(2):fill(who)
        return who
      ]=], 20000)}
      assert(r[1] and r[3], tostring(r[2]) .. " " .. tostring(r[4]))
      print(m:atomic_load(1), m:atomic_load(9, 32), m:atomic_load(25, 32))
    ]], ".lua")
    out, code = sh(clean .. "TSAN_OPTIONS=halt_on_error=1 " .. q(exe) .. " " .. q(script))
    assert.equals(0, code, out)
    assert.not_matches("ThreadSanitizer", out)
    assert.matches("^40000\t120000\t400\n", out)
  end)
end)
