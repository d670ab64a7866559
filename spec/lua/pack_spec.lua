-- spec/lua/pack_spec.lua: m:unpack and m:pack against string.unpack and
-- string.pack, differentially (random formats x values x positions, errors
-- included) and by hand for the rules only a map has (in place, all or
-- nothing, read-only, closed, views).  Lua 5.1, 5.2 and LuaJIT have no
-- string.pack: there the random formats are checked by a round trip
-- (m:pack, then m:unpack) and layouts by bytes written out here, which
-- the Luas with string.pack check too; and a last part says what 64-bit
-- integers become where numbers are doubles.
local mapbuf = require "mapbuf"
local H = require "spec.helper"

local seed = tonumber(os.getenv("SEED")) or os.time()
math.randomseed(seed)
local R = math.random

-- R(lo, hi) for any interval of integers up to 2^53 wide: 5.1's and 5.2's
-- math.random take only C ints.
local function rand(lo, hi)
  if H.luaver >= 5.3 or (lo >= -2 ^ 31 and hi < 2 ^ 31) then return R(lo, hi) end
  return lo + math.min(math.floor(R() * (hi - lo + 1)), hi - lo)
end

local mapof = H.mapof

local function randbytes(n)
  local mode, t = R(4), {}
  for i = 1, n do
    if mode == 1 then t[i] = R(0, 255)
    elseif mode == 2 then t[i] = R(0, 3) == 0 and 0 or R(1, 255)     -- NULs for z
    elseif mode == 3 then t[i] = R(0, 1) * 255                       -- wide ints fit
    else t[i] = R(0, 1) == 0 and 0 or R(32, 126) end
  end
  return string.char(table.unpack(t))
end

-- ---- random formats ----

local intletters = { "b", "B", "h", "H", "l", "L", "j", "J", "T" }

local function sizearg(lo, hi)
  local r = R(10)
  if r == 1 then return "" end
  if r == 2 then return tostring(({ 0, 17, 99, 2147483647, 99999999999 })[R(5)]) end
  return tostring(R(lo, hi))
end

-- One option: its text and what kind of value it takes ("int", "float",
-- "str" or nil for none).
local function option()
  local r = R(100)
  if r <= 30 then
    if R(2) == 1 then return intletters[R(#intletters)], "int" end
    return (R(2) == 1 and "i" or "I") .. sizearg(1, 16), "int"
  elseif r <= 42 then return ({ "f", "d", "n" })[R(3)], "float"
  elseif r <= 50 then return "z", "str"
  elseif r <= 58 then return "s" .. sizearg(1, 8), "str"
  elseif r <= 66 then return "c" .. (R(12) == 1 and "" or tostring(R(0, 9))), "str"
  elseif r <= 80 then
    return ({ " ", "<", ">", "=", "!", "!" .. sizearg(1, 16),
              "!" .. ({ 1, 2, 4, 8, 16 })[R(5)] })[R(7)], nil
  elseif r <= 86 then return "x", nil
  elseif r <= 97 then
    local nxt = R(8) == 1 and "" or (option())   -- X eats the next option
    return "X" .. nxt, nil
  else return ({ "y", "%", "\255", "?" })[R(4)], nil
  end
end

local function randfmt()
  local parts, kinds = {}, {}
  for _ = 1, R(0, 6) do
    local o, k = option()
    parts[#parts + 1] = o
    if k then kinds[#kinds + 1] = k end
  end
  return table.concat(parts), kinds
end

-- ---- random values ----

local function intvalue()
  local r = R(12)
  local b = R(1, 8) * 8
  if r <= 4 then return R(-300, 300)
  elseif r <= 7 then
    local lim = b == 64 and H.maxint or H.shl(1, b - 1)
    return lim + R(-2, 1) - (R(2) == 1 and 0 or 2 * lim)
  elseif r == 8 then return ({ H.maxint, H.minint, -1, 0 })[R(4)]
  elseif r == 9 then return R(-1000, 1000) + 0.0
  elseif r == 10 then return ({ 2.5, 0 / 0, 1 / 0, 2 ^ 63 })[R(4)]
  elseif r == 11 then return ({ "12", " 0x10 ", "x", "1e2" })[R(4)]
  else return ({ {}, true })[R(2)]
  end
end

local function floatvalue()
  local r = R(8)
  if r <= 4 then return (R() - 0.5) * 10 ^ R(-40, 40)
  elseif r == 5 then return R(-100, 100)
  elseif r == 6 then return ({ 0 / 0, 1 / 0, -1 / 0, 1e300, -0.0 })[R(5)]
  elseif r == 7 then return ({ "1.5", "x" })[R(2)]
  else return {}
  end
end

local function strvalue()
  local r = R(10)
  if r <= 7 then return randbytes(R(0, 10))
  elseif r == 8 then return R(-99, 9999)
  elseif r == 9 then return 0.5
  else return {}
  end
end

local function randvalues(kinds)
  local v = {}
  local n = #kinds + R(-1, 1)
  for i = 1, math.max(n, 0) do
    local k = kinds[i] or ({ "int", "float", "str" })[R(3)]
    if R(20) == 1 then k = ({ "int", "float", "str" })[R(3)] end   -- mismatch
    v[i] = k == "int" and intvalue() or k == "float" and floatvalue()
           or strvalue()
  end
  return v, math.max(n, 0)
end

-- ---- comparing ----

local function same(a, b)
  if H.numtype(a) ~= H.numtype(b) or type(a) ~= type(b) then return false end
  if a ~= a then return b ~= b end                       -- NaN
  if type(a) == "number" and a == 0 and b == 0 then return 1 / a == 1 / b end
  return a == b
end

local function samelist(a, na, b, nb)
  if na ~= nb then return false end
  for i = 1, na do if not same(a[i], b[i]) then return false end end
  return true
end

-- Error text without its "chunk:line: " prefix.
local function bare(e) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end

-- string.unpack(fmt, s, pos): #1 fmt, #2 data, #3 pos;
-- m:unpack(fmt, pos):          #1 fmt, #2 pos (data too short: #2 too).
local function unpackmsg(e)
  return (e:gsub("^bad argument #3 to 'unpack'", "bad argument #2 to 'unpack'"))
end

-- string.pack(fmt, ...) argument #k is m:pack(pos, fmt, ...)'s #k+1.
local function packmsg(e)
  return (e:gsub("^bad argument #(%d+) to 'pack'", function(k)
    return "bad argument #" .. (tonumber(k) + 1) .. " to 'pack'"
  end))
end

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

local function describe_case(fmt, vals, n, pos)
  local t = {}
  for i = 1, n do t[i] = show(vals[i]) end
  return string.format("seed %d fmt %q pos %s values {%s}", seed, fmt,
                       tostring(pos), table.concat(t, ", "))
end

describe("m:unpack", function()
  it("reads what string.unpack reads, errors included (random)", function()
    if not string.unpack then
      pending("needs Lua 5.3: string.unpack is what these random formats are compared with (the round trip below runs here)") return
    end
    local checked, failed = 0, 0
    for _ = 1, 4000 do
      local data = randbytes(R(0, 48))
      local m = mapof(data)
      local fmt = randfmt()
      local pos = ({ nil, R(-60, 60), R(1, #data + 1), 0, -#data,
                     H.minint, H.maxint, 2.0 })[R(8)]
      -- 0 or a position before the start: 5.4 reads from 1, 5.3 raises;
      -- m:unpack does as 5.4 on every Lua
      local rpos = pos
      if H.luaver < 5.4 and pos and (pos == 0 or pos < -#data) then rpos = 1 end
      local e = table.pack(pcall(function() return string.unpack(fmt, data, rpos) end))
      local g = table.pack(pcall(function() return m:unpack(fmt, pos) end))
      local ok
      if e[1] and H.luaver < 5.4 and not g[1]
         and g[2]:find("unfinished string for format 'z'", 1, true) then
        -- 5.3's "z" reads to the zero after the string's end (Lua keeps
        -- one there) when the data holds none: 5.4 raises, and so does mapbuf
        ok = true
      elseif e[1] then
        ok = g[1] and samelist(e, e.n, g, g.n)
      else
        -- the messages are 5.4's: 5.3 words some failures differently
        ok = not g[1] and (H.luaver < 5.4 or unpackmsg(bare(e[2])) == bare(g[2]))
      end
      if not ok then
        failed = failed + 1
        assert.are.same({ e[1], e[2], e[3] }, { g[1], g[2], g[3] },
                        describe_case(fmt, {}, 0, pos) .. " data " .. show(data))
      end
      checked = checked + 1
      m:close()
    end
    assert.are.equal(0, failed)
    assert.is_true(checked > 0)
  end)

  it("reads values written by string.pack at every position", function()
    if not string.pack then
      pending("needs Lua 5.3: string.pack writes the data here (the written-out layouts below are read at every position here)") return
    end
    local fmts = { "<i4", ">I3", "=h", "<d", ">f", "<j", "<s1", "z", "c5",
                   "!4 i1 i4", "<i16", ">I9", "<!8 b Xd d", "b x H", "T n" }
    for _, fmt in ipairs(fmts) do
      for pre = 0, 9 do
        local vals = { 1, -2, 7, 1.25, "abc" }
        local ok, packed = pcall(string.pack, fmt, table.unpack(vals))
        if not ok then packed = string.pack(fmt, 3, 4, 5) end
        local data = string.rep("\1", pre) .. packed .. "\2\3"
        local m = mapof(data)
        assert.are.same({ string.unpack(fmt, data, pre + 1) },
                        { m:unpack(fmt, pre + 1) })
        assert.are.same({ string.unpack(fmt, data, pre - #data) },
                        { m:unpack(fmt, pre - #data) })
        m:close()
      end
    end
  end)

  it("counts alignment from position 1 of the map", function()
    local m = mapof("\0\0\0\0\1\0\0\0\2\0\0\0")
    -- from position 2 the int aligns to 4 bytes counted from position 1
    assert.are.same({ 1, 9 }, { m:unpack("<!4 i4", 2) })
    assert.are.same({ 2, 13 }, { m:unpack("<!4 i4", 6) })
  end)

  it("defaults pos to 1 and counts negative positions from the end", function()
    local m = mapof("\5\0\250\255")   -- <i2 i2: 5, -6
    assert.are.same({ 5, 3 }, { m:unpack("<i2") })
    assert.are.same({ -6, 5 }, { m:unpack("<i2", -2) })
    assert.are.same({ 5, 3 }, { m:unpack("<i2", -100) })
    assert.are.same({ 5 }, { m:unpack("", 5) })
  end)

  it("does not read past the map (z, s, wide integers)", function()
    local m = mapof("abc")
    assert.has_error(function() m:unpack("z") end,
                     "bad argument #2 to 'unpack' (unfinished string for format 'z')")
    assert.has_error(function() m:unpack("c4") end,
                     "bad argument #2 to 'unpack' (data string too short)")
    local w = mapof("\5hel")   -- <s1 "hello", cut short
    assert.has_error(function() w:unpack("<s1") end,
                     "bad argument #2 to 'unpack' (data string too short)")
    assert.has_error(function() m:unpack("b", 5) end,
                     "bad argument #2 to 'unpack' (initial position out of string)")
    local big = mapof("\0\0\0\0\0\0\0\0\1")
    assert.has_error(function() big:unpack("<i9") end,
                     "9-byte integer does not fit into Lua Integer")
  end)

  it("works on an empty map", function()
    local m = assert(mapbuf.anon(0))
    assert.are.same({ 1 }, { m:unpack("") })
    assert.are.same({ 1 }, { m:unpack("!4 <") })
    assert.has_error(function() m:unpack("b") end,
                     "bad argument #2 to 'unpack' (data string too short)")
  end)

  it("reads a view at the view's positions", function()
    local m = mapof("xx\10\0\0\0\20\0\0\0yy")   -- <i4 i4: 10, 20
    local v = m:view(3, 10)
    assert.are.same({ 10, 20, 9 }, { v:unpack("<i4 i4") })
    assert.are.same({ 20, 9 }, { v:unpack("<i4", -4) })
    assert.has_error(function() v:unpack("<i4", 6) end,
                     "bad argument #2 to 'unpack' (data string too short)")
  end)

  it("raises on a closed map before looking at its arguments", function()
    local m = mapof("abcd")
    m:close()
    assert.has_error(function() m:unpack({}) end, "mapbuf: map is closed")
    assert.has_error(function() m:unpack("i4") end, "mapbuf: map is closed")
  end)

  it("survives finalizers that close the map while strings are made", function()
    for round = 1, 20 do
      local m = mapof(string.rep("abcdefgh", 64))
      local fmt = string.rep("c7 ", 70)
      for _ = 1, 200 do
        H.finalizer(function() m:close() end)
      end
      local ok, err = pcall(function()
        for _ = 1, 50 do m:unpack(fmt) end
      end)
      if not ok then assert.matches("map is closed", err) end
      m:close()
      if round % 5 == 0 then collectgarbage() end
    end
  end)
end)

describe("m:pack", function()
  it("writes what string.pack makes, all or nothing (random)", function()
    if not string.pack then
      pending("needs Lua 5.3: string.pack is what these random formats are compared with (the round trip below runs here)") return
    end
    local failed = 0
    for _ = 1, 4000 do
      local size = R(0, 40)
      local before = randbytes(size)
      local m = mapof(before)
      local fmt, kinds = randfmt()
      local vals, n = randvalues(kinds)
      local pos = ({ R(1, size + 1), R(-size - 1, -1), R(-50, 50), 0,
                     H.maxint, H.minint })[R(6)]
      local e = table.pack(pcall(function() return string.pack(fmt, table.unpack(vals, 1, n)) end))
      local g = table.pack(pcall(function() return m:pack(pos, fmt, table.unpack(vals, 1, n)) end))
      local after = m:sub(1, -1)
      local want_ok, want, want_after
      if e[1] then
        local at = pos < 0 and size + pos + 1 or pos
        if at >= 1 and at <= size + 1 and #e[2] <= size - at + 1 then
          want_ok, want = true, at + #e[2]
          want_after = before:sub(1, at - 1) .. e[2] .. before:sub(at + #e[2])
        else
          want_ok, want = false, "bad argument #1 to 'pack' (out of range)"
          want_after = before
        end
      else
        want_ok, want, want_after = false, packmsg(bare(e[2])), before
      end
      local got = g[1] and g[2] or bare(g[2])
      if g[1] ~= want_ok or got ~= want or after ~= want_after or
         (g[1] and g.n ~= 2) then
        failed = failed + 1
        assert.are.same({ want_ok, want, show(want_after) },
                        { g[1], got, show(after) }, describe_case(fmt, vals, n, pos))
      end
      m:close()
    end
    assert.are.equal(0, failed)
  end)

  it("round-trips with unpack and returns the next position", function()
    local m = assert(mapbuf.anon(64))
    local p = m:pack(1, "<i4 >I2 d z s1 c3", -7, 513, 0.5, "hi", "abc", "xy")
    -- 4 + 2 + 8 + 3 + 4 + 3 bytes, none aligned
    assert.are.equal(25, p)
    if string.pack then
      assert.are.equal(1 + #string.pack("<i4 >I2 d z s1 c3", -7, 513, 0.5, "hi", "abc", "xy"), p)
    end
    assert.are.equal("\249\255\255\255\2\1", m:sub(1, 6))
    assert.are.equal("hi\0\3abcxy\0", m:sub(15, 24))
    assert.are.same({ -7, 513, 0.5, "hi", "abc", "xy\0", p },
                    { m:unpack("<i4 >I2 d z s1 c3") })
    assert.are.equal(64, m:pack(-4, "<i3", 1))  -- bytes 61..63
    assert.are.same({ 1, 64 }, { m:unpack("<i3", 61) })
    assert.are.equal(65, m:pack(-1, "B", 255))
    assert.are.equal(255, m:unpack("B", 64))
    assert.are.equal(65, m:pack(65, ""))    -- nothing written just past the end
  end)

  it("aligns from the start of what it writes, as string.pack does", function()
    local m = mapof(string.rep("\9", 12))
    assert.are.equal(10, m:pack(2, "!4 b i4", 1, 2))
    if string.pack then
      -- native order: string.pack says what the bytes are on this CPU
      assert.are.equal("\9" .. string.pack("!4 b i4", 1, 2) .. "\9\9\9", m:sub(1, -1))
    end
    assert.are.equal("\9\1\0\0\0", m:sub(1, 5))
    assert.are.equal(10, m:pack(2, "<!4 b i4", 1, 2))
    assert.are.equal("\9\1\0\0\0\2\0\0\0\9\9\9", m:sub(1, -1))
  end)

  it("writes nothing when it does not fit or a value is bad", function()
    local m = mapof("0123456789")
    assert.has_error(function() m:pack(8, "i4", 1) end,
                     "bad argument #1 to 'pack' (out of range)")
    assert.has_error(function() m:pack(1, "i4 i2", 1, 1048576) end,
                     "bad argument #4 to 'pack' (integer overflow)")
    assert.has_error(function() m:pack(1, "i4 z", 1, "a\0b") end,
                     "bad argument #4 to 'pack' (string contains zeros)")
    assert.has_error(function() m:pack(1, "i4 i4", 1) end,
                     "bad argument #4 to 'pack' (number expected, got nil)")
    assert.has_error(function() m:pack(1, "i4 y", 1) end,
                     "invalid format option 'y'")
    assert.has_error(function() m:pack(0, "b", 1) end,
                     "bad argument #1 to 'pack' (out of range)")
    assert.has_error(function() m:pack(-11, "b", 1) end,
                     "bad argument #1 to 'pack' (out of range)")
    assert.has_error(function() m:pack(12, "", 1) end,
                     "bad argument #1 to 'pack' (out of range)")
    assert.has_error(function() m:pack(1.5, "b", 1) end,
                     "bad argument #1 to 'pack' (number has no integer representation)")
    assert.are.equal("0123456789", m:sub(1, -1))
  end)

  it("refuses a huge item without building it", function()
    local m = mapof("0123456789")
    -- string.pack would make 2 GB here; m:pack only measures
    assert.has_error(function() m:pack(1, "c2000000000", "") end,
                     "bad argument #1 to 'pack' (out of range)")
    assert.has_error(function() m:pack(1, "x c2000000000 c2000000000", "", "") end,
                     "bad argument #1 to 'pack' (out of range)")
  end)

  it("raises on a read-only map and on a closed one", function()
    local p = H.file("abcdefgh")
    local r = assert(mapbuf.open(p, "r"))
    assert.has_error(function() r:pack(1, "b", 1) end)
    assert.are.equal("abcdefgh", r:sub(1, -1))
    assert.are.same({ 97, 2 }, { r:unpack("b") })
    r:close()
    assert.has_error(function() r:pack({}, {}) end, "mapbuf: map is closed")
    H.cleanup()
  end)

  it("raises instead of reading or writing a file cut short under the map #sigbus", function()
    local p = H.file(string.rep("\1", 3 * 4096))
    local m = assert(mapbuf.open(p, "r+"))
    assert.are.same({ 0x01010101, 4101 }, { m:unpack("<I4", 4097) })
    io.open(p, "wb"):close()                  -- the file is now empty
    assert.has_error(function() m:unpack("<I4", 4097) end,
                     "mapbuf: unpack: file was truncated under the map")
    assert.has_error(function() m:unpack("z") end,
                     "mapbuf: unpack: file was truncated under the map")
    assert.has_error(function() m:pack(8193, "<I4", 5) end,
                     "mapbuf: pack: file was truncated under the map")
    m:close()
    H.cleanup()
  end)

  it("writes through a view at the view's positions", function()
    local m = mapof("..........")
    local v = m:view(4, 7)
    assert.are.equal(5, v:pack(1, "<I4", 0x44434241))
    assert.are.equal("...ABCD...", m:sub(1, -1))
    assert.has_error(function() v:pack(2, "<I4", 0) end,
                     "bad argument #1 to 'pack' (out of range)")
  end)
end)

-- ---- on every Lua: layouts written out, and the round trip ----

-- A format, its bytes, the values m:unpack reads from them, and (when
-- they differ) the values m:pack takes to write them.  Worked out from
-- the manual's rules; where string.pack exists it must agree.
local layouts = {
  { "<i4", "\254\255\255\255", { -2 } },
  { ">I3", "\1\2\3", { 0x010203 } },
  { "<h", "\255\127", { 32767 } },
  { "<d", "\0\0\0\0\0\0\244\63", { 1.25 } },
  { ">f", "\63\160\0\0", { 1.25 } },
  { "<j", "\249\255\255\255\255\255\255\255", { -7 } },
  { ">J", "\0\0\0\0\0\0\1\0", { 256 } },
  { "<s1", "\3abc", { "abc" } },
  { ">s2", "\0\2hi", { "hi" } },
  { "z", "abc\0", { "abc" } },
  { "c5", "ab\0\0\0", { "ab\0\0\0" }, { "ab" } },
  { "<i16", "\5" .. ("\0"):rep(15), { 5 } },
  { "<i16", ("\255"):rep(16), { -1 } },
  { ">I9", ("\0"):rep(8) .. "\7", { 7 } },
  { "<b x >H", "\255\0\1\2", { -1, 258 } },
  { "<J <n", "\3" .. ("\0"):rep(7) .. "\0\0\0\0\0\0\224\191", { 3, -0.5 } },
  { ">i2 <i2", "\1\2\2\1", { 258, 258 } },
  -- aligned: read where the position is 1 modulo 8
  { "<!4 b i4", "\1\0\0\0\254\255\255\255", { 1, -2 }, nil, true },
  { "<!8 b Xd h", "\1" .. ("\0"):rep(7) .. "\9\0", { 1, 9 }, nil, true },
  { ">!2 b h B", "\1\0\0\2\3", { 1, 2, 3 }, nil, true },
}

-- A string of n bytes that are never zero.
local function nonzero(n)
  local t = {}
  for i = 1, n do t[i] = R(1, 255) end
  return string.char(table.unpack(t))
end

-- One option of a well-formed format and a value it takes, as m:pack is
-- given it and as m:unpack gives it back (nil, nil: no value).  aligned:
-- the format has '!', so every size must be a power of 2.
local function rtoption(aligned)
  local r = R(100)
  if r <= 35 then
    local size, letter
    local q = R(3)
    if q == 1 then
      letter = ({ "b", "B", "h", "H", "j", "J" })[R(6)]
      size = ({ b = 1, B = 1, h = 2, H = 2, j = 8, J = 8 })[letter]
    elseif q == 2 then
      size = aligned and ({ 1, 2, 4, 8, 16 })[R(5)] or R(1, 16)
      letter = (R(2) == 1 and "i" or "I") .. size
    else
      letter, size = R(2) == 1 and "i" or "I", 4
    end
    local signed = letter:match("^[bhij]") ~= nil
    -- a value that fits, of at most 53 bits (what every Lua holds)
    local bits = math.min(8 * size - (signed and 1 or 0), 53)
    local v = rand(0, H.int(2 ^ bits) - 1)
    if R(8) == 1 then v = H.int(2 ^ bits) - 1 end           -- the largest
    if signed and R(2) == 1 then v = -v - 1 end
    return letter, v, v
  elseif r <= 45 then
    -- a value a float holds exactly
    local v = R(-2 ^ 23 + 1, 2 ^ 23 - 1) * 2 ^ R(-30, 30)
    return "f", v, v
  elseif r <= 52 then
    local v = (R() - 0.5) * 10 ^ R(-300, 300)
    return R(2) == 1 and "d" or "n", v, v
  elseif r <= 60 then
    local v = nonzero(R(0, 10))
    return "z", v, v
  elseif r <= 68 then
    local v = randbytes(R(0, 10))
    return "s" .. (aligned and ({ 1, 2, 4, 8 })[R(4)] or R(1, 8)), v, v
  elseif r <= 76 then
    local n = R(0, 9)
    local v = randbytes(R(0, n))
    return "c" .. n, v, v .. ("\0"):rep(n - #v)
  elseif r <= 82 then return "x"
  elseif r <= 92 then
    return ({ "<", ">", "=", " " })[R(4)]
  else
    return "X" .. ({ "b", "h", "i2", "i4", "i8", "d", "f", "j" })[R(8)]
  end
end

describe("m:pack and m:unpack on every Lua", function()
  it("lay out values as the manual says: bytes written out, read and written at every position", function()
    for _, l in ipairs(layouts) do
      local fmt, bytes, outs, ins, aligned = l[1], l[2], l[3], l[4] or l[3], l[5]
      if string.pack then
        assert.are.equal(bytes, string.pack(fmt, table.unpack(ins)), fmt)
      end
      for pre = 0, aligned and 16 or 9, aligned and 8 or 1 do
        local data = ("\1"):rep(pre) .. bytes .. "\2\3"
        local m = mapof(data)
        local want = { table.unpack(outs) }
        want[#want + 1] = pre + 1 + #bytes
        local got = table.pack(m:unpack(fmt, pre + 1))
        assert.is_true(samelist(want, #want, got, got.n), fmt .. " at " .. (pre + 1))
        got = table.pack(m:unpack(fmt, pre - #data))
        assert.is_true(samelist(want, #want, got, got.n), fmt .. " at " .. (pre - #data))
        m:close()
        local w = mapof(("\9"):rep(pre) .. ("\8"):rep(#bytes) .. "\9")
        assert.are.equal(pre + 1 + #bytes, w:pack(pre + 1, fmt, table.unpack(ins)), fmt)
        assert.are.equal(("\9"):rep(pre) .. bytes .. "\9", w:sub(1, -1), fmt)
        w:close()
      end
    end
  end)

  it("reads back what it wrote, in place and nowhere else (random, seed " .. seed .. ")", function()
    for _ = 1, 3000 do
      local aligned = R(3) == 1
      local parts, ins, outs = {}, {}, {}
      if aligned then parts[1] = "!" .. ({ "", "1", "2", "4", "8", "16" })[R(6)] end
      for _ = 1, R(0, 6) do
        local o, vin, vout = rtoption(aligned)
        parts[#parts + 1] = o
        if vin ~= nil then ins[#ins + 1], outs[#outs + 1] = vin, vout end
      end
      local fmt = table.concat(parts)
      local before = randbytes(400)
      local m = mapof(before)
      -- unpack aligns from position 1 of the map, pack from where it
      -- starts: the same when that is 1 modulo 16
      local pos = 1 + 16 * R(0, 4)
      local ok, p = pcall(m.pack, m, pos, fmt, table.unpack(ins))
      assert(ok, describe_case(fmt, ins, #ins, pos) .. ": " .. tostring(p))
      local got = table.pack(m:unpack(fmt, pos))
      local want = { table.unpack(outs) }
      want[#want + 1] = p
      if not samelist(want, #want, got, got.n) then
        assert.are.same(want, got, describe_case(fmt, ins, #ins, pos))
      end
      assert.are.equal(before:sub(1, pos - 1), m:sub(1, pos - 1))
      assert.are.equal(before:sub(p), m:sub(p))
      -- the same bytes in a map just big enough; one byte less: nothing
      local n = p - pos
      local fit = mapof(("\7"):rep(n))
      assert.are.equal(n + 1, fit:pack(1, fmt, table.unpack(ins)))
      assert.are.equal(m:sub(pos, p - 1), fit:sub(1, -1))
      if n > 0 then
        local short = mapof(("\7"):rep(n - 1))
        assert.has_error(function() short:pack(1, fmt, table.unpack(ins)) end,
                         "bad argument #1 to 'pack' (out of range)")
        assert.are.equal(("\7"):rep(n - 1), short:sub(1, -1))
        short:close()
      end
      fit:close(); m:close()
    end
  end)
end)

-- ---- 64-bit integers where numbers are doubles ----
-- Lua 5.1, 5.2 and LuaJIT have no integers: a number is a double, exact
-- for integers up to 2^53.  What mapbuf does there with the 8-byte
-- formats (j, J, i8, I8, and the arrays of them): it stores every
-- integral double in -2^63 .. 2^63 exactly and raises for any other number
-- (as 5.4 raises for a float without an integer value); it reads 8 bytes
-- exactly as an integer and gives the double nearest to it, so values
-- beyond 2^53 come back rounded (to even on a tie).

local B53 = "\0\0\0\0\0\0\32\0"                        -- <j 2^53
local MAX = "\255\255\255\255\255\255\255\127"          -- <j 2^63 - 1

describe("64-bit integers on every Lua", function()
  it("store integral values up to 2^53, and beyond that those a double holds, exactly", function()
    local m = mapof(("\9"):rep(8))
    local cases = {
      { 2 ^ 53, B53 },
      { -2 ^ 53, "\0\0\0\0\0\0\224\255" },
      { 2 ^ 53 + 2, "\2\0\0\0\0\0\32\0" },
      { 2 ^ 62 + 2 ^ 10, "\0\4\0\0\0\0\0\64" },
      { -2 ^ 63, "\0\0\0\0\0\0\0\128" },
      { 2 ^ 63 - 2 ^ 10, "\0\252\255\255\255\255\255\127" },
    }
    for _, c in ipairs(cases) do
      for _, fmt in ipairs({ "<j", "<i8", "<J", "<I8" }) do
        m:pack(1, fmt, c[1])
        assert.are.equal(c[2], m:sub(1, -1), fmt .. " " .. string.format("%.0f", c[1]))
        local a = m:array(fmt)
        a[1] = -1
        a[1] = c[1]
        assert.are.equal(c[2], m:sub(1, -1), "array " .. fmt)
        if fmt:match("[ji]") then
          assert.is_true(m:unpack(fmt) == c[1], fmt)   -- all exact in a double
          assert.is_true(a[1] == c[1], fmt)
        end
      end
    end
  end)

  it("raise for a number with no 64-bit integer, and write nothing", function()
    local m = mapof(("\9"):rep(8))
    for _, v in ipairs({ 2 ^ 63, -2 ^ 64, 2 ^ 64, 1e300, 1 / 0, -1 / 0, 0 / 0, 0.5, 2 ^ 51 + 0.5 }) do
      for _, fmt in ipairs({ "<j", "<i8", "<J", "<I8" }) do
        assert.has_error(function() m:pack(1, fmt, v) end,
                         "bad argument #3 to 'pack' (number has no integer representation)")
        local a = m:array(fmt)
        local ok, e = pcall(function() a[1] = v end)
        assert.is_false(ok, fmt .. " " .. tostring(v))
        assert.matches("number has no integer representation", e)
        ok, e = pcall(a.fill, a, v)
        assert.is_false(ok, fmt .. " " .. tostring(v))
        assert.matches("number has no integer representation", e)
        assert.are.equal(("\9"):rep(8), m:sub(1, -1), fmt .. " " .. tostring(v))
      end
    end
  end)

  it("read integers beyond 2^53 exactly from 5.3 on, as the nearest double before", function()
    local m = mapof("\1\0\0\0\0\0\32\0" .. "\3\0\0\0\0\0\32\0" .. MAX .. ("\255"):rep(8))
    local a = m:array("<j")
    local b = m:array("<J")
    if H.luaver >= 5.3 then
      local big = H.int(2 ^ 53)
      assert.are.same({ big + 1, big + 3, math.maxinteger, -1, 33 }, { m:unpack("<j j j J") })
      assert.are.same({ big + 1, big + 3, math.maxinteger, -1 }, { a[1], a[2], a[3], a[4] })
      assert.are.equal("integer", math.type(a[3]))
      -- and so they go back as they came
      m:pack(1, "<j", m:unpack("<j"))
      a[3] = a[3]
      assert.are.equal("\1\0\0\0\0\0\32\0", m:sub(1, 8))
      assert.are.equal(MAX, m:sub(17, 24))
    else
      -- 2^53 + 1 is a tie: to even, 2^53; 2^53 + 3 to 2^53 + 4; 2^63 - 1
      -- to 2^63, which is no 64-bit integer; all bits set is -1 for J too
      assert.are.same({ 2 ^ 53, 2 ^ 53 + 4, 2 ^ 63, -1, 33 }, { m:unpack("<j j j J") })
      assert.are.same({ 2 ^ 53, 2 ^ 53 + 4, 2 ^ 63, -1 }, { a[1], a[2], a[3], b[4] })
      assert.are.same({ 2 ^ 53, -1 }, { (m:unpack("<i8", 1)), (m:unpack("<I8", 25)) })
      -- a value read there is a double: written back, it is that double's
      m:pack(1, "<j", m:unpack("<j"))
      assert.are.equal(B53, m:sub(1, 8))
      a[2] = a[2]
      assert.are.equal("\4\0\0\0\0\0\32\0", m:sub(9, 16))
      -- and 2^63 cannot go back at all: it raises, the bytes stay
      assert.has_error(function() m:pack(17, "<j", m:unpack("<j", 17)) end,
                       "bad argument #3 to 'pack' (number has no integer representation)")
      assert.is_false(pcall(function() a[3] = a[3] end))
      assert.are.equal(MAX, m:sub(17, 24))
    end
  end)
end)
