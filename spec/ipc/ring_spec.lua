-- mapbuf.ring: layout, blocking, wrapping, misuse; 1 000 000 messages
-- between two processes with no loss, duplicate or reordering.
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local H = require "spec.helper"
local P = require "spec.ipc.proc"

describe("ring", function()
  teardown(H.cleanup)

  it("has a header with magic, version and capacity", function()
    local m = mapbuf.anon(ring.size(1024))
    local r = ring.create(m)
    assert.equal(1024, r:capacity())
    assert.equal("MBRG", m:sub(1, 4))
    assert.equal(1, m:unpack("=I4", 5))
    assert.equal(1024, m:unpack("=I8", 9))
    assert.equal(ring.HEADER, m:unpack("=I8", 17))
    -- capacity rounds down to 8; an explicit one must fit
    assert.equal(1016, ring.create(mapbuf.anon(ring.size(1023))):capacity())
    assert.equal(64, ring.create(m, {capacity = 64}):capacity())
    assert.error_matches(function() ring.create(m, {capacity = 2048}) end,
                         "does not fit")
    assert.error_matches(function() ring.create(mapbuf.anon(100)) end,
                         "does not fit")
  end)

  it("attach checks the header", function()
    local m = mapbuf.anon(ring.size(256))
    assert.error_matches(function() ring.attach(m) end, "not a ring")
    ring.create(m)
    assert.equal(256, ring.attach(m):capacity())
    m:pack(5, "=I4", 2)
    assert.error_matches(function() ring.attach(m) end, "version 2")
    m:pack(5, "=I4", 1)
    m:pack(9, "=I8", 4096)
    assert.error_matches(function() ring.attach(m) end, "corrupted")
    assert.error_matches(function() ring.attach(mapbuf.anon(8)) end, "too small")
  end)

  it("open formats a fresh map once, then attaches", function()
    local p = H.file(string.rep("\0", ring.size(512)))
    local m = assert(mapbuf.open(p, "r+"))
    local a = ring.open(m)
    assert.is_true(a:try_push("kept"))
    local m2 = assert(mapbuf.open(p, "r+"))
    local b = ring.open(m2)
    assert.equal("kept", b:try_pop())
    m:close(); m2:close()
  end)

  it("passes messages of every length in order, across the wrap", function()
    local m = mapbuf.anon(ring.size(96))
    local r = ring.create(m)
    local n = 0
    for round = 1, 50 do
      for len = 0, 88 - 4, 7 do
        local s = string.rep(string.char(65 + round % 26), len) .. "|" .. round
        if #s <= 92 then
          assert.is_true(r:try_push(s))
          assert.equal(s, r:try_pop())
          n = n + 1
        end
      end
    end
    assert.is_true(n > 500)
    assert.is_nil(r:try_pop())
    assert.is_true(r:empty())
  end)

  it("fills up, refuses, and takes more once drained", function()
    local r = ring.create(mapbuf.anon(ring.size(64)))
    assert.is_true(r:try_push(string.rep("a", 20)))   -- 24 bytes
    assert.is_true(r:try_push(string.rep("b", 20)))   -- 48
    assert.is_false(r:try_push(string.rep("c", 20)))  -- would be 72
    assert.is_true(r:try_push(string.rep("d", 12)))   -- 64: full
    assert.equal(64, r:used())
    assert.is_false(r:try_push(""))
    assert.is_false(r:push("", 0.05))
    assert.equal(string.rep("a", 20), r:pop())
    assert.is_true(r:push(string.rep("e", 20), 1))
    assert.equal(string.rep("b", 20), r:pop())
    assert.equal(string.rep("d", 12), r:pop())
    assert.equal(string.rep("e", 20), r:pop())
    assert.has_error(function() r:try_push(string.rep("x", 61)) end,
                     "bad argument #1 to 'push' (message longer than the ring)")
    assert.is_true(r:try_push(string.rep("x", 60)))   -- exactly the ring
  end)

  it("pop times out on an empty ring", function()
    local r = ring.create(mapbuf.anon(ring.size(64)))
    local t = mapbuf.monotime()
    local s, err = r:pop(0.1)
    t = mapbuf.monotime() - t
    assert.is_nil(s)
    assert.equal("timeout", err)
    assert.is_true(t >= 0.095 and t < 2)
    assert.is_nil(r:try_pop())
    assert.is_nil(r:peek(0))
  end)

  it("peek leaves the message until ack", function()
    local m = mapbuf.anon(ring.size(64))
    local r = ring.create(m)
    r:push("one"); r:push("two")
    assert.equal("one", r:peek())
    assert.equal("one", r:peek())
    -- another attachment (a restarted consumer) still sees it
    assert.equal("one", ring.attach(m):try_peek())
    assert.is_true(r:ack())
    assert.is_false(r:ack())
    assert.equal("two", r:try_pop())
  end)

  it("tells whether the peer roles are held", function()
    local p = H.file(string.rep("\0", ring.size(256)))
    local m1 = assert(mapbuf.open(p, "r+"))
    local m2 = assert(mapbuf.open(p, "r+"))
    local prod = ring.create(m1, {role = "producer"})
    local watcher = ring.attach(m2)
    assert.is_true(watcher:alive("producer"))
    assert.is_false(watcher:alive("consumer"))
    assert.is_true(prod:alive("producer"))
    assert.error_matches(function() ring.attach(m2, {role = "producer"}) end,
                         "already has a live producer")
    prod:close()
    assert.is_false(watcher:alive("producer"))
    local cons = ring.attach(m2, {role = "consumer"})
    assert.is_true(prod:alive("consumer"))
    m2:close()   -- closing the map drops the role with its descriptor
    assert.is_false(prod:alive("consumer"))
    assert.is_nil(ring.create(mapbuf.anon(ring.size(64))):alive("consumer"))
    assert.error_matches(function() ring.create(m1, {role = "boss"}) end, "bad role")
    m1:close()
    local _ = cons
  end)

  it("detects a corrupted record instead of reading past it", function()
    local m = mapbuf.anon(ring.size(64))
    local r = ring.create(m)
    r:push("abc")
    m:pack(ring.HEADER + 1, "=I4", 1000)
    assert.error_matches(function() r:pop() end, "corrupted ring")
  end)

  it("works in a view of a bigger map", function()
    local m = mapbuf.anon(4096)
    local v = m:view(1025, 1024 + ring.size(128))
    local r = ring.create(v)
    r:push("in a view")
    assert.equal("MBRG", m:sub(1025, 1028))
    assert.equal("in a view", ring.attach(m:view(1025, 1024 + ring.size(128))):pop())
  end)

  it("moves 1 000 000 messages between two processes without loss, " ..
     "duplicate or reordering", function()
    local N = 1000000
    local p = H.file(string.rep("\0", ring.size(65536)))
    local m = assert(mapbuf.open(p, "r+"))
    ring.create(m)
    local t = mapbuf.monotime()
    local c = P.start("consumer", {p, N})
    local pr = P.start("producer", {p, 1, N})
    local pout, pcode = pr.finish()
    local cout, ccode = c.finish()
    t = mapbuf.monotime() - t
    assert.equal(0, pcode, pout)
    assert.equal(0, ccode, cout)
    assert.equal("received " .. N .. "\n", cout)
    local r = ring.attach(m)
    assert.is_true(r:empty())
    assert.is_false(r:alive("producer"))
    assert.is_false(r:alive("consumer"))
    io.stderr:write(("# 1e6 messages in %.2f s (%.0f msgs/s)\n"):format(t, N / t))
    m:close()
  end)
end)
