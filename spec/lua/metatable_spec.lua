-- What getmetatable(m) gives: a "face" with the metatable's fields, whose
-- own __index, __newindex and __len check their first argument (the real
-- metatable's trust it, to keep m[i] at the floor of a C __index; only
-- the debug library reaches those).
local mapbuf = require "mapbuf"
local H = require "spec.helper"

describe("the metatable of a map", function()
  it("is hidden behind a face with the same fields", function()
    local m = H.mapof("abc")
    local face = getmetatable(m)
    local real = debug.getmetatable(m)
    assert.is_table(face)
    assert.are_not.equal(face, real)
    assert.equal(face, real.__metatable)
    for _, k in ipairs({"__index", "__newindex", "__len", "__gc", "__close",
                        "__tostring", "__name"}) do
      assert.is_not_nil(face[k], k)
    end
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

  it("makes the face's metamethods raise for anything but a map", function()
    local face = getmetatable(H.mapof("abc"))
    for _, impostor in ipairs({io.stdout, {}, "abc", 42, true}) do
      assert.has_error(function() face.__index(impostor, 1) end)
      assert.has_error(function() face.__newindex(impostor, 1, 1) end)
      assert.has_error(function() face.__len(impostor) end)
    end
    assert.is_false(pcall(setmetatable, H.mapof("x"), {}))  -- protected
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
    assert.has_error(function() m:move(1, 3, math.maxinteger) end,
                     "bad argument #3 to 'move' (out of range)")
    assert.has_error(function() m:move(1, 3, 11) end,
                     "bad argument #3 to 'move' (out of range)")
    assert.has_error(function() m:move(1, 3, 9) end,
                     "bad argument #2 to 'move' (out of range)")
    assert.has_error(function() m:move(3, 1, 9) end,
                     "bad argument #1 to 'move' (out of range)")
  end)
end)
