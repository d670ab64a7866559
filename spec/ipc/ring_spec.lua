-- mapbuf.ring: create / attach / open, the header, messages of every
-- length across the wrap, timeouts, leases, roles, a look from a third
-- object; 1 000 000 messages between two processes with no loss,
-- duplicate or reordering.
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local H = require "spec.helper"
local P = require "spec.ipc.proc"

local function elapsed(f)
  local t = mapbuf.monotime()
  local a, b = f()
  return mapbuf.monotime() - t, a, b
end

describe("ring", function()
  teardown(H.cleanup)

  it("has a header with magic, version and capacity", function()
    local m = mapbuf.anon(ring.size(1024))
    local r = ring.create(m)
    assert.equal(1024, r:capacity())
    assert.equal("MBRG", m:sub(1, 4))
    assert.equal(2, ring.VERSION)
    assert.equal(2, m:unpack("=I4", 5))
    assert.equal(1024, m:unpack("=I8", 9))
    assert.equal(#m, ring.size(1024))
    -- capacity: all that fits, in 64-byte slots; an explicit one must fit
    assert.equal(960, ring.create(mapbuf.anon(ring.size(1024) - 1)):capacity())
    assert.equal(ring.fit(ring.size(4096)), 4096)
    r:close()
    assert.equal(128, ring.create(m, {capacity = 128}):capacity())
    assert.error_matches(function() ring.create(m, {capacity = 2048, force = true}) end,
                         "capacity 2048 does not fit")
    assert.error_matches(function() ring.create(mapbuf.anon(100)) end,
                         "does not fit")
    assert.error_matches(function() ring.size(64) end, "out of range")
  end)

  it("attach raises on foreign data and changes no byte", function()
    local junk = {}
    for i = 1, ring.size(256) do junk[i] = string.char((i * 37) % 256) end
    junk = table.concat(junk)
    local m = H.mapof(junk)
    assert.error_matches(function() ring.attach(m) end, "not a ring")
    assert.error_matches(function() ring.attach(m, {role = "consumer"}) end, "not a ring")
    assert.error_matches(function() ring.open(m) end, "not a ring")
    assert.equal(junk, m:sub(1))
    -- the same with a ring's magic but nonsense after it
    m:set(1, "MBRG")
    local before = m:sub(1)
    assert.error_matches(function() ring.attach(m) end, "unsupported ring version")
    m:pack(5, "=I4", 2)
    before = m:sub(1)
    assert.error_matches(function() ring.attach(m) end, "corrupted ring")
    assert.error_matches(function() ring.open(m) end, "corrupted ring")
    assert.equal(before, m:sub(1))
    assert.error_matches(function() ring.attach(mapbuf.anon(8)) end, "not a ring")
  end)

  it("attach checks the capacity and mode asked for", function()
    local m = mapbuf.anon(ring.size(1024))
    ring.create(m):close()
    assert.equal(1024, ring.attach(m, {capacity = 1024}):capacity())
    assert.error_matches(function() ring.attach(m, {capacity = 512}) end,
                         "the ring has capacity 1024, not 512")
    assert.error_matches(function() ring.attach(m, {multi = true}) end,
                         "the ring is single, not multi")
    assert.is_false(ring.attach(m, {multi = false}):stats().multi)
    ring.create(m, {multi = true}):close()
    assert.error_matches(function() ring.attach(m, {multi = false}) end,
                         "the ring is multi, not single")
    assert.error_matches(function() ring.open(m, {capacity = 64 * 20}) end,
                         "the ring has capacity 1024, not 1280")
    assert.error_matches(function() ring.attach(m, {color = "red"}) end,
                         "unknown option 'color'")
  end)

  it("create refuses a live ring unless forced", function()
    local m = mapbuf.anon(ring.size(1024))
    local r = ring.create(m)
    ring.create(m):close()              -- empty, no peer: formatted again
    r = ring.attach(m)
    assert.is_true(r:try_push("precious"))
    assert.error_matches(function() ring.create(m) end, "the map holds a live ring")
    r:close()
    -- nobody attached, but a message in it: still refused
    assert.error_matches(function() ring.create(m) end, "the map holds a live ring")
    local c = ring.attach(m)
    assert.equal("precious", c:try_pop())
    c:close()
    r = ring.attach(m, {role = "consumer"})
    assert.error_matches(function() ring.create(m) end, "the map holds a live ring")
    ring.create(m, {force = true}):close()
    assert.is_true(ring.attach(m):empty())
    -- a ring of another version (the Lua ring of old was 1): nobody can
    -- tell whether it is live, so only force formats it
    r:close()
    m:pack(5, "=I4", 1)
    local before = m:sub(1)
    assert.error_matches(function() ring.create(m) end, "unsupported ring version")
    assert.equal(before, m:sub(1))
    ring.create(m, {force = true}):close()
    assert.equal(2, m:unpack("=I4", 5))
  end)

  it("open formats an all-zero map once, then attaches", function()
    local p = H.file(string.rep("\0", ring.size(512)))
    local m = assert(mapbuf.open(p, "r+"))
    local a = ring.open(m, {capacity = 512})
    assert.is_true(a:try_push("kept"))
    local m2 = assert(mapbuf.open(p, "r+"))
    local b = ring.open(m2)
    assert.equal("kept", b:try_pop())
    -- a map that is not all zero and holds no ring is left alone
    local q = H.file(string.rep("\0", 1000) .. "x" .. string.rep("\0", ring.size(512)))
    local m3 = assert(mapbuf.open(q, "r+"))
    assert.error_matches(function() ring.open(m3) end, "not a ring")
    assert.equal(string.rep("\0", 1000) .. "x", m3:sub(1, 1001))
    a:close(); b:close()
    m:close(); m2:close(); m3:close()
  end)

  it("passes messages of every length in order, across the wrap", function()
    local m = mapbuf.anon(ring.size(640))
    local r = ring.create(m)
    local n = 0
    for round = 1, 30 do
      for len = 0, 632, 7 do
        local s = string.rep(string.char(65 + round % 26), len - #tostring(round))
                  .. round
        s = s:sub(1, len)
        assert.is_true(r:try_push(s))
        assert.equal(s, r:try_pop())
        n = n + 1
      end
    end
    assert.is_true(n > 2500)
    assert.is_nil(r:try_pop())
    assert.is_true(r:empty())
    -- the longest message: capacity - 8, wherever the ring stands
    for _ = 1, 3 do
      local s = ("z"):rep(632)
      assert.is_true(r:try_push(s))
      assert.is_true(r:try_push("") == false)
      assert.equal(s, r:try_pop())
      assert.is_true(r:try_push("abc"))
      assert.equal("abc", r:pop())
    end
    assert.has_error(function() r:try_push(string.rep("x", 633)) end,
                     "bad argument #1 to 'push' (message longer than the ring)")
  end)

  it("fills up, refuses, times out, and takes more once drained", function()
    local r = ring.create(mapbuf.anon(ring.size(256)))
    assert.is_true(r:try_push(string.rep("a", 56)))   -- one slot each
    assert.is_true(r:try_push(string.rep("b", 56)))
    assert.is_true(r:try_push(string.rep("c", 120)))  -- two slots: full
    assert.equal(256, r:used())
    assert.is_false(r:try_push(""))
    local t, ok = elapsed(function() return r:push("", 0.05) end)
    assert.is_false(ok)
    assert.is_true(t >= 0.045 and t < 0.5, "waited " .. t)
    assert.equal(string.rep("a", 56), r:pop())
    assert.is_true(r:push(string.rep("e", 20), 1))
    assert.equal(string.rep("b", 56), r:pop())
    assert.equal(string.rep("c", 120), r:pop())
    assert.equal(string.rep("e", 20), r:pop())
    assert.error_matches(function() r:push("x", -1) end, "non%-negative")
    assert.error_matches(function() r:push(5) end, "string expected")
    assert.error_matches(function() r:pop(0 / 0) end, "non%-negative")
  end)

  it("pop and peek time out on an empty ring", function()
    local r = ring.create(mapbuf.anon(ring.size(256)))
    local t, s, err = elapsed(function() return r:pop(0.1) end)
    assert.is_nil(s)
    assert.equal("timeout", err)
    assert.is_true(t >= 0.095 and t < 0.5, "waited " .. t)
    assert.is_nil(r:try_pop())
    assert.is_nil(r:peek(0))
    assert.is_nil(select(2, r:try_peek()))
  end)

  it("peek leases the message until ack", function()
    local m = mapbuf.anon(ring.size(256))
    local r = ring.create(m)
    r:push("one"); r:push("two")
    assert.equal("one", r:peek())
    assert.equal("one", r:peek())          -- the same, until acked
    assert.equal("one", r:try_pop())       -- pop of a leased one retires it
    assert.is_false(r:ack())
    assert.equal("two", r:peek())
    assert.equal(1, r:stats().leases)
    assert.is_true(r:ack())
    assert.is_false(r:ack())
    assert.equal(0, r:stats().leases)
    -- a consumer that closes holding a lease leaves it to the next one
    r:push("three")
    assert.equal("three", r:peek())
    r:close()
    local r2 = ring.attach(m)
    assert.equal("three", r2:try_pop())
    assert.is_true(r2:empty())
  end)

  it("keeps one live producer and one live consumer (single mode)", function()
    local p = H.file(string.rep("\0", ring.size(256)))
    local m1 = assert(mapbuf.open(p, "r+"))
    local m2 = assert(mapbuf.open(p, "r+"))
    local prod = ring.create(m1, {role = "producer"})
    local watcher = ring.attach(m2)
    assert.is_true(watcher:alive("producer"))
    assert.is_false(watcher:alive("consumer"))
    assert.is_true(prod:alive("producer"))     -- asking does not drop it
    assert.is_true(prod:alive("producer"))
    assert.error_matches(function() ring.attach(m2, {role = "producer"}) end,
                         "already has a live producer")
    assert.error_matches(function() watcher:push("x") end,
                         "already has a live producer")
    -- a second ring object in the same process, even on the same map
    assert.error_matches(function() ring.attach(m1, {role = "producer"}) end,
                         "already has a live producer")
    prod:close()
    assert.is_false(watcher:alive("producer"))
    local cons = ring.attach(m2, {role = "consumer"})
    assert.is_true(watcher:alive("consumer"))
    cons:close()
    assert.is_false(watcher:alive("consumer"))
    -- anonymous memory: liveness by process, the same answers
    local a = mapbuf.anon(ring.size(256))
    local ra = ring.create(a, {role = "consumer"})
    assert.is_true(ring.attach(a):alive("consumer"))
    assert.error_matches(function() ring.attach(a, {role = "consumer"}) end,
                         "already has a live consumer")
    ra:close()
    assert.is_false(ring.attach(a):alive("consumer"))
    assert.error_matches(function() ring.create(m1, {role = "boss"}) end, "bad role")
    assert.error_matches(function() watcher:alive("boss") end, "bad role")
    m1:close(); m2:close()
  end)

  it("a third object inspects the ring", function()
    local m = mapbuf.anon(ring.size(1024))
    local prod = ring.create(m, {role = "producer", multi = true})
    local cons = ring.attach(m, {role = "consumer"})
    for i = 1, 5 do prod:push(("m%d"):format(i)) end
    assert.equal("m1", cons:peek())
    local s = ring.attach(m):stats()
    assert.equal(1024, s.capacity)
    assert.equal(5 * 64, s.used)
    assert.equal(1, s.producers)
    assert.equal(1, s.consumers)
    assert.equal(0, s.sleeping_producers)
    assert.equal(0, s.sleeping_consumers)
    assert.equal(1, s.leases)
    assert.equal(0, s.dead_leases)
    assert.is_true(s.oldest_lease >= 0 and s.oldest_lease < 5)
    assert.equal(5, s.pushed)
    assert.equal(0, s.acked)
    assert.is_true(s.multi)
    cons:ack()
    s = ring.attach(m):stats()
    assert.equal(4 * 64, s.used)
    assert.is_nil(s.oldest_lease)
    assert.matches("^mapbuf%.ring%(capacity=1024, used=256, multi%)$", tostring(cons))
    cons:close()
    assert.equal("mapbuf.ring(closed)", tostring(cons))
    assert.error_matches(function() cons:pop() end, "ring is closed")
    cons:close()
    assert.is_true(cons:closed())
  end)

  it("a read-only map can be inspected, not used", function()
    local p = H.file(string.rep("\0", ring.size(256)))
    local m = assert(mapbuf.open(p, "r+"))
    local r = ring.create(m, {role = "producer"})
    r:push("x")
    local ro = assert(mapbuf.open(p, "r"))
    local w = ring.attach(ro)
    assert.equal(64, w:used())
    assert.is_true(w:alive("producer"))
    assert.error_matches(function() w:pop() end, "read%-only")
    assert.error_matches(function() ring.attach(ro, {role = "consumer"}) end, "read%-only")
    m:close(); ro:close()
  end)

  it("raises once its map is closed", function()
    local m = mapbuf.anon(ring.size(256))
    local r = ring.create(m)
    m:close()
    assert.error_matches(function() r:push("x") end, "map is closed")
    assert.error_matches(function() r:stats() end, "map is closed")
    r:close()
  end)

  it("detects a corrupted record instead of reading past it", function()
    local m = mapbuf.anon(ring.size(256))
    local r = ring.create(m)
    r:push("abc")
    local data = #m - 256 + 1
    m:pack(data, "=I4", 100000)
    assert.error_matches(function() r:pop() end, "corrupted ring")
  end)

  it("works in a view of a bigger map (64-byte aligned)", function()
    local m = mapbuf.anon(65536)
    local v = m:view(1025, 1024 + ring.size(128))
    local r = ring.create(v)
    r:push("in a view")
    assert.equal("MBRG", m:sub(1025, 1028))
    assert.equal("in a view", ring.attach(m:view(1025, 1024 + ring.size(128))):pop())
    assert.error_matches(function() ring.create(m:view(1001, 1000 + ring.size(128))) end,
                         "64%-byte aligned")
  end)

  it("moves 1 000 000 messages between two processes without loss, " ..
     "duplicate or reordering", function()
    local N = 1000000
    local p = H.file(string.rep("\0", ring.size(65536)))
    local m = assert(mapbuf.open(p, "r+"))
    ring.create(m):close()
    local t = mapbuf.monotime()
    local c = P.start("consumer", {p, N})
    local pr = P.start("producer", {p, 1, N})
    local pout, pcode = pr.finish()
    local cout, ccode = c.finish()
    t = mapbuf.monotime() - t
    assert.equal(0, pcode, pout)
    assert.equal(0, ccode, cout)
    assert.equal("pushed\nreceived " .. N .. "\n", pout .. cout)
    local r = ring.attach(m)
    assert.is_true(r:empty())
    assert.is_false(r:alive("producer"))
    assert.is_false(r:alive("consumer"))
    assert.equal(N, r:stats().acked)
    io.stderr:write(("# 1e6 messages in %.2f s (%.0f msgs/s)\n"):format(t, N / t))
    m:close()
  end)
end)
