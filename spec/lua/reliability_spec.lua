-- spec/lua/reliability_spec.lua: one regression test for each fault that
-- outside testing found (issue 11), each of which crashed the process or
-- returned wrong bytes before it was fixed.  The CI suite runs this file
-- under ASan + UBSan too, where a use after free is a failure even when
-- the normal build happens to survive it.
local mapbuf = require "mapbuf"
local H = require "spec.helper"

local PS = mapbuf.PAGESIZE

local function raises(pattern, f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error matching " .. pattern)
  assert.matches(pattern, tostring(err))
end

describe("a finalizer that frees a map by hand", function()
  -- The first view of a map used to allocate (its set of views) after
  -- copying the map's core pointer into the view; a collection step there
  -- could run a finalizer calling the map's __gc, freeing the core under
  -- the new view.  Now no function keeps a core pointer across anything
  -- that allocates, and a hand-called __gc is close.
  it("never leaves a view, a method or an iterator with a freed core", function()
    local gc = debug.getmetatable(mapbuf.anon(1)).__gc
    local hits = 0
    -- a collector that steps at almost every allocation, so finalizers
    -- run inside the methods below, wherever they allocate
    H.gcparams(1, 1000, 0)
    -- a call either works or finds the map closed under it
    local function try(f, ...)
      local ok, r = pcall(f, ...)
      if not ok then assert.matches("mapbuf: map is closed", r) end
      return ok and r or nil
    end
    for round = 1, 300 do
      local m = mapbuf.anon(4096)
      m:set(1, "abcdef")
      -- garbage whose finalizers free m by hand, collected in the middle
      -- of what follows
      for _ = 1, round % 7 do
        H.finalizer(function() gc(m); hits = hits + 1 end)
      end
      local v = try(m.view, m, 2, 5)
      local w = v and try(v.view, v, 2)
      local it = try(m.gmatch, m, "%a")
      for _ = 1, 50 do local _ = {} end
      if v then
        local sub = try(v.sub, v, 1)
        assert.is_true(sub == nil or sub == "bcde")
        assert.equal(m:closed(), v:closed())
      end
      if w then
        local sub = try(w.sub, w, 1)
        assert.is_true(sub == nil or sub == "cde")
        assert.equal(m:closed(), w:closed())
      end
      if it then
        local c = try(it)
        assert.is_true(c == nil or c == "a")
      end
      collectgarbage("step")
    end
    H.gcparams(200, 100, 13)   -- Lua's defaults
    collectgarbage()
    assert.is_true(hits > 0, "no finalizer ran")
  end)

  it("the shape outside testing found, swept over the collector's debt", function()
    -- a full collection, k small tables, one finalizer that frees m, then
    -- the map's first view: for some k the collector steps exactly while
    -- the view is being made.  In a fresh interpreter (a small heap, so k small
    -- tables reach the collector's threshold); under ASan the child is
    -- instrumented too, and a use after free aborts it.
    local script = H.file(H.gcsrc .. [[
      local mapbuf = require "mapbuf"
      local gc = debug.getmetatable(mapbuf.anon(1)).__gc
      local counts = {before = 0, inside = 0, open = 0}
      for _, pause in ipairs({100, 150, 200}) do
        for stepsize = 0, 13 do
          -- before 5.4 there is no step size: sweep the multiplier instead
          gcparams(pause, _VERSION == "Lua 5.4" and 100 or 200 + 100 * stepsize, stepsize)
          for k = 1, 120 do
            local m = mapbuf.anon(4096)
            collectgarbage()
            local p = {}
            for i = 1, k do p[i] = {} end
            finalizer(function() gc(m) end)
            p = nil
            local ok, v = pcall(m.view, m)
            if not ok then
              assert(v == "mapbuf: map is closed", v)
              counts.before = counts.before + 1
            elseif m:closed() then
              assert(v:closed(), "a view of a freed map is open")
              assert(not pcall(v.sub, v, 1))
              counts.inside = counts.inside + 1
            else
              assert(#v == 4096 and v:sub(1, 1) == "\0")
              counts.open = counts.open + 1
            end
          end
        end
      end
      print(counts.before, counts.inside, counts.open)
    ]], ".lua")
    local out, code = H.run(H.q(H.lua) .. " " .. H.q(script) .. " 2>&1")
    assert.equal(0, code, out)
    local before, inside, open = out:match("^(%d+)\t(%d+)\t(%d+)\n$")
    assert.is_not_nil(before, out)
    assert.equal(3 * 14 * 120, before + inside + open)
    assert.is_true(tonumber(inside) > 0, "the finalizer never ran inside view: " .. out)
  end)

  it("is a close: the views close with the map, twice is harmless", function()
    local m = H.mapof("hello")
    local v = m:view()
    local mt = debug.getmetatable(m)
    mt.__gc(m)
    mt.__gc(m)
    mt.__close(m)
    assert.is_true(m:closed())
    assert.is_true(v:closed())
    raises("map is closed", function() return v[1] end)
    assert.equal("mapbuf.map(closed)", tostring(m))
  end)

  it("cannot be taken from getmetatable", function()
    local face = getmetatable(mapbuf.anon(1))
    assert.is_nil(face.__gc)
    assert.is_nil(face.__close)
  end)
end)

describe("the binding's own objects in the registry", function()
  -- (on 5.1, 5.2 and LuaJIT among them the block that pushed bytes go
  -- through, lcompat.c: a hand-called or foreign __gc, or a finalizer that
  -- raises inside a push, must leave it whole)
  it("survive their finalizers called by hand, with anything", function()
    local m = H.mapof(("0123456789"):rep(200000))   -- 2 MB: past the kept size
    local n = 0
    for _, v in pairs(debug.getregistry()) do
      local mt = type(v) == "userdata" and debug.getmetatable(v)
      -- ours hide their metatable (Lua's own, such as 5.1's handles of
      -- loaded C libraries, whose __gc unloads the library, do not)
      if mt and mt.__metatable ~= nil and type(mt.__gc) == "function" then
        n = n + 1
        pcall(mt.__gc); pcall(mt.__gc, {}); pcall(mt.__gc, 1)
        assert.equals("0123", m:sub(1, 4))
        pcall(mt.__gc, v); pcall(mt.__gc, v)
      end
    end
    if H.luaver < 5.3 then assert.is_true(n >= 1, "the push block was not found") end
    assert.equals("0123456789", m:sub(1, 10))
    assert.equals(2000000, #m:sub(1))
  end)

  it("survive a finalizer that raises inside a push, again and again", function()
    local m = H.mapof(("abcdefgh"):rep(300000))
    H.gcparams(10, 1000)
    local raised, armed = 0, false
    for i = 1, 300 do
      -- it raises only inside the call (anywhere else it would hit busted)
      H.finalizer(function() if armed then error("from a finalizer " .. i) end end)
      local ok, got = pcall(function() armed = true; return m:sub(1) end)
      armed = false
      if ok then assert.equals(2400000, #got) else raised = raised + 1 end
    end
    H.gcparams(200, 100)
    collectgarbage(); collectgarbage()
    -- whatever was raised, the pushes after it get the right bytes
    assert.equals("abcdefghab", m:sub(1, 10))
    assert.equals(2400000, #m:sub(1))
  end)
end)

describe("madvise", function()
  it("refuses advice mapbuf does not know, so the kernel never sees it", function()
    local m = assert(mapbuf.anon(3 * PS))
    m:fill(7)
    -- MADV_GUARD_INSTALL (102) made the range fault on touch; MADV_HWPOISON
    -- (100) offlines the pages (root only)
    for _, adv in ipairs({102, 103, 100, 101, 26, 1000, 2^31 - 1}) do
      raises("bad argument #2 to 'madvise' %(invalid advice%)",
             m.madvise, m, adv)
      raises("bad argument #1 to 'madvise' %(invalid advice%)",
             function() m:madvise(adv) end)
    end
    assert.equal(7, m[1])
    assert.equal(7, m[PS + 1])
  end)

  it("keeps MADV_DONTNEED_LOCKED inside the range asked for", function()
    if not mapbuf.MADV_DONTNEED_LOCKED then return end
    -- does the kernel carry it out at all?  qemu-user passes it over
    local probe = assert(mapbuf.anon(PS, {private = true}))
    probe:fill(9)
    assert.is_true(probe:madvise("dontneed_locked"))
    if probe[1] ~= 0 then
      pending("madvise(MADV_DONTNEED_LOCKED) keeps the bytes here (qemu-user passes it over)")
      return
    end
    local m = assert(mapbuf.anon(3 * PS, {private = true}))
    m:fill(9)
    assert.is_true(m:madvise(mapbuf.MADV_DONTNEED_LOCKED, 100, 10))
    assert.equal(("\9"):rep(3 * PS), m:sub(1))   -- no whole page inside
    assert.is_true(m:madvise("dontneed_locked", PS + 1, PS))
    assert.equal(9, m[PS])
    assert.equal(0, m[PS + 1])
    assert.equal(0, m[2 * PS])
    assert.equal(9, m[2 * PS + 1])
  end)
end)

describe("mapbuf.map's flags and prot", function()
  it("accept only what mapbuf handles", function()
    local bad = {0x10,                 -- MAP_FIXED: maps over the process
                 0x100000,             -- MAP_FIXED_NOREPLACE
                 0x40000,              -- MAP_HUGETLB: SIGBUS at first touch
                 0x100,                -- MAP_GROWSDOWN
                 0x80000}              -- MAP_SYNC
    for _, f in ipairs(bad) do
      raises("bad argument #3 to 'map' %(unsupported flags%)",
             mapbuf.map, -1, PS, {flags = H.bor(mapbuf.MAP_SHARED, f)})
      raises("unsupported flags", mapbuf.map, -1, PS,
             {flags = H.bor(mapbuf.MAP_PRIVATE, f)})
    end
    raises("unsupported flags", mapbuf.map, -1, PS, {flags = 0})
    for _, p in ipairs({mapbuf.PROT_NONE, mapbuf.PROT_WRITE, mapbuf.PROT_EXEC,
                        H.bor(mapbuf.PROT_READ, 0x1000000)}) do
      raises("bad argument #3 to 'map' %(unsupported prot%)",
             mapbuf.map, -1, PS, {prot = p})
    end
    -- what is accepted works
    local m = assert(mapbuf.map(-1, PS, {prot = mapbuf.PROT_READ}))
    assert.equal(0, m[1])
    raises("read%-only", function() m[1] = 1 end)
    m = assert(mapbuf.map(-1, PS, {flags = H.bor(mapbuf.MAP_PRIVATE, mapbuf.MAP_NORESERVE)}))
    m[1] = 5
    assert.equal(5, m[1])
  end)

  it("offers as constants exactly the flags it takes", function()
    for k, v in pairs(mapbuf) do
      if k:match("^MAP_") and k ~= "MAP_ANON" and k ~= "MAP_ANONYMOUS" then
        local kind = (v == mapbuf.MAP_SHARED or v == mapbuf.MAP_PRIVATE
                      or v == mapbuf.MAP_SHARED_VALIDATE) and v
                     or H.bor(mapbuf.MAP_PRIVATE, v)
        local m = assert(mapbuf.map(-1, PS, {flags = kind}), k)
        m[1] = 1
        assert.equal(1, m[1], k)
        m:close()
      end
    end
    assert.is_nil(mapbuf.MAP_HUGETLB)
    assert.is_nil(mapbuf.MAP_FIXED)
  end)
end)

describe("the truncation guard", function()
  teardown(H.cleanup)

  local function lines(n)
    local t = {}
    for i = 1, n do t[i] = ("L%07d"):format(i):rep(8):sub(1, 63) end
    return table.concat(t, "\n") .. "\n"
  end

  it("marks everything past the file's new end, not only the page that faulted", function()
    local p = H.file(lines(H.idiv(4 * PS, 64)))           -- 4 pages of 64-byte lines
    local m = assert(mapbuf.open(p, "r"))
    assert.equal(4 * PS, #m)
    -- cut in the middle of page 2: its tail reads as zeros without any
    -- fault (the kernel's way), so only the guard's record can tell
    assert(H.sh("truncate -s " .. (PS + 100) .. " " .. H.q(p)))
    raises("truncated", function() return m[3 * PS + 1] end)   -- faults
    raises("truncated", m.sub, m, PS + 50, PS + 150)
    raises("truncated", m.byte, m, PS + 101)
    raises("truncated", function() return m[PS + 101] end)
    m:seek("set", PS + 64)
    raises("truncated", m.read, m, "l")
    m:seek("set", PS + 64)
    raises("truncated", m.readline, m)
    m:seek("set", PS + 64)
    raises("truncated", m.lines(m))
    raises("truncated", m.match, m, "(L%d+)", PS + 101)
    -- what is still in the file reads as it was, to its last byte
    assert.equal("L0000001", m:sub(1, 8))
    assert.equal(lines(H.idiv(4 * PS, 64)):sub(PS + 1, PS + 100), m:sub(PS + 1, PS + 100))
    m:close()
  end)

  it("checks reads after the bytes were copied", function()
    local p = H.file(("A"):rep(4 * PS))
    local m = assert(mapbuf.open(p, "r"))
    assert(H.sh("truncate -s " .. PS .. " " .. H.q(p)))
    raises("truncated", m.read, m, "a")
    m:close()
    m = assert(mapbuf.open(H.writefile(p, ("A"):rep(4 * PS)), "r"))
    assert(H.sh("truncate -s " .. PS .. " " .. H.q(p)))
    raises("truncated", m.read, m, "l")
    m:close()
  end)
end)

describe("debug-library type confusion", function()
  it("no metamethod trusts its first argument", function()
    local mt = debug.getmetatable(mapbuf.anon(8))
    for _, x in ipairs({5, "x", {}, io.stdout, print, true}) do
      raises("mapbuf.map expected", mt.__index, x, 1)
      raises("mapbuf.map expected", mt.__newindex, x, 1, 1)
      raises("mapbuf.map expected", mt.__len, x)
      raises("mapbuf.map expected", mt.__gc, x)
    end
  end)

  it("iterators check their upvalues at every call", function()
    local m = H.mapof("one two three\nfour\n")
    for _, make in ipairs({
        function() return m:gmatch("%a+") end,
        function() return m:lines() end,
        function() return m:lines("l", "n") end}) do
      for k = 1, 4 do
        for _, junk in ipairs({5, "x", {}, io.stdout, -1, 2^40, 1.5}) do
          local it = make()
          if debug.getupvalue(it, k) ~= nil then
            debug.setupvalue(it, k, junk)
            local ok, err = pcall(it)
            -- either the iterator still makes sense of it, or it raises;
            -- never a crash, never bytes from anywhere but the map
            if ok then
              assert.is_true(err == nil or type(err) == "string"
                             or type(err) == "number")
            else
              assert.is_string(err)
            end
          end
        end
      end
    end
  end)
end)

describe("smaller faults", function()
  it("wait refuses an expected value no 32-bit word can hold", function()
    local m = mapbuf.anon(8)
    m:atomic_store(1, 0xFFFFFFFF, 32)
    raises("value out of range", m.wait, m, 1, 2^33 - 1, 0)
    assert.is_false(m:wait(1, 0xFFFFFFFF, 0))
  end)

  it("unknown option keys raise, as luaposix does", function()
    raises("bad argument #2 to 'anon' %(unknown option 'privat'%)",
           mapbuf.anon, 10, {privat = true})
    raises("unknown option 'sise'", mapbuf.open, "/dev/null", "r", {sise = 1})
    raises("unknown option 'acess'", mapbuf.map, -1, 10, {acess = "read"})
    raises("unknown option 'exclusiv'", mapbuf.shm, "/mapbuf-x", 10, {exclusiv = true})
    raises("unknown option %(a number key%)", mapbuf.anon, 10, {true})
    assert.is_true(mapbuf.anon(10, {private = true}) ~= nil)
  end)

  it("rfind is linear even where the needle almost matches everywhere", function()
    local m = H.mapof(("a"):rep(1048576) .. "eaaa")
    local needle = "e" .. ("a"):rep(3000)
    assert.is_nil(m:rfind(needle))
    assert.equal(1, m:rfind(("a"):rep(1000), 1, 1000))
    assert.same({1048577, 1048580}, {m:rfind("eaaa")})
    local s, e = m:rfind("a" .. ("a"):rep(2000))
    assert.equal(1048576 - 2000, s)
    assert.equal(1048576, e)
  end)

  it("errors name the method however it was called", function()
    local m = mapbuf.anon(4)
    local r = assert(mapbuf.open("/dev/null", "r"))
    local set, w = m.set, r.set
    raises("^bad argument #2 to 'set' %(out of range%)", set, m, 100, "x")
    raises("mapbuf: set: map is read%-only", w, r, 1, "x")
    raises("mapbuf: set: map is read%-only", function() w(r, 1, "x") end)
    raises("bad argument #1 to 'set' %(out of range%)", function() m:set(100, "x") end)
    raises("mapbuf: write: out of range", m.write, m, "xxxxxx")
    raises("bad argument #2 to 'sub' %(number expected, got table%)", m.sub, m, {})
    raises("bad argument #1 to 'anon'", mapbuf.anon, -1)
  end)
end)
