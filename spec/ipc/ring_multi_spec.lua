-- mapbuf.ring with opts.multi: several producers and consumers, in one
-- process and in several, one producer killed in the middle.
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local H = require "spec.helper"
local P = require "spec.ipc.proc"

-- A file with a ring of capacity cap in its first bytes and a 64-byte
-- counter area after it.
local function ringfile(cap)
  local p = H.file(string.rep("\0", ring.size(cap) + 64))
  local m = assert(mapbuf.open(p, "r+"))
  ring.create(m:view(1, #m - 64))
  m:close()
  return p
end

-- Once the producers are done: wait until the ring is drained, then tell
-- the consumers to stop.
local function stop(p)
  local m = assert(mapbuf.open(p, "r+"))
  local r = ring.attach(m:view(1, #m - 64))
  assert.truthy(P.poll(function() return r:empty() end, 30))
  m:atomic_store(#m - 55, 1)
  m:close()
end

-- Parse consumers' outputs: per producer id, the list of sequence numbers
-- in the order each consumer got them; checks that each consumer saw each
-- producer's messages in order, and returns the union as sets.
local function collect(outs)
  local seen = {}
  for _, out in ipairs(outs) do
    local last = {}
    for id, seq in out:gmatch("(%d+) (%d+)") do
      id, seq = tonumber(id), tonumber(seq)
      assert.is_true((last[id] or 0) < seq, "order of producer " .. id)
      last[id] = seq
      seen[id] = seen[id] or {}
      assert.is_nil(seen[id][seq], "duplicate " .. id .. ":" .. seq)
      seen[id][seq] = true
    end
  end
  return seen
end

describe("ring with several producers and consumers", function()
  teardown(H.cleanup)

  it("interleaves two producer maps of one process", function()
    local p = ringfile(256)
    local m1 = assert(mapbuf.open(p, "r+"))
    local m2 = assert(mapbuf.open(p, "r+"))
    local a = ring.attach(m1:view(1, #m1 - 64), {role = "producer", multi = true})
    local b = ring.attach(m2:view(1, #m2 - 64), {role = "producer", multi = true})
    local c = ring.attach(m1:view(1, #m1 - 64), {role = "consumer"})
    for i = 1, 100 do
      assert.is_true(a:try_push("a" .. i))
      assert.is_true(b:try_push("b" .. i))
      assert.equal("a" .. i, c:try_pop())
      assert.equal("b" .. i, c:try_pop())
    end
    -- both hold the producer role: it is alive until both let go
    local w = ring.attach(m2:view(1, #m2 - 64))
    assert.is_true(c:alive("producer"))
    a:close()
    assert.is_true(c:alive("producer"))
    b:close()
    assert.is_false(c:alive("producer"))
    local _ = w
    m1:close(); m2:close()
  end)

  it("a multi consumer holds its lock from peek to ack", function()
    local p = ringfile(256)
    local m1 = assert(mapbuf.open(p, "r+"))
    local m2 = assert(mapbuf.open(p, "r+"))
    local prod = ring.attach(m1:view(1, #m1 - 64))
    local c1 = ring.attach(m1:view(1, #m1 - 64), {multi = true})
    local c2 = ring.attach(m2:view(1, #m2 - 64), {multi = true})
    prod:push("one"); prod:push("two")
    assert.equal("one", c1:try_peek())
    -- c2 would block on the lock: m2 cannot take it while c1 holds it
    assert.is_false(m2:lock("w", 201, 1, false))
    assert.is_true(c1:ack())
    assert.equal("two", c2:try_pop())
    assert.is_nil(c1:try_pop())
    assert.is_nil(c2:pop(0.05))
    assert.is_true(m2:lock("w", 201, 1, false))  -- nobody holds it now
    assert.is_true(m2:unlock(201, 1))
    -- closing a ring lets go of a peek that was never acknowledged
    prod:push("three")
    assert.equal("three", c1:try_peek())
    assert.is_false(m2:lock("w", 201, 1, false))
    c1:close()
    assert.equal("three", c2:try_pop())
    m1:close(); m2:close()
  end)

  it("3 producer and 2 consumer processes: every message once, in order", function()
    local N = 20000
    local p = ringfile(8192)
    local cons = {P.start("mconsumer", {p}), P.start("mconsumer", {p})}
    local prods = {}
    for id = 1, 3 do prods[id] = P.start("mproducer", {p, id, 1, N}) end
    for id = 1, 3 do
      local out, code = prods[id].finish()
      assert.equal(0, code, out)
    end
    stop(p)
    local outs = {}
    for i = 1, 2 do
      local out, code = cons[i].finish()
      assert.equal(0, code, out)
      outs[i] = out
    end
    local seen = collect(outs)
    for id = 1, 3 do
      for seq = 1, N do assert.is_true(seen[id][seq], id .. ":" .. seq) end
    end
  end)

  it("a producer killed mid-stream does not stop or corrupt the others", function()
    local N = 20000
    local p = ringfile(4096)
    local m = assert(mapbuf.open(p, "r+"))
    local victim = P.start("mproducer", {p, 9, 1, 1000000})
    local cons = P.start("mconsumer", {p})
    assert.truthy(P.poll(function() return m:atomic_load(#m - 63) > 3000 end, 30))
    victim.kill(9)
    local _, code = victim.finish()
    assert.equal(137, code)
    local a = P.start("mproducer", {p, 1, 1, N})
    local b = P.start("mproducer", {p, 2, 1, N})
    assert.equal(0, select(2, a.finish()))
    assert.equal(0, select(2, b.finish()))
    stop(p)
    local out, ccode = cons.finish()
    assert.equal(0, ccode, out)
    local seen = collect({out})
    for id = 1, 2 do
      for seq = 1, N do assert.is_true(seen[id][seq], id .. ":" .. seq) end
    end
    -- what the victim committed came through as a prefix, in order
    local k = 0
    while seen[9][k + 1] do k = k + 1 end
    assert.is_true(k >= 3000)
    for seq in pairs(seen[9]) do assert.is_true(seq <= k) end
    m:close()
  end)
end)
