-- spec/lua/view_spec.lua: m:view([i [, j]]), a zero-copy map object over
-- bytes i..j of m with every method and its own cursor, and the life-cycle
-- rules: views of views, read-only parents, closing, resizing (mremap may
-- move the memory), collection in any order.
local mapbuf = require "mapbuf"
local H = require "spec.helper"

local PS = mapbuf.PAGESIZE

local mapof = H.mapof

describe("a view", function()
  teardown(H.cleanup)

  it("covers bytes i..j, clipped like string.sub", function()
    local s = "0123456789"
    local m = mapof(s)
    for i = -12, 12 do
      for j = -12, 12 do
        local v = m:view(i, j)
        assert.equals(s:sub(i, j), v:sub(1), i .. "," .. j)
        assert.equals(#s:sub(i, j), #v)
      end
    end
    assert.equals(s, m:view():sub(1))
    assert.equals("789", m:view(-3):sub(1))
  end)

  it("shares the bytes, both ways, without copying", function()
    local m = mapof("abcdef")
    local v = m:view(2, 4)
    v[1] = string.byte("B")
    v:set(2, "CD")
    assert.equals("aBCDef", m:sub(1))
    m:set(3, "x")
    assert.equals("Bxd"  == nil and "" or "BxD", v:sub(1))
    assert.is_nil(v[4]); assert.equals(68, v[-1])
    assert.has_error(function() v[4] = 1 end)
  end)

  it("has every method, positions relative to the view", function()
    local m = mapof("header|line one\nline two\n|trailer")
    local v = m:view(8, 25)
    assert.equals("line one\nline two\n", v:sub(1))
    assert.same({string.byte("l"), string.byte("i")}, {v:byte(1, 2)})
    assert.equals("line one", v:read("l"))
    assert.equals(9, v:tell())
    local t = {}
    for l in v:lines() do t[#t + 1] = l end
    assert.same({"line two"}, t)
    assert.equals(0, v:seek("set"))
    assert.equals("line one\n", v:readline())
    assert.equals(string.byte("l"), v:read_byte())
    v:seek("set", 0)
    v:write("LINE")
    assert.equals("header|LINE one", m:sub(1, 15))
    v:fill(0x2d, 5, 5)
    v:move(10, 1, 4)
    assert.equals("LINE-one\nLINE two\n", v:sub(1))
    assert.equals(18, v:size())
    assert.is_true(v:seekable())
    if v.find then
      assert.same({10, 13}, {v:find("LINE", 2, true)})
      assert.equals("two", v:match("(%a+)\n$"))
      local w = {}
      for x in v:gmatch("%a+") do w[#w + 1] = x end
      assert.same({"LINE", "one", "LINE", "two"}, w)
      assert.same({10, 13}, {v:rfind("LINE")})
    end
    if v.unpack then
      assert.equals("LINE", (v:unpack("c4")))
      assert.equals(5, v:pack(1, "c4", "line"))
      assert.equals("header|line", m:sub(1, 11))
    end
    assert.is_true(v:flush())
    assert.is_true(v:madvise("normal"))
  end)

  it("has its own cursor", function()
    local m = mapof("abcdef")
    local v1, v2 = m:view(), m:view(4)
    m:read(1); v1:read(2); v2:read(3)
    assert.same({1, 2, 3}, {m:tell(), v1:tell(), v2:tell()})
  end)

  it("of a view is a view of the root, with offsets added", function()
    local m = mapof("0123456789")
    local v = m:view(3, 8)          -- 234567
    local w = v:view(2, -2)         -- 3456
    assert.equals("3456", w:sub(1))
    local x = w:view(2, 2)          -- 4
    assert.equals("4", x:sub(1))
    x[1] = string.byte("X")
    assert.equals("0123X56789", m:sub(1))
    assert.matches("offset=4%)$", tostring(x))
    assert.equals("mapbuf.map(length=1, access=write, pos=0, offset=4)", tostring(x))
    -- closing the middle view leaves the others alone
    v:close()
    assert.equals("3X56", w:sub(1))
  end)

  it("of a read-only map is read-only", function()
    local m = assert(mapbuf.open(H.file("abcdef")))
    local v = m:view(2):view(2)
    assert.equals("cdef", v:sub(1))
    assert.has_error(function() v[1] = 1 end, "mapbuf: __newindex: map is read-only")
    assert.has_error(function() v:set(1, "x") end)
    assert.has_error(function() v:write("x") end)
    assert.matches("access=read", tostring(v))
  end)

  it("of a file map flushes and advises the right bytes", function()
    local p = H.file(string.rep("a", 3 * PS))
    local m = assert(mapbuf.open(p, "r+"))
    local v = m:view(PS + 1, 2 * PS)
    v:set(1, "XY")
    assert.is_true(v:flush(1, 2))
    assert.equals("XY", H.readfile(p):sub(PS + 1, PS + 2))
    assert.is_true(v:madvise("willneed", 1, PS))
    assert.has_error(function() v:flush(1, PS + 1) end)
    assert.has_error(function() v:madvise("normal", PS + 1) end)
  end)

  it("advice that drops pages drops only the view's", function()
    local m = assert(mapbuf.anon(4 * PS, {private = true}))
    m:fill(9)
    local v = m:view(PS + 1, 3 * PS)
    assert.is_true(v:madvise("dontneed", PS + 1, PS))
    assert.equals(9, m[2 * PS]); assert.equals(0, m[2 * PS + 1])
    assert.equals(0, m[3 * PS]); assert.equals(9, m[3 * PS + 1])
  end)

  it("cannot be resized", function()
    local m = assert(mapbuf.anon(10, {private = true}))
    assert.has_error(function() m:view():resize(5) end,
                     "mapbuf: resize: cannot resize a view")
  end)

  it("is empty when i > j, and an empty view at the end is fine", function()
    local m = mapof("abc")
    local v = m:view(3, 2)
    assert.equals(0, #v)
    assert.is_nil(v[1])
    assert.equals("", v:read("a"))
    local e = m:view(10)
    assert.equals(0, #e)
    assert.equals("", e:sub(1))
  end)

  it("raises for bad bounds", function()
    local m = mapof("abc")
    assert.has_error(function() m:view(1.5) end)
    assert.has_error(function() m:view(1, 0/0) end)
    assert.has_error(function() m:view("x") end)
  end)
end)

describe("closing", function()
  it("the root closes every view", function()
    local m = mapof("abcdef")
    local v, w = m:view(2), m:view(2):view(2)
    local it = v:lines()
    m:close()
    assert.is_true(v:closed()); assert.is_true(w:closed())
    for _, x in ipairs{v, w} do
      assert.has_error(function() return x[1] end, "mapbuf: map is closed")
      assert.has_error(function() return #x end, "mapbuf: map is closed")
      assert.has_error(function() x:sub(1) end, "mapbuf: map is closed")
      assert.has_error(function() x:view() end, "mapbuf: map is closed")
      assert.equals("mapbuf.map(closed)", tostring(x))
      assert.is_true(x:close())
    end
    assert.has_error(it, "mapbuf: map is closed")
  end)

  it("a view closes only the view", function()
    local m = mapof("abcdef")
    local v = m:view(2)
    local w = v:view(2)
    assert.is_true(v:close())
    assert.is_true(v:close())
    assert.is_true(v:closed())
    assert.has_error(function() v:sub(1) end, "mapbuf: map is closed")
    assert.is_false(m:closed()); assert.is_false(w:closed())
    assert.equals("abcdef", m:sub(1))
    assert.equals("cdef", w:sub(1))
  end)

  it("while iterating a view's gmatch raises", function()
    local m = mapof("a b c d")
    local v = m:view()
    if v.gmatch then
      assert.has_error(function()
        for _ in v:gmatch("%a") do m:close() end
      end, "mapbuf: map is closed")
    end
  end)
end)

describe("resizing the root", function()
  it("keeps views that still fit and refuses those that do not", function()
    local p = H.file("0123456789")
    local m = assert(mapbuf.open(p, "r+"))
    local inside, across, beyond = m:view(1, 4), m:view(4, 8), m:view(9)
    m:resize(6)
    assert.equals("0123", inside:sub(1))
    for _, v in ipairs{across, beyond} do
      assert.has_error(function() return v[1] end,
                       "mapbuf: view is out of range of its map")
      assert.has_error(function() v:sub(1) end,
                       "mapbuf: view is out of range of its map")
      assert.has_error(function() v:read(1) end,
                       "mapbuf: view is out of range of its map")
      assert.is_false(v:closed())
      assert.is_string(tostring(v))
    end
    -- grown again, they fit again (the file's new bytes are zeros)
    m:resize(10)
    assert.equals("012345\0\0\0\0", H.readfile(p))
    assert.equals("345\0\0", across:sub(1))
    assert.equals("\0\0", beyond:sub(1))
  end)

  it("follows the memory when mremap moves it", function()
    local m = mapof("hello", {private = true})
    local v = m:view(2, 4)
    local blocker = assert(mapbuf.anon(PS, {private = true}))   -- may sit right after m
    for k = 1, 5 do
      m:resize(#m * 64 + PS)
      assert.equals(k == 1 and "ell" or "Ell", v:sub(1))
      v[1] = string.byte("E")
      assert.equals("hEllo", m:sub(1, 5))
    end
    assert.is_false(blocker:closed())
  end)

  it("while a view's lines iterate: a view out of range raises", function()
    local m = mapof("a\nb\nc\nd\n", {private = true})
    local v = m:view(3)
    assert.has_error(function()
      for l in v:lines() do
        if l == "b" then m:resize(4) end
      end
    end, "mapbuf: view is out of range of its map")
  end)
end)

describe("collection", function()
  it("a view keeps its root alive", function()
    local v = mapof("keep me"):view(6)
    collectgarbage(); collectgarbage()
    assert.equals("me", v:sub(1))
  end)

  it("views and roots collected together, in any order, crash nothing", function()
    -- the collector finalizes roots and views in whatever order it likes;
    -- every map made here must be gone afterwards (their finalizers ran),
    -- and views kept past their roots' last use still read their bytes
    local gone, kept = 0, {}
    for round = 1, 200 do
      local m = mapof("abc")
      local vs = {}
      for k = 1, 5 do vs[k] = m:view(k % 3 + 1):view() end
      vs.gc = H.finalizer(function() gone = gone + 1 end)   -- goes with vs
      if round % 50 == 0 then kept[#kept + 1] = vs[1] end
    end
    collectgarbage(); collectgarbage()
    assert.is_true(gone >= 196, "collected: " .. gone)
    for _, v in ipairs(kept) do
      assert.is_false(v:closed())
      assert.equals("bc", v:sub(1))
    end
  end)

  it("a view used from a finalizer after its root's finalizer raises, never crashes", function()
    local result = {}
    do
      -- holder is marked for finalization before the root, so its
      -- finalizer runs after the root's: the view it holds is dead by then
      local v
      local holder = H.finalizer(function()
        result.ok, result.err = pcall(function() return v[1] end)
        result.closed = v:closed()
        result.str = tostring(v)
      end)
      v = mapof("abc"):view()
    end
    collectgarbage(); collectgarbage(); collectgarbage()
    assert.is_false(result.ok)
    assert.matches("mapbuf: map is closed", result.err)
    assert.is_true(result.closed)
    assert.equals("mapbuf.map(closed)", result.str)
  end)
end)
