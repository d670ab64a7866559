-- spec/lua/bigpos_spec.lua: positions, counts and sizes of 2^32 and more.
-- On a 32-bit target (the i686 run of .ci/cross) a Lua integer cast to a
-- 32-bit size_t would wrap them into the map (m:byte(2^32 + 1) reading
-- byte 1, 2^32 reading p[-1]); everywhere they must be out of range.
local mapbuf = require "mapbuf"
local H = require "spec.helper"

local B = 4294967296

local function raises(pat, f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "no error, wanted " .. pat)
  assert.matches(pat, err)
end

describe("positions of 2^32 and more (" .. H.bits .. "-bit target)", function()
  local m
  before_each(function() m = H.mapof("abcdefghijklmnop") end)

  it("read as past the end, never wrapped into the map", function()
    assert.same({}, { m:byte(B) })
    assert.same({}, { m:byte(B + 1) })
    assert.same({}, { m:byte(B + 1, B + 2) })
    assert.is_nil(m[B])
    assert.is_nil(m[B + 1])
    assert.equal("", m:sub(B + 1, B + 3))
    assert.equal("ab", m:sub(-B, 2))          -- before the start: from 1
    assert.is_nil(m:find("a", B + 1, true))
    assert.is_nil(m:find("a", B + 1))
    assert.equal(0, #m:view(B + 1, B + 2))
  end)

  it("raise as out of range where a position must be inside", function()
    raises("out of range", function() m[B + 1] = 1 end)
    raises("out of range", m.set, m, B + 1, "x")
    raises("out of range", m.move, m, 1, B + 1, 1)
    raises("out of range", m.move, m, 1, 2, B + 1)
    raises("out of string", m.unpack, m, "B", B + 1)
    raises("out of range", m.pack, m, B + 1, "B", 1)
    raises("out of range", m.flush, m, B + 1)
    raises("out of range", m.seek, m, "set", B)
    raises("out of range", m.atomic_load, m, B + 1, 32)
    assert.equal("abcdefghijklmnop", m:sub(1))   -- nothing was written
  end)

  it("a size beyond the address space is an error, not a smaller map", function()
    if H.bits ~= 32 then   -- runs in the i686 run of .ci/cross
      pending("a 32-bit test: on " .. H.bits .. "-bit targets 2^32 + 16 is a fine size")
      return
    end
    local p = assert(mapbuf.anon(16, { private = true }))
    local ok, msg, code = p:resize(B + 16)
    assert.is_nil(ok)
    assert.is_string(msg)
    assert.equal(12, code)                     -- ENOMEM
    assert.equal(16, #p)
    local a, amsg = mapbuf.anon(B + 16)
    assert.is_nil(a)
    assert.is_string(amsg)
  end)
end)
