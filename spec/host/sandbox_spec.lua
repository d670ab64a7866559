-- --sandbox: the chunk keeps the safe libraries and its maps, and has no
-- way left to reach another file or the process.
local H = require "spec.helper"

local mb = H.mapbuf

describe("mapbuf --sandbox", function()
  teardown(H.cleanup)

  it("removes io, os, require, package, debug, dofile, loadfile", function()
    local out, code = mb {"--sandbox", "-e", [[
      for _, k in ipairs {"io", "os", "require", "package", "debug",
                          "dofile", "loadfile", "mapbuf"} do
        local v = rawget(_G, k); if v ~= nil then print("still there: " .. k) end
      end
      print "ok"
    ]], H.file("x")}
    assert.equal(0, code)
    assert.equal("ok\n", out)
  end)

  it("keeps string, table, math, utf8, coroutine and the safe base functions",
     function()
    local out, code, err = mb {"--sandbox", "-e", [[
      local t = {}
      for _, k in ipairs {"string", "table", "math", "utf8", "coroutine"} do
        t[#t + 1] = type(_G[k])
      end
      for _, k in ipairs {"assert", "error", "ipairs", "pairs", "next",
          "pcall", "xpcall", "print", "select", "tonumber", "tostring",
          "type", "rawget", "rawset", "rawequal", "rawlen", "setmetatable",
          "getmetatable", "load", "collectgarbage", "progress"} do
        t[#t + 1] = type(_G[k])
      end
      print(table.concat(t, " "))
      print(string.format("%5.1f", math.pi), utf8 and utf8.char(228) or "no utf8",
            coroutine.wrap(function() coroutine.yield(3) end)())
    ]], H.file("x")}
    assert.equal(0, code, err)
    -- utf8 is 5.3's, rawlen 5.2's
    local utf8 = H.luaver >= 5.3
    assert.equal(("table "):rep(3) .. (utf8 and "table " or "nil ") .. "table "
                 .. ("function "):rep(15) .. (H.luaver >= 5.2 and "function " or "nil ")
                 .. ("function "):rep(4) .. "function\n"
                 .. "  3.1\t" .. (utf8 and "ä" or "no utf8") .. "\t3\n", out)
  end)

  it("the maps work, with -w too", function()
    local f = H.file("abc")
    local out, code = mb {"--sandbox", "-w", "-e",
                          "m[1] = 65; print(m:sub(1), #maps)", f}
    assert.equal(0, code)
    assert.equal("Abc\t1\n", out)
    assert.equal("Abc", H.readfile(f))
  end)

  it("a map offers no function that opens files", function()
    local out, code = mb {"--sandbox", "-e", [[
      local found = {}
      for _, k in ipairs {"open", "map", "anon", "shm", "shm_unlink",
                          "popen", "tmpfile", "input", "output"} do
        if m[k] ~= nil then found[#found + 1] = k end
      end
      print(#found, type(getmetatable(m).__index))
    ]], H.file("x")}
    assert.equal(0, code)
    assert.equal("0\tfunction\n", out)
  end)

  it("load accepts text but refuses binary chunks, whatever mode is asked",
     function()
    local out, code = mb {"--sandbox", "-e", [[
      local b = string.dump(function() return 1 end)
      print(load("return 1 + 1")())
      print(select(2, load(b)))
      print(select(2, load(b, "x", "b")))
      print(select(2, load(b, "x", "bt", {})))
      local parts = {b}
      print(select(2, load(function() return table.remove(parts) end)))
    ]]}
    assert.equal(0, code)
    local msg = H.jit and "attempt to load chunk with wrong mode"   -- LuaJIT's words
                or "attempt to load a binary chunk (mode is 't')"
    assert.equal("2\n" .. (msg .. "\n"):rep(4), out)
  end)

  it("a binary script is refused", function()
    local b = H.tmpname(".luac")
    H.run(H.q(H.lua) .. " -e " .. H.q(("local f = io.open(%q, 'wb') "
      .. "f:write(string.dump((loadstring or load)('print(1)'))) f:close()"):format(b)))
    local out, code, err = mb {"--sandbox", b}
    assert.equal(1, code)
    assert.equal("", out)
    assert.matches(H.jit and "chunk with wrong mode" or "binary chunk", err)
  end)

  it("a text script runs", function()
    local s = H.file("local m = ...\nprint(#m, io)\nreturn 3", ".lua")
    local out, code = mb {"--sandbox", s, H.file("1234")}
    assert.equal(3, code)
    assert.equal("4\tnil\n", out)
  end)

  it("reaching for a file fails as an error, status 1", function()
    for _, code in ipairs {"io.open('/etc/passwd')", "require 'mapbuf'",
                           "dofile('/etc/passwd')", "os.remove('x')",
                           "package.loadlib('x', 'y')"} do
      local out, status, err = mb {"--sandbox", "-e", code}
      assert.equal(1, status)
      assert.equal("", out)
      assert.matches("attempt to .*a nil value", err)
    end
  end)

  it("the prompt is sandboxed too", function()
    local out, code = mb({"--sandbox", "-i", H.file("xy")},
                         "io\nos\n#m\nrequire\n")
    assert.equal(0, code)
    assert.equal("nil\nnil\n2\nnil\n", out)
  end)

  it("-l loads a module chosen on the command line before the sandbox; mapbuf comes maps-only",
     function()
    local out, code = mb {"--sandbox", "-l", "mapbuf", "-e", [[
      local t = {}
      for _, k in ipairs {"open", "map", "anon", "shm", "shm_unlink"} do
        t[#t + 1] = tostring(mapbuf[k])
      end
      print(table.concat(t, " "), require, type(mapbuf.monotime),
            mapbuf.PAGESIZE > 0, mapbuf._VERSION:match("^mapbuf ") ~= nil)
    ]]}
    assert.equal(0, code)
    assert.equal("nil nil nil nil nil\tnil\tfunction\ttrue\ttrue\n", out)
    -- without --sandbox, -l gives the whole module
    out, code = mb {"-l", "mapbuf", "-e", "print(type(mapbuf.open), type(mapbuf.shm))"}
    assert.equal(0, code)
    assert.equal("function\tfunction\n", out)
  end)

  it("holds against the attacks of outside testing (run under ASan in CI)", function()
    local f = H.file(("A"):rep(8192))
    local out, code, err = mb {"--sandbox", "-w", "-e", H.gcsrc .. [[
      local face = getmetatable(m)
      -- no finalizer to take and call at a time of one's choosing
      assert(face.__gc == nil and face.__close == nil, "face offers __gc")
      -- no metamethod takes anything but a map
      for _, x in ipairs({5, "s", {}, print, true, coroutine.create(function() end)}) do
        for _, k in ipairs({"__index", "__newindex", "__len", "__tostring"}) do
          assert(not pcall(face[k], x, 1, 1), k)
        end
      end
      -- every advice number: refused, failed or done, never a crash
      for adv = -2, 300 do pcall(m.madvise, m, adv, 1, 100) end
      for _, adv in ipairs({1000, 2^31 - 1, 2^31, 2^62, -2^63, 0/0, 1/0}) do
        pcall(m.madvise, m, adv)
      end
      m:fill(65)
      -- finalizers that close views and resize the map while methods run
      gcparams(100, 100, 0)
      local views = {}
      for k = 1, 300 do
        local v = m:view(1 + k % 50)
        views[#views + 1] = v
        finalizer(function()
          v:close()
          if k % 3 == 0 then m:resize(100 + k) m:resize(8192) m:fill(65) end
        end)
        for _, call in ipairs({
            function() return v:view(2) end, function() return v:sub(1, 10) end,
            function() return m:find("AA", k) end, function() return m:sub(k) end,
            function() for w in v:gmatch("A+") do end end,
            function() return v:unpack("<i4", 1) end, function() return v:read("l") end,
            function() return m:set(k, tostring(k * 1.5)) end}) do
          local ok, e = pcall(call)
          assert(ok or type(e) == "string", tostring(e))
        end
        m:fill(65)
      end
      gcparams(200, 100, 13)
      collectgarbage()
      -- views of a map closed under them raise, and so do its iterators
      local v, it = m:view(2), m:gmatch("A")
      m:close()
      assert(not pcall(v.sub, v, 1) and not pcall(it) and m:closed())
      print "ok"
    ]], f}
    assert.equal(0, code, err)
    assert.equal("ok\n", out)
  end)
end)
