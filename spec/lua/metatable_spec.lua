-- What getmetatable(m) gives: a "face" with the metatable's fields but no
-- __gc and no __close, so a script cannot take a map's finalizer; and
-- every metamethod, the face's and the real metatable's alike, checks its
-- first argument (a map object carries a tag word and its own address).
local mapbuf = require "mapbuf"
local H = require "spec.helper"

describe("the metatable of a map", function()
  it("is hidden behind a face without __gc and __close", function()
    local m = H.mapof("abc")
    local face = getmetatable(m)
    local real = debug.getmetatable(m)
    assert.is_table(face)
    assert.are_not.equal(face, real)
    assert.equal(face, real.__metatable)
    for _, k in ipairs({"__index", "__newindex", "__len", "__tostring",
                        "__name"}) do
      assert.is_not_nil(face[k], k)
      assert.equal(real[k], face[k], k)
    end
    assert.is_nil(face.__gc)
    assert.is_nil(face.__close)
    assert.is_function(real.__gc)
    assert.is_function(real.__close)
    assert.equal(getmetatable(mapbuf.anon(1)), face)   -- one face for all
  end)

  it("serves bytes and methods through the face like through m", function()
    local m = H.mapof("abc")
    local face = getmetatable(m)
    assert.equal(98, face.__index(m, 2))
    assert.is_nil(face.__index(m, 4))
    assert.equal(m.sub, face.__index(m, "sub"))
    face.__newindex(m, 1, 65)
    assert.equal("Abc", m:sub(1))
    assert.equal(3, face.__len(m))
  end)

  it("makes every metamethod raise for anything but a map, the real ones too", function()
    local m = H.mapof("abc")
    local face, real = getmetatable(m), debug.getmetatable(m)
    local f = assert(io.open("/dev/null"))
    local impostors = {io.stdout, f, {}, "abc", 42, 4096, true, print,
                       coroutine.create(function() end), face, 0/0}
    for _, t in ipairs({face, real}) do
      for _, impostor in ipairs(impostors) do
        for _, k in ipairs({"__index", "__newindex", "__len", "__tostring",
                            "__gc", "__close"}) do
          if t[k] then
            local ok, err = pcall(t[k], impostor, 1, 1)
            assert.is_false(ok, k)
            assert.matches("mapbuf.map expected", err, 1, true)
          end
        end
      end
    end
    f:close()
    assert.is_false(pcall(setmetatable, H.mapof("x"), {}))  -- protected
  end)

  it("makes a hand-called __gc or __close a close, harmless twice", function()
    local m = H.mapof("abcdef")
    local v = m:view(2, 4)
    local real = debug.getmetatable(m)
    real.__gc(m)
    assert.is_true(m:closed())
    assert.is_true(v:closed())
    assert.has_error(function() return m[1] end, "mapbuf: map is closed")
    assert.has_error(function() return v:sub(1) end, "mapbuf: map is closed")
    real.__gc(m); real.__close(m); real.__gc(v); real.__close(v)
    assert.is_true(m:close())
    assert.equal("mapbuf.map(closed)", tostring(v))
  end)
end)

describe("writes past the end", function()
  it("raise once a shrink left the cursor beyond the map, even for ''", function()
    local m = assert(mapbuf.anon(100, {private = true}))
    m:seek("set", 80)
    m:resize(50)
    assert.equal(80, m:tell())
    assert.has_error(function() m:write("") end, "mapbuf: write: out of range")
    assert.has_error(function() m:write_byte(1) end)
    assert.is_nil(m:read(0))
    m:seek("set", 50)
    assert.equal(m, m:write(""))   -- at the very end "" still fits
  end)

  it("move blames the count when it exceeds the map, else the end that leaves it", function()
    local m = H.mapof("0123456789")
    assert.has_error(function() m:move(1, 3, H.maxint) end,
                     "bad argument #3 to 'move' (out of range)")
    assert.has_error(function() m:move(1, 3, 11) end,
                     "bad argument #3 to 'move' (out of range)")
    assert.has_error(function() m:move(1, 3, 9) end,
                     "bad argument #2 to 'move' (out of range)")
    assert.has_error(function() m:move(3, 1, 9) end,
                     "bad argument #1 to 'move' (out of range)")
  end)
end)
