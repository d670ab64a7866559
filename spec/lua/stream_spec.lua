-- spec/lua/stream_spec.lua: the map as a stream.  read, lines, seek and
-- write are checked differentially against a Lua file handle holding the
-- same bytes (random contents x random formats), then by hand for Python's
-- readline, read_byte and write_byte and for the rules of a map.
local mapbuf = require "mapbuf"
local H = require "spec.helper"

local seed = tonumber(os.getenv("SEED")) or os.time()
math.randomseed(seed)
local R = math.random

local mapof = H.mapof

-- Random text made of pieces "n" and "l" like to meet.
local pieces = {"\n", "\n", " ", "  \t", "12", "-7", "+3.5", "0x1F", "0x", "1e5",
  "2.5e-3", ".5", "5.", "abc", "x", "\r\n", "\0", "\255", "-", "e", "0x.8p1",
  "1E", "nan", "inf", "  42  ", "9007199254740993", "0xffffffffffffffffff",
  string.rep("7", 210), "1.2.3", "--1", "0X1P4", "0x1p-2", "1e+", "1e-5",
  ".e1", "0x.p1", "+.", "-0", "0e", "0x1e", "0xAbC.dEp+3", "00x1", "0x0x",
  string.rep("7", 199), string.rep("7", 200), string.rep("7", 201),
  "0x" .. string.rep("f", 198), "1" .. string.rep("0", 196) .. "e5", "\v",
  "\f", "1 2", "3\n4"}
-- (5.1's and 5.2's file:read cuts a line at a zero byte: fgets and strlen)
if H.luaver < 5.3 then
  for i = #pieces, 1, -1 do if pieces[i]:find("\0", 1, true) then table.remove(pieces, i) end end
end
local function randtext()
  local t = {}
  for i = 1, R(0, 30) do t[i] = pieces[R(#pieces)] end
  return table.concat(t)
end

-- file:read, the reference, takes formats without '*' and reads numerals
-- by Lua's own rules from 5.3 on (5.1 and 5.2: C's fscanf; 5.1 has no
-- "L"); m:read does as 5.3 on, on every Lua, so older Luas compare only
-- the formats they share
local formats = H.luaver >= 5.3 and {"l", "L", "n", "a", 0, 1, 2, 5, 100, "*l", "*n", "*a", "*L"}
  or H.luaver >= 5.2 and {0, 1, 2, 5, 100, "*l", "*a", "*L"}
  or {0, 1, 2, 5, 100, "*l", "*a"}
local function randformats()
  local t = {}
  for i = 1, R(0, 4) do t[i] = formats[R(#formats)] end
  return t
end

-- Results of a call as a comparable list (nil holes kept).
local function pack(...) return {n = select("#", ...), ...} end

describe("read", function()
  teardown(H.cleanup)

  it("agrees with file:read on random bytes and formats (seed " .. seed .. ")", function()
    for _ = 1, 300 do
      local s = randtext()
      local p = H.file(s)
      local f = assert(io.open(p, "rb"))
      local m = mapof(s)
      for step = 1, 12 do
        local fmts = randformats()
        local want = pack(f:read(table.unpack(fmts)))
        local got = pack(m:read(table.unpack(fmts)))
        assert.same(want, got, ("%q with %s, step %d"):format(s,
          table.concat((function() local t = {} for i, x in ipairs(fmts) do t[i] = tostring(x) end return t end)(), ","), step))
        assert.equals(f:seek(), m:tell())
        for i = 1, got.n do
          if math.type and math.type(want[i]) then
            assert.equals(math.type(want[i]), math.type(got[i]))
          end
        end
        if R(4) == 1 then
          local pos = R(0, #s)
          assert.equals(f:seek("set", pos), m:seek("set", pos))
        end
      end
      f:close()
    end
  end)

  it("reads a line by default, and nil at the end", function()
    local m = mapof("one\ntwo")
    assert.equals("one", m:read())
    assert.equals("two", m:read())
    assert.is_nil(m:read())
    assert.is_nil(m:read("l"))
    assert.equals("", m:read("a"))
    assert.is_nil(m:read(0))
  end)

  it("stops at the first format that fails", function()
    local m = mapof("12 abc")
    assert.same(pack(12, nil), pack(m:read("n", "n", "l")))
  end)

  it("raises for invalid formats", function()
    local m = mapof("abc")
    assert.has_error(function() m:read("x") end, "bad argument #1 to 'read' (invalid format)")
    assert.has_error(function() m:read(1.5) end)
    assert.equals(0, m:tell())
    -- as with files, the formats before the bad one have been read
    assert.has_error(function() m:read("l", {}) end)
    assert.equals(3, m:tell())
  end)

  it("reads the rest for a negative count, as Python's read(-1)", function()
    -- (file:read(-1) tries to allocate the whole address space instead)
    local m = mapof("abcdef")
    m:read(2)
    assert.equals("cdef", m:read(-1))
    assert.is_nil(m:read(-1))
  end)
end)

describe("lines", function()
  teardown(H.cleanup)

  it("agrees with file:lines, formats included", function()
    for _ = 1, 100 do
      local s = randtext()
      local fmts = randformats()
      if #fmts == 0 or fmts[1] == "a" or fmts[1] == "*a" or fmts[1] == 0 then
        fmts = {"*L"}   -- those never end, for files and maps alike
      end
      if H.luaver < 5.2 then fmts = {} end   -- 5.1's file:lines takes no formats
      local f = assert(io.open(H.file(s), "rb"))
      local want, got = {}, {}
      for a, b in f:lines(table.unpack(fmts)) do want[#want + 1] = {a, b} end
      for a, b in mapof(s):lines(table.unpack(fmts)) do got[#got + 1] = {a, b} end
      assert.same(want, got, ("%q"):format(s))
      f:close()
    end
  end)

  it("starts at the cursor and moves it", function()
    local m = mapof("a\nb\nc\n")
    m:seek("set", 2)
    local t = {}
    for l in m:lines() do t[#t + 1] = l end
    assert.same({"b", "c"}, t)
    assert.equals(6, m:tell())
  end)

  it("raises once its map is closed", function()
    local m = mapof("a\nb\nc\n")
    local it = m:lines()
    assert.equals("a", it())
    m:close()
    assert.has_error(it, "mapbuf: map is closed")
    local m2 = mapof("x\ny\n")
    assert.has_error(function()
      for _ in m2:lines() do m2:close() end
    end, "mapbuf: map is closed")
  end)

  it("refuses too many formats", function()
    local t = {}
    for i = 1, 251 do t[i] = "l" end
    assert.has_error(function() mapof("x"):lines(table.unpack(t)) end)
    t[251] = nil
    assert.is_function(mapof("x"):lines(table.unpack(t)))
  end)
end)

describe("write", function()
  teardown(H.cleanup)

  it("formats numbers as file:write does", function()
    local vals = {1, -0, 0.0, -0.0, 1.0, 1.5, 1e100, 2^63, H.maxint,
                  H.minint, 1/0, -1/0, 0.1, 123456789012345678, 3.14159265358979}
    local p = H.tmpname()
    local f = assert(io.open(p, "wb"))
    for _, v in ipairs(vals) do f:write(v, "|") end
    f:close()
    local want = H.readfile(p)
    local m = assert(mapbuf.anon(#want))
    for _, v in ipairs(vals) do m:write(v, "|") end
    assert.equals(want, m:sub(1))
    assert.equals(#want, m:tell())
  end)

  it("writes at the cursor, advances it and returns the map", function()
    local m = mapof("..........")
    m:seek("set", 2)
    assert.equals(m, m:write("ab", 12, "c"))
    assert.equals("..ab12c...", m:sub(1))
    assert.equals(7, m:tell())
    m:write()
    assert.equals(7, m:tell())
  end)

  it("is all or nothing", function()
    local m = mapof("0123456789")
    m:seek("set", 8)
    assert.has_error(function() m:write("a", "b", "c") end, "mapbuf: write: out of range")
    assert.equals("0123456789", m:sub(1))
    assert.equals(8, m:tell())
    assert.has_error(function() m:write("a", {}) end)
    assert.equals("0123456789", m:sub(1))
    m:write("ab")
    assert.equals("01234567ab", m:sub(1))
    assert.has_error(function() m:write("x") end)
    m:write("")   -- nothing always fits
  end)

  it("raises on read-only maps", function()
    local r = assert(mapbuf.open(H.file("abc")))
    assert.has_error(function() r:write("x") end, "mapbuf: write: map is read-only")
    assert.has_error(function() r:write_byte(1) end)
  end)
end)

describe("seek and tell", function()
  it("work like file:seek over 0 .. #m", function()
    local m = mapof("0123456789")
    assert.equals(0, m:tell())
    assert.equals(0, m:seek())
    assert.equals(10, m:seek("end"))
    assert.equals(7, m:seek("end", -3))
    assert.equals(5, m:seek("cur", -2))
    assert.equals(6, m:seek("cur", 1))
    assert.equals(2, m:seek("set", 2))
    assert.equals("23", m:read(2))
    assert.equals(0, m:seek("set"))
  end)

  it("raises for a target outside 0 .. #m and keeps the cursor", function()
    local m = mapof("0123456789")
    m:seek("set", 4)
    assert.has_error(function() m:seek("set", 11) end, "bad argument #2 to 'seek' (out of range)")
    assert.has_error(function() m:seek("set", -1) end)
    assert.has_error(function() m:seek("cur", 7) end)
    assert.has_error(function() m:seek("end", 1) end)
    assert.has_error(function() m:seek("cur", H.maxint) end)
    assert.has_error(function() m:seek("cur", H.minint) end)
    assert.has_error(function() m:seek("set", 0/0) end)
    assert.has_error(function() m:seek("nope") end)
    assert.has_error(function() m:seek(0) end)
    assert.equals(4, m:tell())
  end)

  it("seekable is true", function()
    assert.is_true(mapof("x"):seekable())
  end)
end)

describe("Python's stream methods", function()
  it("readline gives lines with their newline and '' at the end", function()
    local m = mapof("a\n\nbc")
    assert.equals("a\n", m:readline())
    assert.equals("\n", m:readline())
    assert.equals("bc", m:readline())
    assert.equals("", m:readline())
    assert.equals("", m:readline())
  end)

  it("read_byte gives the byte at the cursor, nil at the end", function()
    local m = mapof("\0\255")
    assert.equals(0, m:read_byte())
    assert.equals(255, m:read_byte())
    assert.is_nil(m:read_byte())
    assert.equals(2, m:tell())
  end)

  it("write_byte stores at the cursor and raises at the end", function()
    local m = mapof("ab")
    assert.equals(m, m:write_byte(65))
    m:write_byte(66.0)
    assert.equals("AB", m:sub(1))
    assert.has_error(function() m:write_byte(67) end, "mapbuf: write_byte: out of range")
    m:seek("set", 0)
    assert.has_error(function() m:write_byte(256) end)
    assert.has_error(function() m:write_byte(-1) end)
    assert.has_error(function() m:write_byte("x") end)
    assert.equals(0, m:tell())
  end)
end)

describe("the cursor", function()
  it("belongs to each object", function()
    local m = mapof("abcdef")
    local v = m:view(3)
    m:read(2)
    assert.equals(0, v:tell())
    assert.equals("cd", v:read(2))
    assert.equals(2, m:tell())
  end)
end)
