-- spec/lua/errors_spec.lua: the error rules of the contract across every
-- method: a closed map raises "map is closed" before any argument is
-- looked at; misuse raises naming the function; failures of the OS return
-- nil, message, errno; and no argument, however odd, crashes the process,
-- not even one whose conversion runs a finalizer that closes the map.
local mapbuf = require "mapbuf"
local H = require "spec.helper"

local PS = mapbuf.PAGESIZE
local seed = tonumber(os.getenv("SEED")) or os.time()
math.randomseed(seed)
local R = math.random

local mapof = H.mapof

-- Every method name, from the methods table behind __index.
local methods = H.methods()

local junk = {nil, true, false, 0, 1, -1, 2, 3, 4, 8, 255, 256, 1.5, -0.5,
  0/0, 1/0, -1/0, H.maxint, H.minint, 2^53, 2^63, -2^63,
  1e308, "", "a", "l", "n", "a", "set", "cur", "end", "r", "w", "normal",
  "dontneed", "%d+", "(", "[", "%b()", "i4", "<i8", "z", "s1", "!", "xXi16",
  {}, print, io.stdout, coroutine.create(function() end)}
local function rjunk() return junk[R(#junk + 1)] end   -- sometimes nil

describe("a closed map", function()
  local function closedones()
    local m = mapof("abcdef")
    local v = m:view(2)
    local w = mapof("abcdef"):view()
    w:close()
    m:close()
    return {m, v, w}
  end

  it("raises 'map is closed' from every method but close and closed, whatever the arguments", function()
    assert.is_true(#methods >= 25)
    for _, x in ipairs(closedones()) do
      for _, name in ipairs(methods) do
        if name ~= "close" and name ~= "closed" then
          for _ = 1, 5 do
            local ok, err = pcall(x[name], x, rjunk(), rjunk(), rjunk(), rjunk())
            assert.is_false(ok, name)
            assert.equals("mapbuf: map is closed", err, name)
          end
          local ok, err = pcall(x[name], x)
          assert.equals("mapbuf: map is closed", err, name)
          assert.is_false(ok)
        end
      end
      assert.is_true(x:close())
      assert.is_true(x:closed())
      assert.equals("mapbuf.map(closed)", tostring(x))
      assert.has_error(function() return #x end, "mapbuf: map is closed")
      assert.has_error(function() return x[1] end, "mapbuf: map is closed")
      assert.has_error(function() x[1] = 1 end, "mapbuf: map is closed")
      assert.has_error(function() x[1] = {} end, "mapbuf: map is closed")
      assert.has_error(function() x.foo = 1 end, "mapbuf: map is closed")
      assert.is_function(x.sub)   -- names still find methods
      assert.is_nil(x[1.5])       -- and fractions are not positions
    end
  end)

  it("a stale view raises 'view is out of range of its map' likewise", function()
    local m = mapof("abcdef", {private = true})
    local v = m:view(4)
    m:resize(2)
    for _, name in ipairs(methods) do
      if name ~= "close" and name ~= "closed" then
        local ok, err = pcall(v[name], v, rjunk(), rjunk())
        assert.is_false(ok, name)
        assert.equals("mapbuf: view is out of range of its map", err, name)
      end
    end
    assert.is_false(v:closed())
    assert.is_true(v:close())
    assert.has_error(function() v:sub(1) end, "mapbuf: map is closed")
  end)
end)

describe("misuse", function()
  teardown(H.cleanup)

  it("names the function and the problem", function()
    local m = mapof("abc")
    local cases = {
      {function() m:set(9, "x") end, "bad argument #1 to 'set' %(out of range%)"},
      {function() m.set(m, 9, "x") end, "bad argument #2 to 'set' %(out of range%)"},
      {function() m:sub({}) end, "bad argument #1 to 'sub' %(number expected, got table%)"},
      {function() m:byte(1.5) end, "bad argument #1 to 'byte' %(number has no integer representation%)"},
      {function() m:seek("nope") end, "bad argument #1 to 'seek' %(invalid option 'nope'%)"},
      {function() m:read("x") end, "bad argument #1 to 'read' %(invalid format%)"},
      {function() m:fill(300) end, "bad argument #1 to 'fill'"},
      {function() m:move(1, 2, 3) end, "bad argument #2 to 'move' %(out of range%)"},
      {function() m:write({}) end, "bad argument #1 to 'write' %(string expected, got table%)"},
      {function() m:flush(0) end, "bad argument #1 to 'flush' %(out of range%)"},
      {function() m:view():resize(1) end, "mapbuf: resize: cannot resize a view"},
      {function() m:resize(10) end, "mapbuf: resize: cannot grow a shared anonymous map"},
      {function() mapbuf.sub(m, 1) end, nil},
      {function() m.sub(io.stdout, 1) end, "bad argument #1 to 'sub' %(mapbuf.map expected, got FILE%*%)"},
      {function() m.sub(nil, 1) end, "bad argument #1 to 'sub' %(mapbuf.map expected, got"},
    }
    for k, c in ipairs(cases) do
      local ok, err = pcall(c[1])
      assert.is_false(ok, k)
      if c[2] then assert.matches(c[2], err, 1, false, k) end
    end
  end)

  it("writes to read-only maps raise naming the function", function()
    local r = assert(mapbuf.open(H.file("abc")))
    for name, f in pairs{
      set = function() r:set(1, "x") end, fill = function() r:fill(0) end,
      move = function() r:move(1, 2, 1) end, write = function() r:write("x") end,
      write_byte = function() r:write_byte(1) end} do
      local ok, err = pcall(f)
      assert.is_false(ok)
      assert.matches("mapbuf: " .. name .. ": map is read%-only$", err)
    end
    assert.equals("abc", r:sub(1))
  end)
end)

describe("failures of the OS", function()
  teardown(H.cleanup)

  it("return nil, message, errno from open, map, resize, flush and madvise", function()
    local function isfail(ok, msg, e)
      assert.is_nil(ok); assert.is_string(msg)
      assert.equals(H.luaver >= 5.3 and "integer" or "number", H.numtype(e))
      return msg, e
    end
    local p = H.tmpname()
    local msg, e = isfail(mapbuf.open(p))
    assert.equals(p .. ": No such file or directory", msg); assert.equals(2, e)
    msg, e = isfail(mapbuf.map(99999, 1))
    assert.equals(9, e)
    local m = assert(mapbuf.anon(PS, {private = true}))
    isfail(m:resize(H.maxint))
    assert.equals(PS, #m)
    isfail(m:flush(1, 1, 12345))
  end)
end)

describe("no input crashes", function()
  teardown(H.cleanup)

  local function kinds()
    local ro = assert(mapbuf.open(H.file(string.rep("ro", PS))))
    local rw = assert(mapbuf.open(H.file(string.rep("rw", PS)), "r+"))
    local anon = mapof(string.rep("x\n1 ", 64))
    local priv = mapof("private", {private = true})
    local stale = mapof("0123456789", {private = true})
    local sv = stale:view(5)
    stale:resize(2)
    return {ro, rw, anon, priv, mapbuf.anon(0), anon:view(3, 40), ro:view(-10), sv}
  end

  it("random junk to every method (seed " .. seed .. ")", function()
    for _, m in ipairs(kinds()) do
      for _, name in ipairs(methods) do
        -- wait may sleep for ever and resize may ask for a terabyte of file:
        -- both have their own specs
        if name ~= "wait" and name ~= "resize" and name ~= "close" then
          for _ = 1, 40 do
            local ok, err = pcall(m[name], m, rjunk(), rjunk(), rjunk(), rjunk(), rjunk())
            if not ok then assert.is_string(err, name) end
          end
        end
      end
      for _ = 1, 40 do
        local k, v = rjunk(), rjunk()
        pcall(function() return m[k] end)
        pcall(function() m[k] = v end)
      end
      tostring(m)
    end
  end)

  it("resize with odd sizes", function()
    local m = assert(mapbuf.open(H.file("abc"), "r+"))
    for _, n in ipairs{-1, 0/0, 1/0, -1/0, 1.5, 2^63, H.minint, "x", {}} do
      assert.is_false((pcall(m.resize, m, n)))
    end
    local ok, _, e = m:resize(H.maxint)
    assert.is_nil(ok); assert.is_number(e)
    assert.equals("abc", m:sub(1))
  end)

  -- A short pause makes the collector finish cycles, and so call pending
  -- finalizers, within the few allocations of one call.  How soon it gets
  -- there depends on the collector's state, so each spec runs until it has
  -- seen the finalizer strike inside a call a few times.
  local function aggressive() H.gcparams(10, H.luaver >= 5.4 and 400 or 1000); collectgarbage() end
  -- tries before giving up: the older collectors strike inside a call less
  -- often (and 5.1 .. 5.2 copy pushed bytes first, so fewer calls see it)
  local TRIES = H.luaver >= 5.4 and 3000 or 20000
  -- Does the collector strike inside a call often enough to see it here?
  -- 5.2 on; 5.1's and LuaJIT's run these finalizers between calls all but
  -- always, and there the specs check only that nothing breaks.
  local STRIKES = H.luaver >= 5.2
  local function normal() H.gcparams(200, 100); collectgarbage() end

  it("a finalizer that closes the map during argument conversion", function()
    -- numbers turned into strings allocate; an allocation may run a pending
    -- finalizer; this one closes the map.  The method must then raise
    -- "map is closed" rather than touch the unmapped memory.
    local raised, i = 0, 0
    aggressive()
    while raised < 20 and i < TRIES do
      i = i + 1
      local m = assert(mapbuf.open(H.file(string.rep("z", 2 * PS)), "r+"))
      local v = m:view(PS + 1)
      H.finalizer(function() m:close() end)
      local calls = {
        function() return m:set(1, 2^60 + i) end,
        function() return v:set(-5, 12345 + i) end,
        function() return m:fill(i % 256, PS) end,
        function() return v:write(i, 0.5, i) end,
        function() return m:read("n", 5, "l", "L", "a") end,
        function() return v:sub(1) .. v:sub(2) end,
      }
      local ok, err = pcall(calls[i % #calls + 1])
      if not ok then
        assert.matches("map is closed", err)
        raised = raised + 1
      end
      m:close()
    end
    normal()
    assert.is_true(raised > 0 or not STRIKES, "the finalizer never ran inside a call")
  end)

  it("a finalizer that shrinks the map under a write", function()
    local raised, i = 0, 0
    aggressive()
    while raised < 20 and i < TRIES do
      i = i + 1
      local m = assert(mapbuf.anon(2 * PS, {private = true}))
      H.finalizer(function() m:resize(1) end)
      local ok, err = pcall(m.set, m, PS + 1, 2^62 + i)
      if not ok then
        assert.matches("out of range", err)
        raised = raised + 1
      end
      local n = #m   -- once: a finalizer may run between two reads
      assert.is_true(n == 1 or n == 2 * PS, n)
    end
    normal()
    assert.is_true(raised > 0 or not STRIKES, "the finalizer never ran inside a call")
  end)

  it("closing the map inside its own lines loop, and resizing it", function()
    local m = mapof(string.rep("line\n", 100), {private = true})
    local n = 0
    assert.has_error(function()
      for _ in m:lines() do
        n = n + 1
        if n == 10 then m:resize(4 * PS) end
        if n == 11 then m:resize(80) end   -- 16 lines left in all
        if n == 12 then m:close() end
      end
    end, "mapbuf: map is closed")
  end)
end)

describe("a file truncated under the map #sigbus", function()
  teardown(H.cleanup)

  it("raises 'truncated' on touching the vanished pages, and only then", function()
    local p = H.file(string.rep("x", 3 * PS))
    local m = assert(mapbuf.open(p, "r+"))
    local v = m:view(PS + 1)
    assert.is_true(H.sh("truncate -s " .. PS .. " " .. H.q(p)))
    local touch = {
      function() return m[2 * PS] end,
      function() m[2 * PS] = 1 end,
      function() return m:sub(1) end,
      function() return m:byte(PS, PS + 1) end,
      function() return v:sub(1, 1) end,
      function() return v[1] end,
      function() m:seek("set", PS); return m:read(2) end,
      function() m:seek("set", PS - 1); return m:read("a") end,
      function() m:seek("set", PS); return m:read("l") end,
      function() m:seek("set", PS); return m:read("n") end,
      function() m:seek("set", PS); return m:readline() end,
      function() m:seek("set", PS); return m:read_byte() end,
      function() m:seek("set", PS); return m:write("ab") end,
      function() m:seek("set", PS); return m:write_byte(1) end,
      function() return m:set(PS, "ab") end,
      function() return m:fill(0, PS) end,
      function() return m:move(1, PS + 1, 1) end,
      function() return m:move(PS + 1, 1, 1) end,
      function() for _ in v:lines() do end end,
    }
    for k, f in ipairs(touch) do
      local ok, err = pcall(f)
      assert.is_false(ok, k)
      assert.matches("truncated", err, 1, true, k)
    end
    -- the page still in the file is fine
    assert.equals(120, m[PS])
    assert.equals("xx", m:sub(PS - 1, PS))
    m:set(1, "ok")
    assert.equals("ok", H.readfile(p):sub(1, 2))
    -- resizing maps the file afresh
    m:resize(3 * PS)
    assert.equals(0, m[2 * PS])
    assert.equals("\0", v:sub(1, 1))
  end)
end)
