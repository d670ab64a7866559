-- spec/lua/map_spec.lua: the map object's random access (m[i], byte, sub,
-- set, fill, move), the mapping (size, resize, flush, madvise, close) and
-- the metamethods, with byte and sub checked against string.byte and
-- string.sub on the same bytes for every pair of positions.
local mapbuf = require "mapbuf"
local H = require "spec.helper"

local PS = mapbuf.PAGESIZE

local mapof = H.mapof

describe("m[i]", function()
  it("gives bytes at 1-based positions, negative from the end, nil outside", function()
    local m = mapof("\0A\255")
    assert.equals(0, m[1]); assert.equals(65, m[2]); assert.equals(255, m[3])
    assert.equals(255, m[-1]); assert.equals(0, m[-3])
    assert.is_nil(m[0]); assert.is_nil(m[4]); assert.is_nil(m[-4])
    assert.is_nil(m[H.maxint]); assert.is_nil(m[H.minint])
  end)

  it("takes integral floats as integers; other numbers are not positions", function()
    local m = mapof("xyz")
    assert.equals(121, m[2.0]); assert.equals(122, m[-1.0])
    assert.is_nil(m[1.5]); assert.is_nil(m[0/0]); assert.is_nil(m[math.huge])
    assert.is_nil(m[-math.huge]); assert.is_nil(m[2^63]); assert.is_nil(m[-2^63])
  end)

  it("makes ipairs walk every byte (5.2 on: 5.1's ipairs takes only tables)", function()
    local s = "hello\0world"
    local m, t = mapof(s), {}
    if H.luaver == 5.1 then
      assert.has_error(function() ipairs(m) end)
      return
    end
    for i, b in ipairs(m) do t[i] = b end
    assert.same({s:byte(1, -1)}, t)
  end)

  it("gives methods for names and nil for unknown keys", function()
    local m = mapof("a")
    assert.is_function(m.sub)
    assert.is_nil(m.nosuch)
    assert.is_nil(m[true])
    assert.is_nil(m["1"])   -- strings are names, not positions
  end)

  it("m[i] = v stores a byte", function()
    local m = mapof("abc")
    m[1] = 65; m[-1] = 67.0; m[2] = 0
    assert.equals("A\0C", m:sub(1))
  end)

  it("m[i] = v raises out of range, for bad values and on read-only maps", function()
    local m = mapof("abc")
    assert.has_error(function() m[4] = 1 end, "bad argument #2 to '__newindex' (out of range)")
    assert.has_error(function() m[0] = 1 end)
    assert.has_error(function() m[-4] = 1 end)
    assert.has_error(function() m[1] = 256 end,
                     "bad argument #3 to '__newindex' (value out of range (0..255))")
    assert.has_error(function() m[1] = -1 end)
    assert.has_error(function() m[1] = 1.5 end)
    assert.has_error(function() m[1] = "x" end)
    assert.has_error(function() m[1] = nil end)
    assert.has_error(function() m[1.5] = 1 end)
    assert.has_error(function() m.foo = 1 end)
    assert.equals("abc", m:sub(1))
    local r = assert(mapbuf.open(H.file("abc")))
    assert.has_error(function() r[1] = 1 end, "mapbuf: __newindex: map is read-only")
  end)

  it("rejects impostors handed to the metamethods", function()
    local mt = getmetatable(mapof("a"))
    assert.has_error(function() mt.__index(io.stdout, 1) end)
    assert.has_error(function() mt.__index({}, 1) end)
    assert.has_error(function() mt.__newindex(io.stdout, 1, 1) end)
    assert.has_error(function() mt.__len("x") end)
    assert.has_error(function() mt.__gc(io.stdout) end)
  end)
end)

describe("byte and sub", function()
  local cases = {"", "a", "hello", "\0\1\2\255\128 xyz\n"}

  it("agree with string.byte and string.sub for every i, j", function()
    for _, s in ipairs(cases) do
      local m, n = mapof(s), #s
      for i = -n - 2, n + 2 do
        assert.same({s:byte(i)}, {m:byte(i)})
        assert.same(s:sub(i), m:sub(i))
        for j = -n - 2, n + 2 do
          assert.same({s:byte(i, j)}, {m:byte(i, j)}, i .. "," .. j)
          assert.equals(s:sub(i, j), m:sub(i, j), i .. "," .. j)
        end
      end
      assert.same({s:byte()}, {m:byte()})
      -- LuaJIT's string functions take 32-bit positions (2^53 wraps):
      -- there the reference gets the same position, clipped, which means
      -- the same on every Lua
      local function ref(x) return H.jit and math.max(-n - 1, math.min(n + 1, x)) or x end
      for _, big in ipairs{H.maxint, H.minint} do
        local r = ref(big)
        assert.equals(s:sub(r), m:sub(big))
        assert.equals(s:sub(1, r), m:sub(1, big))
        assert.equals(s:sub(r, r), m:sub(big, big))
        assert.same({s:byte(r, ref(-big))}, {m:byte(big, -big)})
      end
    end
  end)

  it("take integral floats and refuse fractions, NaN and infinities", function()
    local m = mapof("hello")
    assert.equals("ell", m:sub(2.0, 4.0))
    assert.same({104, 101}, {m:byte(1.0, 2.0)})
    for _, bad in ipairs{1.5, 0/0, math.huge, -math.huge, 2^64} do
      assert.has_error(function() m:sub(bad) end)
      assert.has_error(function() m:byte(1, bad) end)
    end
    assert.has_error(function() m:sub() end)
    assert.has_error(function() m:sub("x") end)
  end)

  it("byte of a huge range raises rather than overflowing the stack", function()
    local m = assert(mapbuf.anon(16 * 1024 * 1024))
    assert.has_error(function() m:byte(1, -1) end, "string slice too long")
  end)
end)

describe("set", function()
  it("overwrites bytes i .. i+#s-1 and returns the map", function()
    local m = mapof("abcdef")
    assert.equals(m, m:set(2, "XY"))
    assert.equals("aXYdef", m:sub(1))
    m:set(-2, "ZZ")
    assert.equals("aXYdZZ", m:sub(1))
    m:set(7, "")   -- the end itself holds zero bytes
    m:set(1, 42)   -- numbers are strings, as for string functions
    assert.equals("42YdZZ", m:sub(1))
  end)

  it("raises when s does not fit or i is outside", function()
    local m = mapof("abc")
    assert.has_error(function() m:set(3, "xy") end,
                     "bad argument #2 to 'set' (string does not fit)")
    assert.has_error(function() m:set(0, "x") end,
                     "bad argument #1 to 'set' (out of range)")
    assert.has_error(function() m:set(5, "") end)
    assert.has_error(function() m:set(-4, "x") end)
    assert.has_error(function() m:set(1, {}) end)
    assert.has_error(function() m:set(0/0, "x") end)
    assert.equals("abc", m:sub(1))
  end)
end)

describe("fill", function()
  it("sets a range to a byte, clipped like string.sub", function()
    local m = mapof("abcdef")
    assert.equals(m, m:fill(0x2e, 2, 3))
    assert.equals("a..def", m:sub(1))
    m:fill(0x21, -2)
    assert.equals("a..d!!", m:sub(1))
    m:fill(0x3f, 5, 100)
    assert.equals("a..d??", m:sub(1))
    m:fill(0x30, 4, 2)   -- empty range
    assert.equals("a..d??", m:sub(1))
    m:fill(0)
    assert.equals(string.rep("\0", 6), m:sub(1))
  end)

  it("repeats a string from i", function()
    local m = mapof(string.rep("-", 11))
    m:fill("abc", 2, 10)
    assert.equals("-abcabcabc-", m:sub(1))
    m:fill("xy")
    assert.equals("xyxyxyxyxyx", m:sub(1))
    m:fill("z")
    assert.equals(string.rep("z", 11), m:sub(1))
    local big = assert(mapbuf.anon(100000))
    big:fill("0123456789")
    assert.equals(string.rep("0123456789", 10000), big:sub(1))
  end)

  it("raises for bad values", function()
    local m = mapof("abc")
    assert.has_error(function() m:fill(256) end)
    assert.has_error(function() m:fill(-1) end)
    assert.has_error(function() m:fill("") end, "bad argument #1 to 'fill' (empty string)")
    assert.has_error(function() m:fill() end)
    assert.has_error(function() m:fill({}) end)
    assert.has_error(function() m:fill(1, 0/0) end)
  end)
end)

describe("move", function()
  it("moves overlapping bytes like memmove, 1-based", function()
    local m = mapof("0123456789")
    assert.equals(m, m:move(3, 1, 5))
    assert.equals("0101234789", m:sub(1))
    m:move(1, 3, 8)
    assert.equals("0123478989", m:sub(1))
    m:move(-2, 1, 2)
    assert.equals("0123478901", m:sub(1))
    m:move(11, 1, 0)
    m:move(1, 11, 0)
  end)

  it("raises when either range leaves the map", function()
    local m = mapof("0123456789")
    assert.has_error(function() m:move(10, 1, 2) end,
                     "bad argument #1 to 'move' (out of range)")
    assert.has_error(function() m:move(1, 10, 2) end,
                     "bad argument #2 to 'move' (out of range)")
    assert.has_error(function() m:move(1, 1, -1) end)
    assert.has_error(function() m:move(1, 1, H.maxint) end)
    assert.has_error(function() m:move(0, 1, 1) end)
    assert.has_error(function() m:move(H.minint, 1, 1) end)
    assert.equals("0123456789", m:sub(1))
  end)
end)

describe("the mapping", function()
  teardown(H.cleanup)

  it("size is the file's size, which may exceed #m", function()
    local p = H.file(string.rep("x", PS + 10))
    local m = assert(mapbuf.open(p, "r", {length = 5}))
    assert.equals(5, #m)
    assert.equals(PS + 10, m:size())
    H.writefile(p .. ".grow", "")
    local f = assert(io.open(p, "ab")); f:write("yy"); f:close()
    assert.equals(PS + 12, m:size())
  end)

  it("resize sets the file's size to offset + n and keeps the cursor", function()
    local p = H.file(string.rep("a", PS) .. "bcdef")
    local m = assert(mapbuf.open(p, "r+", {offset = PS}))
    m:seek("set", 3)
    assert.equals(m, m:resize(10))
    assert.equals(10, #m)
    assert.equals(3, m:tell())
    assert.equals("bcdef\0\0\0\0\0", m:sub(1))
    assert.equals(PS + 10, #H.readfile(p))
    m:resize(2)
    assert.equals("bc", m:sub(1))
    assert.equals(3, m:tell())       -- past the end now: reads find nothing
    assert.is_nil(m:read(1))
    assert.equals("", m:read("a"))
    assert.equals(PS + 2, #H.readfile(p))
    m:resize(0)
    assert.equals(0, #m)
    m:resize(3)
    assert.equals("\0\0\0", m:sub(1))
  end)

  it("resize raises for read-only and copy maps and bad sizes", function()
    local p = H.file("abc")
    local r = assert(mapbuf.open(p))
    assert.has_error(function() r:resize(5) end,
                     "mapbuf: resize: cannot resize a read-only or copy-on-write map")
    local c = assert(mapbuf.open(p, "c"))
    assert.has_error(function() c:resize(5) end)
    local w = assert(mapbuf.open(p, "r+"))
    assert.has_error(function() w:resize(-1) end)
    assert.has_error(function() w:resize(0/0) end)
    assert.has_error(function() w:resize() end)
    local ok, msg, e = w:resize(H.maxint)
    assert.is_nil(ok); assert.is_string(msg); assert.is_number(e)
    assert.equals(3, #w)
    assert.equals("abc", H.readfile(p))
  end)

  it("flush takes any range inside the map and is true", function()
    local p = H.file(string.rep("a", 3 * PS))
    local m = assert(mapbuf.open(p, "r+"))
    m:set(PS + 5, "XYZ")
    assert.is_true(m:flush(PS + 5, 3))
    assert.is_true(m:flush(2, 1))
    assert.is_true(m:flush())
    assert.is_true(m:flush(1, 0))
    assert.is_true(m:flush(3 * PS + 1))   -- zero bytes at the end
    assert.is_true(m:flush(1, 3 * PS, mapbuf.MS_ASYNC))
    assert.is_true(m:flush(-1))
    assert.is_true(m:flush(1, nil, mapbuf.MS_INVALIDATE))
    assert.equals("XYZ", H.readfile(p):sub(PS + 5, PS + 7))
  end)

  it("flush raises for ranges outside the map; the OS refuses bad flags", function()
    local m = assert(mapbuf.open(H.file("abc"), "r+"))
    assert.has_error(function() m:flush(5) end, "bad argument #1 to 'flush' (out of range)")
    assert.has_error(function() m:flush(1, 4) end)
    assert.has_error(function() m:flush(2, -1) end)
    assert.has_error(function() m:flush(0) end)
    assert.has_error(function() m:flush(1, 1, -1) end)
    local ok, msg, e = m:flush(1, 3, H.bor(mapbuf.MS_SYNC, mapbuf.MS_ASYNC))
    assert.is_nil(ok); assert.equals("Invalid argument", msg); assert.equals(22, e)
  end)

  it("flush is a no-op true on read-only and copy maps", function()
    local p = H.file("abc")
    assert.is_true(assert(mapbuf.open(p)):flush())
    local c = assert(mapbuf.open(p, "c"))
    c:set(1, "X")
    assert.is_true(c:flush())
    assert.equals("abc", H.readfile(p))
  end)

  it("madvise takes names and constants over a range clipped at the end", function()
    local m = assert(mapbuf.anon(3 * PS, {private = true}))
    m:fill(7)
    for _, a in ipairs{"normal", "random", "sequential", "willneed"} do
      assert.is_true(m:madvise(a))
      assert.is_true(m:madvise(a, PS + 3, 10))
      assert.is_true(m:madvise(a, -1, H.maxint))
      assert.is_true(m:madvise(a, 5, 0))
    end
    assert.is_true(m:madvise(mapbuf.MADV_WILLNEED, 2))
    assert.equals(7, m[PS])
    assert.is_true(m:madvise("dontneed", PS + 1, PS))   -- private: zero-fill
    assert.equals(0, m[PS + 1]); assert.equals(0, m[2 * PS])
    assert.equals(7, m[PS]); assert.equals(7, m[2 * PS + 1])
    assert.is_true(m:madvise("dontneed", 10, 5))        -- not whole pages: kept
    assert.equals(7, m[10])
  end)

  it("madvise raises for bad advice and positions outside", function()
    local m = assert(mapbuf.anon(PS))
    assert.has_error(function() m:madvise("nosuch") end,
                     "bad argument #1 to 'madvise' (invalid advice 'nosuch')")
    assert.has_error(function() m:madvise() end)
    assert.has_error(function() m:madvise("normal", PS + 1) end,
                     "bad argument #2 to 'madvise' (out of range)")
    assert.has_error(function() m:madvise("normal", 0) end)
    assert.has_error(function() m:madvise("normal", 1, -1) end)
    assert.has_error(function() m:madvise(-5) end)
    assert.has_error(function() mapbuf.anon(0):madvise("normal") end)
    -- a number the kernel may take but mapbuf does not know is refused
    -- before it reaches the kernel (102 is MADV_GUARD_INSTALL, 100
    -- MADV_HWPOISON, 24 needs to be known as destructive to be clipped)
    for _, adv in ipairs({12345, 102, 100, 101, 103, 26, 27, -1}) do
      assert.has_error(function() m:madvise(adv) end,
                       "bad argument #1 to 'madvise' (invalid advice)")
    end
  end)

  it("close is idempotent, closed tells, tostring says so", function()
    local m = mapof("abc")
    assert.is_false(m:closed())
    assert.matches("^mapbuf%.map%(length=3, access=write, pos=0, offset=0%)$", tostring(m))
    assert.is_true(m:close())
    assert.is_true(m:close())
    assert.is_true(m:closed())
    assert.equals("mapbuf.map(closed)", tostring(m))
  end)

  it("tostring shows the cursor", function()
    local m = mapof("abcdef")
    m:read(4)
    assert.equals("mapbuf.map(length=6, access=write, pos=4, offset=0)", tostring(m))
  end)

  it("collection unmaps; maps made in a loop do not pile up", function()
    local p = H.file(string.rep("z", PS))
    for _ = 1, 3000 do
      local m = assert(mapbuf.open(p))
      assert.equals(122, m[1])
    end
    collectgarbage(); collectgarbage()
    -- had the 3000 descriptors leaked, this process would be near its limit
    local n = 0
    for _ in io.popen("ls /proc/$PPID/fd"):lines() do n = n + 1 end
    assert.is_true(n < 100)
  end)
end)
