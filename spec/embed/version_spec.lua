-- One version everywhere: src/core/mapbuf.h, CMakeLists.txt, the rockspec
-- (its name and its contents), the module's _VERSION; and the rockspec
-- builds what CMake builds.
local H = require "spec.helper"
local P = require "spec.embed.prefix"

local q = H.q

-- The rockspec at the root of the tree (exactly one).
local function rockspec()
  local names = H.run("cd " .. q(H.src) .. " && ls *.rockspec")
  local list = {}
  for n in names:gmatch("[^\n]+") do list[#list + 1] = n end
  assert.equals(1, #list, "one rockspec at the root: " .. names)
  local env = {}
  local chunk = assert(loadfile(H.src .. "/" .. list[1], "t", env))
  if setfenv then setfenv(chunk, env) end   -- 5.1's loadfile takes no env
  chunk()
  return list[1], env
end

describe("the version", function()
  teardown(H.cleanup)

  it("is one in mapbuf.h, CMakeLists.txt and the rockspec", function()
    local v = P.version()
    local h = H.readfile(H.src .. "/src/core/mapbuf.h")
    assert.equals(v, ("%s.%s.%s"):format(
      h:match("#define MAPBUF_VERSION_MAJOR (%d+)"),
      h:match("#define MAPBUF_VERSION_MINOR (%d+)"),
      h:match("#define MAPBUF_VERSION_PATCH (%d+)")))
    local cm = H.readfile(H.src .. "/CMakeLists.txt")
    assert.equals(v, cm:match("project%(mapbuf%s+VERSION%s+([%d%.]+)"))
    local name, rs = rockspec()
    assert.equals("mapbuf", rs.package)
    assert.equals(v, rs.version:match("^(.-)%-%d+$"))
    assert.equals(("mapbuf-%s.rockspec"):format(rs.version), name)
    assert.equals("v" .. v, rs.source.tag)
  end)

  it("is the one the module reports", function()
    local mapbuf = require "mapbuf"
    assert.equals("mapbuf " .. P.version(), mapbuf._VERSION)
  end)
end)

describe("the rockspec", function()
  teardown(H.cleanup)

  it("lists exactly the C sources CMake compiles into the module, and the Lua modules", function()
    local _, rs = rockspec()
    local mod = rs.build.modules.mapbuf
    assert.equals("builtin", rs.build.type)
    local listed = {}
    for _, s in ipairs(mod.sources) do listed[s] = true end
    -- CMake's own lists (set(MAPBUF_CORE_SOURCES ...) and the binding's)
    local cm = H.readfile(H.src .. "/CMakeLists.txt")
    local n = 0
    for _, var in ipairs {"MAPBUF_CORE_SOURCES", "MAPBUF_POSIX_SOURCES", "MAPBUF_LUA_SOURCES"} do
      local body = assert(cm:match("set%(" .. var .. "%s(.-)%)"), var)
      for s in body:gmatch("%S+") do
        assert.is_true(listed[s] == true, s .. " is missing from the rockspec")
        listed[s] = nil
        n = n + 1
      end
    end
    assert.is_nil(next(listed), "the rockspec lists a file CMake does not compile")
    assert.is_true(n > 5)
    -- and no source file is in neither (a file CMake forgot)
    local found = H.run("cd " .. q(H.src) .. " && ls src/core/*.c src/core/posix/*.c src/lua/*.c")
    for s in found:gmatch("[^\n]+") do
      assert.truthy(cm:find(s, 1, true), s .. " is in no CMake list")
    end
    local lua = H.run("cd " .. q(H.src) .. " && ls lua/mapbuf/*.lua")
    for f in lua:gmatch("[^\n]+") do
      local name = f:match("^lua/(.-)%.lua$"):gsub("/", ".")
      assert.equals(f, rs.build.modules[name], name)
    end
  end)

  -- Debian's luarocks (.ci/setup installs it), with the command the README
  -- gives; built in a copy of the tree, since the builtin type compiles
  -- next to the sources.
  it("installs with the README's luarocks command into a tree the stock interpreter loads from", function()
    local name = rockspec()
    local readme = H.readfile(H.src .. "/README.md")
    local cmd = assert(readme:match("\n    (luarocks [^\n]*make[^\n]*)\n"),
                       "the README shows no luarocks make command")
    cmd = cmd:gsub(" make ", " make --tree " .. q((H.tmpname("-tree"))) .. " ", 1)
    -- for the Lua this build is for (LuaJIT loads 5.1's modules)
    cmd = cmd:gsub("%-%-lua%-version %S+", "--lua-version " .. H.luaabi, 1)
    local tree = cmd:match("%-%-tree '([^']+)'")
    local src = H.tmpname("-src")
    local out, code = P.sh("mkdir " .. q(src) .. " && cd " .. q(H.src)
      .. " && cp -r src lua docs examples " .. q(name) .. " " .. q(src)
      .. " && cd " .. q(src) .. " && " .. cmd)
    assert.equals(0, code, out)
    local f = H.file("rock")
    out, code = P.sh("LUA_CPATH=" .. q(tree .. "/lib/lua/" .. H.luaabi .. "/?.so")
      .. " LUA_PATH=" .. q(tree .. "/share/lua/" .. H.luaabi .. "/?.lua")
      .. " " .. q(H.lua) .. " -e " .. q(H.searchpath_src .. ([[
        local mapbuf = require "mapbuf"
        local m = assert(mapbuf.open(%q))
        print(mapbuf._VERSION, m:sub(1), type(require "mapbuf.ring"),
              package.searchpath("mapbuf", package.cpath))]]):format(f)))
    assert.equals(0, code, out)
    assert.equals(("mapbuf %s\trock\ttable\t%s\n"):format(P.version(),
                  tree .. "/lib/lua/" .. H.luaabi .. "/mapbuf.so"), out)
  end)
end)
