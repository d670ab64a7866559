-- Atomics on aligned words: results, misuse, and two processes adding to
-- one word of a file.
local mapbuf = require "mapbuf"
local H = require "spec.helper"
local P = require "spec.ipc.proc"

describe("atomics", function()
  teardown(H.cleanup)

  it("load, store, add and cas 64-bit words", function()
    local m = mapbuf.anon(64)
    -- a value with bits in every byte, exact as a double before 5.3
    local W = H.luaver >= 5.3 and 0x0102030405060708 or 0x000A030405060708
    assert.equal(0, m:atomic_load(9))
    m:atomic_store(9, W)
    assert.equal(W, m:atomic_load(9))
    assert.equal(W, m:atomic_load(9, 64))
    assert.equal(W, m:atomic_add(9, 10))
    assert.equal(W + 10, m:atomic_load(9))
    -- the bytes are the machine's own integer
    assert.equal(W + 10, H.strunpack("=i8", m:sub(9, 16)))
    assert.is_true(m:cas(9, W + 10, -1))
    assert.equal(-1, m:atomic_load(9))
    local ok, cur = m:cas(9, 0, 5)
    assert.is_false(ok)
    assert.equal(-1, cur)
    if H.luaver >= 5.3 then
      -- 64-bit values are Lua integers: they wrap as Lua integers do
      m:atomic_store(1, H.maxint)
      assert.equal(H.maxint, m:atomic_add(1, 1))
      assert.equal(H.minint, m:atomic_load(1))
    end
  end)

  it("32-bit values are unsigned, taken modulo 2^32", function()
    local m = mapbuf.anon(64)
    m:atomic_store(1, -1, 32)
    assert.equal(0xFFFFFFFF, m:atomic_load(1, 32))
    assert.equal(0xFFFFFFFF, m:atomic_add(1, 1, 32))
    assert.equal(0, m:atomic_load(1, 32))
    m:atomic_store(5, 0x1234567890, 32)
    assert.equal(0x34567890, m:atomic_load(5, 32))
    assert.equal(0x34567890, m:atomic_add(5, -0x10, 32))
    assert.equal(0x34567880, m:atomic_load(5, 32))
    assert.is_true(m:cas(5, 0x34567880, 2^32 + 7, 32))  -- integral float
    assert.equal(7, m:atomic_load(5, 32))
    local ok, cur = m:cas(5, 8, 9, 32)
    assert.is_false(ok)
    assert.equal(7, cur)
    -- the neighbouring word is untouched
    assert.equal(0, m:atomic_load(1, 32))
  end)

  it("positions are 1-based, negative from the end, relative to a view", function()
    local m = mapbuf.anon(64)
    m:atomic_store(-8, 77)
    assert.equal(77, m:atomic_load(57))
    m:atomic_store(-4, 5, 32)
    assert.equal(5, m:atomic_load(61, 32))
    local v = m:view(17, 48)
    v:atomic_store(1, 123)
    assert.equal(123, m:atomic_load(17))
    assert.equal(0, v:atomic_add(9, 4, 32))
    assert.equal(4, m:atomic_load(25, 32))
    assert.has_error(function() v:atomic_load(29) end,
                     "bad argument #1 to 'atomic_load' (out of range)")
  end)

  it("misaligned, out-of-range and bad bits raise", function()
    local m = mapbuf.anon(64)
    local function msg(f, ...)
      local ok, err = pcall(f, m, ...)
      assert.is_false(ok)
      return err
    end
    assert.matches("misaligned position", msg(m.atomic_load, 2))
    assert.matches("misaligned position", msg(m.atomic_load, 5))
    assert.matches("misaligned position", msg(m.atomic_store, 3, 1, 32))
    assert.matches("misaligned position", msg(m.cas, 3, 0, 1, 32))
    assert.matches("out of range", msg(m.atomic_load, 65))
    assert.matches("out of range", msg(m.atomic_load, 0))
    assert.matches("out of range", msg(m.atomic_load, 61))
    assert.matches("out of range", msg(m.atomic_add, -65, 1))
    assert.matches("out of range", msg(m.atomic_add, H.maxint, 1))
    assert.matches("out of range", msg(m.atomic_add, H.minint, 1))
    assert.matches("bits must be 32 or 64", msg(m.atomic_load, 1, 16))
    assert.matches("bits must be 32 or 64", msg(m.atomic_load, 1, 8))
    assert.matches("number has no integer representation",
                   msg(m.atomic_load, 1.5))
    msg(m.atomic_load, 0 / 0)
    msg(m.atomic_load, math.huge)
    msg(m.atomic_store, 1, 0.5)
    msg(m.atomic_store, 1, "x")
    assert.has_error(function() m:atomic_load(2) end,
                     "bad argument #1 to 'atomic_load' (misaligned position)")
  end)

  it("read-only maps load but do not store", function()
    local p = H.file(string.rep("\0", 64))
    local m = assert(mapbuf.open(p))
    assert.equal(0, m:atomic_load(1))
    assert.error_matches(function() m:atomic_store(1, 1) end, "read%-only")
    assert.error_matches(function() m:atomic_add(1, 1) end, "read%-only")
    assert.error_matches(function() m:cas(1, 0, 1) end, "read%-only")
    m:close()
  end)

  it("mapbuf.fence is a full barrier: a function that returns nothing", function()
    assert.equal(0, select("#", mapbuf.fence()))
    -- what it is for: plain stores published by a fence and an atomic flag
    local m = mapbuf.anon(64)
    m:set(17, "payload")
    mapbuf.fence()
    m:atomic_store(1, 1, 32)
    assert.equal("payload", m:sub(17, 23))
  end)

  it("a closed map raises before the arguments are looked at", function()
    local m = mapbuf.anon(64)
    m:close()
    for _, name in ipairs{"atomic_load", "atomic_store", "atomic_add", "cas",
                          "wait", "wake", "lock", "unlock"} do
      assert.has_error(function() m[name](m, {}) end, "mapbuf: map is closed")
    end
  end)

  local function race(bits, pos, n)
    local p = H.file(string.rep("\0", 4096))
    local a = P.start("adder", {p, n, bits, pos}, {p})
    local b = P.start("adder", {p, n, bits, pos}, {p})
    local oa, ca = a.finish()
    local ob, cb = b.finish()
    assert.equal(0, ca, oa)
    assert.equal(0, cb, ob)
    local m = assert(mapbuf.open(p))
    local v = m:atomic_load(pos, bits)
    m:close()
    return v
  end

  it("two processes x 200 000 atomic_add give the exact sum (64-bit)", function()
    assert.equal(400000, race(64, 1, 200000))
  end)

  it("two processes x 200 000 atomic_add give the exact sum (32-bit)", function()
    assert.equal(400000, race(32, 13, 200000))
  end)
end)
