-- spec/lua/array_spec.lua: m:array(fmt [, i [, j]]), typed arrays over a
-- map: every element type in both byte orders, at unaligned places,
-- element access checked against string.pack / string.unpack (on Lua 5.1,
-- 5.2 and LuaJIT, which have neither, against bytes worked out below from
-- the layout the manual gives), the bulk methods against the same
-- computation in Lua, bad arguments, and the life rules (closed with the
-- map, stale after a shrink, truncation).
local mapbuf = require "mapbuf"
local H = require "spec.helper"

local PS = mapbuf.PAGESIZE
local seed = tonumber(os.getenv("SEED")) or os.time()
math.randomseed(seed)
local R = math.random

-- R(lo, hi) for any interval of integers up to 2^53 wide: 5.1's and 5.2's
-- math.random take only C ints.
local function rand(lo, hi)
  if H.luaver >= 5.3 or (lo >= -2 ^ 31 and hi < 2 ^ 31) then return R(lo, hi) end
  return lo + math.min(math.floor(R() * (hi - lo + 1)), hi - lo)
end

-- ---- element bytes, for the Luas without string.pack ----
-- The host's byte order, asked of od(1), not of mapbuf.
local little = H.run("printf '\\001\\000' | od -An -tu2"):match("%d+") == "1"

-- Bytes of an integer v (|v| <= 2^53) in size bytes, two's complement.
local function intbytes(v, size, le)
  local neg, t = v < 0, {}
  local u = neg and -v - 1 or v
  for k = 1, size do
    local b = u % 256
    u = (u - b) / 256
    t[k] = neg and 255 - b or b
  end
  if not le then
    for k = 1, size / 2 do t[k], t[size + 1 - k] = t[size + 1 - k], t[k] end
  end
  return string.char(table.unpack(t))
end

-- Bytes of a normal or zero IEEE 754 binary32 (size 4) or binary64 (8)
-- holding x exactly (x must be representable: no rounding here).
local function floatbytes(x, size, le)
  local mbits, ebits = size == 4 and 23 or 52, size == 4 and 8 or 11
  local bias = 2 ^ (ebits - 1) - 1
  local sign = (x < 0 or 1 / x < 0) and 1 or 0
  local e, mant = 0, 0
  if x ~= 0 then
    local m, ex = math.frexp(math.abs(x))   -- |x| = m * 2^ex, m in [0.5, 1)
    e, mant = ex - 1 + bias, (m * 2 - 1) * 2 ^ mbits
    assert(e >= 1 and e < 2 * bias + 1 and mant == math.floor(mant), "not exact")
  end
  local top = sign * 2 ^ ebits + e          -- the bits above the mantissa
  if size == 4 then return intbytes(top * 2 ^ mbits + mant, 4, le) end
  local low = mant % 2 ^ 32
  local high = top * 2 ^ 20 + (mant - low) / 2 ^ 32
  if le then return intbytes(low, 4, true) .. intbytes(high, 4, true) end
  return intbytes(high, 4, false) .. intbytes(low, 4, false)
end

-- The exact sum of integral doubles of at most 53 bits, rounded once (as
-- an int64 sum converted to a double is): halves added apart.
local function exactsum(list)
  local hi, lo = 0, 0
  for _, v in ipairs(list) do
    local l = v % 2 ^ 26
    lo, hi = lo + l, hi + (v - l) / 2 ^ 26
  end
  return hi * 2 ^ 26 + lo
end

-- a < b as unsigned 64-bit integers (math.ult is 5.3's)
local ult = math.ult or function(a, b)
  if (a < 0) == (b < 0) then return a < b end
  return b < 0
end

-- Every element type: its format letter, size, and whether it is a float;
-- the integer limits follow from the size.
local types = {
  {"b", 1}, {"B", 1}, {"h", 2}, {"H", 2}, {"i1", 1}, {"i2", 2}, {"i4", 4},
  {"i8", 8}, {"I1", 1}, {"I2", 2}, {"I4", 4}, {"I8", 8}, {"i", 4}, {"I", 4},
  {"l", H.idiv(H.bits, 8)}, {"L", H.idiv(H.bits, 8)},   -- long: 4 on i686
  {"j", 8}, {"J", 8}, {"f", 4, true}, {"d", 8, true},
  {"n", 8, true},
}

local function limits(t)
  local letter, size, float = t[1], t[2], t[3]
  if float then return nil end
  local signed = letter:match("^[bhilj]")
  if size == 8 then return H.minint, H.maxint end
  local span = H.shl(1, 8 * size)
  if signed then return -H.idiv(span, 2), H.idiv(span, 2) - 1 end
  return 0, span - 1
end

local function value(t)
  local lo, hi = limits(t)
  if not lo then
    if string.pack or t[1] ~= "f" then return (R() - 0.5) * 10 ^ R(-3, 6) end
    -- no string.pack to say how a double rounds to a float: values a
    -- float holds exactly
    return R(-2 ^ 23 + 1, 2 ^ 23 - 1) * 2 ^ R(-20, 4)
  end
  if t[2] == 8 then return H.random64() end   -- at most 53 bits before 5.3
  return rand(lo, hi)
end

local function raises(pat, f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "no error, wanted " .. pat)
  assert.matches(pat, err)
end

describe("m:array", function()
  teardown(H.cleanup)

  it("reads and writes every element type, both orders, unaligned, as string.pack does (seed " .. seed .. ")", function()
    for _, t in ipairs(types) do
      for _, order in ipairs({"<", ">", "=", ""}) do
        local fmt = order .. t[1]
        local n = R(1, 40)
        local m = mapbuf.anon(n * t[2] + 3)
        local a = m:array(fmt, 2, 1 + n * t[2])   -- from byte 2: unaligned
        assert.equal(n, #a, fmt)
        local vals = {}
        for k = 1, n do
          vals[k] = value(t)
          a[k] = vals[k]
        end
        local want
        if string.pack then
          want = string.pack((order == "" and "=" or order) .. (t[1]):rep(1):gsub("(%a)(%d?)", "%1%2"):rep(n), table.unpack(vals))
        else
          local le, parts = order == "<" or (order ~= ">" and little), {}
          for k = 1, n do
            parts[k] = (t[3] and floatbytes or intbytes)(vals[k], t[2], le)
          end
          want = table.concat(parts)
        end
        assert.equal(want, m:sub(2, 1 + n * t[2]), fmt)
        assert.equal(0, m[1])
        for k = 1, n do
          local got = a[k]
          -- (before 5.3 every value stored is exact: it reads back as it was)
          local exp = string.unpack and
              string.unpack((order == "" and "=" or order) .. t[1], want, (k - 1) * t[2] + 1)
              or vals[k]
          assert.equal(exp, got, fmt .. " element " .. k)
          assert.equal(H.numtype(exp), H.numtype(got), fmt)
          assert.equal(got, a[k - n - 1], fmt .. " from the end")
        end
      end
    end
  end)

  it("gives nil outside, so ipairs walks it, and takes integral floats", function()
    local m = H.mapof("\10\0\20\0\30\0")   -- <i2 10, 20, 30
    local a = m:array("<i2")
    assert.is_nil(a[0]); assert.is_nil(a[4]); assert.is_nil(a[-4])
    assert.is_nil(a[1.5]); assert.is_nil(a[H.maxint]); assert.is_nil(a[H.minint])
    assert.equal(20, a[2.0])
    local seen = {}
    if H.luaver >= 5.2 then
      for k, v in ipairs(a) do seen[k] = v end
    else
      -- 5.1's and LuaJIT's ipairs take tables only: the walk it would do,
      -- by hand (a[k] until the first nil)
      local k = 1
      while a[k] ~= nil do seen[k] = a[k]; k = k + 1 end
    end
    assert.same({10, 20, 30}, seen)
    a[-1] = 33
    assert.equal(33, a[3])
    raises("bad argument #2 to '__newindex' %(out of range%)", function() a[4] = 1 end)
    raises("bad argument #2 to '__newindex' %(out of range%)", function() a[0] = 1 end)
    raises("number has no integer representation", function() a[1.5] = 1 end)
  end)

  it("checks stores as string.pack does, and writes nothing on failure", function()
    local m = mapbuf.anon(64)
    for _, t in ipairs(types) do
      local a = m:array("<" .. t[1], 1, t[2] * 2)
      local bad = t[3] and {} or {1.5, 0/0, 1/0, 2^63}
      local lo, hi = limits(t)
      if lo and t[2] < 8 then bad[#bad + 1] = lo - 1; bad[#bad + 1] = hi + 1 end
      for _, v in ipairs(bad) do
        local before = m:sub(1)
        -- string.pack's message for v (written out: 5.1 and 5.2 have none)
        local want = t[3] and "number expected, got table"
            or (v ~= v or v ~= math.floor(v) or v >= 2 ^ 63) and "number has no integer representation"
            or t[1]:match("^[bhilj]") and "integer overflow" or "unsigned overflow"
        if string.pack then
          local ok1, e1 = pcall(string.pack, "<" .. t[1], v)
          assert.is_false(ok1, t[1] .. " " .. tostring(v))
          assert.equal(want, e1:match("%((.*)%)$"), t[1] .. " " .. tostring(v))
        end
        local ok2, e2 = pcall(function() a[1] = v end)
        assert.is_false(ok2, t[1] .. " " .. tostring(v))
        assert.equal(want, e2:match("%((.*)%)$"), t[1] .. " " .. tostring(v))
        assert.equal(before, m:sub(1))
      end
      raises("number expected, got string", function() a[1] = "x" end)
      a[1] = "7"   -- a numeral string is a number
      assert.equal(7, a[1])
    end
  end)

  it("sums, and finds the least and greatest, as Lua would", function()
    for _, t in ipairs(types) do
      local n = R(0, 300)
      local m = mapbuf.anon(n * t[2] + 1)
      local a = m:array(">" .. t[1], 2)
      local sum, lo, hi, all = 0, nil, nil, {}
      for k = 1, n do
        local v = value(t)
        a[k] = v
        v = a[k]   -- as stored (floats rounded to f)
        sum, all[k] = sum + v, v
        if lo == nil or v < lo then lo = v end
        if hi == nil or v > hi then hi = v end
      end
      if t[3] then
        assert.is_true(math.abs(a:sum() - sum) <= 1e-9 * (1 + math.abs(sum)), t[1])
      elseif t[2] == 8 and H.luaver < 5.3 then
        -- a sum of 53-bit values may need 62: mapbuf adds them as 64-bit
        -- integers, and rounds once, to the double Lua gets
        assert.equal(exactsum(all), a:sum(), t[1])
      elseif t[1]:match("^[LJ]") or t[1] == "I8" then
        -- 64-bit unsigned: values and sums as their bits, wrapping
        assert.equal(sum, a:sum(), t[1])
      else
        assert.equal(sum, a:sum(), t[1])
      end
      if t[1]:match("^[LJ]") or t[1] == "I8" then
        -- compared as unsigned
        lo, hi = nil, nil
        for k = 1, n do
          local v = a[k]
          if lo == nil or ult(v, lo) then lo = v end
          if hi == nil or ult(hi, v) then hi = v end
        end
      end
      assert.equal(lo, a:min(), t[1])
      assert.equal(hi, a:max(), t[1])
      if n == 0 then assert.is_nil(a:min()); assert.equal(0, a:sum()) end
    end
  end)

  it("fills, adds, multiplies and clamps in place, rounding half to even, saturating", function()
    local m = mapbuf.anon(16)
    local a = m:array("<i2")
    a:fill(100)
    assert.same({100, 100}, {a[1], a[8]})
    a:mul(0.5)
    assert.equal(50, a[1])
    a:fill(5); a:mul(0.5); assert.equal(2, a[1])     -- 2.5 -> 2
    a:fill(7); a:mul(0.5); assert.equal(4, a[1])     -- 3.5 -> 4
    a:fill(-5); a:mul(0.5); assert.equal(-2, a[1])   -- -2.5 -> -2
    a:fill(30000); a:add(10000); assert.equal(32767, a[1])
    a:fill(-30000); a:add(-10000); assert.equal(-32768, a[1])
    a:fill(1000); a:mul(1000); assert.equal(32767, a[1])
    a:fill(10); a:mul(0/0); assert.equal(0, a[1])   -- NaN stores 0
    for k = 1, 8 do a[k] = k * 10 end
    assert.equal(a, a:clamp(25, 55))
    assert.same({25, 25, 30, 40, 50, 55, 55, 55},
                {a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]})
    local b = mapbuf.anon(16):array("<i2")
    b:fill(2)
    a:mul(b)
    assert.equal(50, a[1])
    a:add(b)
    assert.equal(52, a[1])
    raises("arrays differ in length", a.add, a, mapbuf.anon(4):array("<i2"))
    raises("number or mapbuf.array expected", a.mul, a, {})
    raises("bad argument #1 to 'fill' %(integer overflow%)", function() a:fill(40000) end)
    raises("bad argument #1 to 'fill' %(number has no integer representation%)",
           function() a:fill(1.5) end)
  end)

  it("copies element by element between types: a byte swap, conversions, overlap", function()
    local m = mapbuf.anon(64)
    local le = m:array("<i2", 1, 16)
    for k = 1, 8 do le[k] = k * 257 - 1000 end
    local be = mapbuf.anon(16):array(">i2")
    be:copy(le)
    for k = 1, 8 do assert.equal(le[k], be[k]) end
    local f = mapbuf.anon(32):array("<f")
    f:copy(le)
    for k = 1, 8 do assert.equal(le[k] + 0.0, f[k]) end
    f[1] = 2.5; f[2] = 1e9
    le:copy(f)
    assert.equal(2, le[1]); assert.equal(32767, le[2])
    -- overlap within one map, both directions: as if the source were read whole first
    for k = 1, 8 do le[k] = k end
    local shifted = m:array("<i2", 3, 18)
    shifted:copy(le)
    assert.same({1, 1, 2, 3, 4, 5, 6, 7, 8, 19}, {m:unpack("<i2i2i2i2i2i2i2i2i2")})
    for k = 1, 8 do shifted[k] = k end
    le:copy(shifted)
    assert.same({1, 2, 3, 4, 5, 6, 7, 8}, {le[1], le[2], le[3], le[4], le[5], le[6], le[7], le[8]})
  end)

  it("refuses bad formats and ranges that are no whole number of elements", function()
    local m = mapbuf.anon(16)
    for _, f in ipairs({"", "x", "i3", "i16", "<", "<<i2", "c3", "s4", "z",
                        "i2 ", " i2", "!i2", "T", "i0", "I9", "bb", "<i2>", 5}) do
      raises("bad argument #1 to 'array' %(invalid element format", function() m:array(f) end)
    end
    raises("bad argument #1 to 'array' %(string expected, got nil%)", function() m:array(nil) end)
    raises("bad argument #2 to 'array' %(15 bytes are no whole number of 2%-byte elements%)",
           function() m:array("<i2", 2) end)
    assert.equal(0, #m:array("<i4", 5, 4))     -- empty
    assert.equal(0, #m:array("d", 17))
    assert.equal(4, #m:array("<i4", -16))
  end)

  it("can be read but not written on a read-only map", function()
    local p = H.file("\5\0\0\0\6\0\0\0")   -- <i4 5, 6
    local m = assert(mapbuf.open(p, "r"))
    local a = m:array("<i4")
    assert.equal(11, a:sum())
    for _, f in ipairs({function() a[1] = 1 end, function() a:fill(1) end,
                        function() a:add(1) end, function() a:mul(2) end,
                        function() a:clamp(0, 1) end, function() a:copy(a) end}) do
      raises("map is read%-only", f)
    end
    assert.equal(5, a[1])
  end)

  it("follows its map: alive while the array is, closed with it, stale after a shrink", function()
    local a = H.mapof("\1\0\0\0\2\0\0\0\3\0\0\0"):array("<i4")
    collectgarbage(); collectgarbage()
    assert.equal(6, a:sum())          -- the map lives on in the array
    local m = mapbuf.anon(12, {private = true})
    local b = m:array("<i4", 5)
    b:fill(9)
    m:resize(8)
    raises("mapbuf: array is out of range of its map", function() return b[1] end)
    raises("array is out of range", b.sum, b)
    m:resize(12)
    assert.equal(18, b:sum())
    m:close()
    raises("mapbuf: map is closed", function() return b[1] end)
    raises("mapbuf: map is closed", b.sum, b)
    raises("mapbuf: map is closed", function() return #b end)
    assert.equal("mapbuf.array(closed)", tostring(b))
    -- its metatable is hidden, and its finalizer harmless by hand
    assert.equal("mapbuf.array", getmetatable(b))
    debug.getmetatable(b).__gc(b); debug.getmetatable(b).__gc(b)
    raises("mapbuf.array expected", debug.getmetatable(b).__index, io.stdout, 1)
  end)

  it("raises 'truncated' for elements of a file cut under it #sigbus", function()
    local p = H.file(("\7\0\0\0"):rep(H.idiv(3 * PS, 4)))   -- <i4 7s
    local m = assert(mapbuf.open(p, "r"))
    local a = m:array("<i4")
    assert(H.sh("truncate -s " .. PS .. " " .. H.q(p)))
    raises("truncated", a.sum, a)
    raises("truncated", function() return a[H.idiv(PS, 4) + 1] end)
    assert.equal(7, a[1])
  end)
end)
