-- mapbuf.ring (single producer, single consumer) with peers killed by
-- SIGKILL mid-stream: nothing committed is lost, the ring stays whole, a
-- restarted consumer gets the message it was killed holding, the survivor
-- can tell, and a consumer killed asleep leaves no sleeper behind.
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local H = require "spec.helper"
local P = require "spec.ipc.proc"

-- The numbers in a consumer's log.
local function readlog(path)
  local t = {}
  for l in io.lines(path) do t[#t + 1] = tonumber(l) end
  return t
end

-- The log must be 1 .. n in order; a consumer killed between logging a
-- number and acknowledging its message logs it again after the restart,
-- so a number may repeat right after itself, at most once per kill.
local function checklog(t, n, kills)
  local dups = 0
  assert.equal(1, t[1])
  for i = 2, #t do
    if t[i] == t[i - 1] then
      dups = dups + 1
    else
      assert.equal(t[i - 1] + 1, t[i], "after entry " .. (i - 1))
    end
  end
  assert.equal(n, t[#t])
  assert.is_true(dups <= kills, dups .. " duplicates")
  return dups
end

describe("ring with killed peers", function()
  teardown(H.cleanup)

  it("a consumer killed mid-stream and restarted loses nothing committed", function()
    local N = 60000
    local p = H.file(string.rep("\0", ring.size(4096)))
    local log = H.tmpname(".log")
    local m = assert(mapbuf.open(p, "r+"))
    local watcher = ring.create(m)
    local prod = P.start("producer", {p, 1, N})
    for kill = 1, 3 do
      local c = P.start("consumer", {p, N, log})
      -- let it get well into the stream, then kill it without warning
      local target = watcher:stats().acked + 8000 + kill * 1234
      assert.truthy(P.poll(function() return watcher:stats().acked > target end, 30))
      c.kill(9)
      local _, code = c.finish()
      assert.equal(137, code)
      -- the survivor sees the consumer gone and the producer alive
      assert.is_false(watcher:alive("consumer"))
      assert.is_true(watcher:alive("producer"))
      -- the producer keeps going until the ring is full (no room for its
      -- next record, at most 4 slots), then waits
      assert.truthy(P.poll(function() return watcher:used() > 4096 - 256 end, 10))
    end
    local c = P.start("consumer", {p, N, log})
    local cout, ccode = c.finish()
    local pout, pcode = prod.finish()
    assert.equal(0, pcode, pout)
    assert.equal(0, ccode, cout)
    local dups = checklog(readlog(log), N, 3)
    io.stderr:write(("# 3 kills, %d repeated deliveries\n"):format(dups))
    assert.is_true(watcher:empty())
    m:close()
  end)

  it("a producer killed mid-stream leaves a whole ring behind", function()
    local N = 60000
    local p = H.file(string.rep("\0", ring.size(4096)))
    local log = H.tmpname(".log")
    local m = assert(mapbuf.open(p, "r+"))
    local watcher = ring.create(m)
    local c = P.start("consumer", {p, N, log})
    local last = 0
    for kill = 1, 3 do
      local pr = P.start("producer", {p, last + 1, N})
      local target = watcher:stats().pushed + 8000 + kill * 797
      assert.truthy(P.poll(function() return watcher:stats().pushed > target end, 30))
      pr.kill(9)
      local _, code = pr.finish()
      assert.equal(137, code)
      assert.is_false(watcher:alive("producer"))
      assert.is_true(watcher:alive("consumer"))
      -- the consumer drains what was committed (passing over a claim the
      -- producer died making), and not a byte more
      assert.truthy(P.poll(function() return watcher:empty() end, 10))
      P.sleep(0.05)
      local t = readlog(log)
      last = t[#t]
      checklog(t, last, 0)
    end
    local pr = P.start("producer", {p, last + 1, N})
    local pout, pcode = pr.finish()
    local cout, ccode = c.finish()
    assert.equal(0, pcode, pout)
    assert.equal(0, ccode, cout)
    checklog(readlog(log), N, 0)
    m:close()
  end)

  it("a consumer killed while asleep is not counted as a sleeper for long", function()
    local p = H.file(string.rep("\0", ring.size(4096)))
    local m = assert(mapbuf.open(p, "r+"))
    local r = ring.create(m, {role = "producer"})
    local c = P.start("consumer", {p, 1000})
    assert.truthy(P.poll(function() return r:stats().sleeping_consumers == 1 end, 20))
    c.kill(9)
    c.finish()
    local s = r:stats()
    assert.equal(0, s.sleeping_consumers)
    assert.equal(1, s.stale_sleepers)   -- its bit is still up ...
    -- ... until a push's wake wakes nobody: then it is cleared, and the
    -- pushes after it make no wake calls
    assert.is_true(r:try_push("a"))
    assert.truthy(P.poll(function()
      r:try_push("b")
      return r:stats().stale_sleepers == 0
    end, 5))
    -- a restarted consumer takes its place
    local d = ring.attach(m)
    while d:try_pop() do end
    d:close()
    local c2 = P.start("consumer", {p, 1000})
    assert.truthy(P.poll(function() return r:stats().sleeping_consumers == 1 end, 20))
    c2.kill(9)
    c2.finish()
    m:close()
  end)
end)
