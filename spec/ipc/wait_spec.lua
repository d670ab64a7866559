-- wait / wake: timeouts, values that differ, and wake counts with waiters
-- in other processes (a shared futex, not the private one).
local mapbuf = require "mapbuf"
local H = require "spec.helper"
local P = require "spec.ipc.proc"

describe("wait and wake", function()
  teardown(H.cleanup)

  it("returns true at once when the word is not the expected value", function()
    local m = mapbuf.anon(64)
    m:atomic_store(1, 5, 32)
    local t = mapbuf.monotime()
    assert.is_true(m:wait(1, 4))
    assert.is_true(m:wait(1, 4, 10))
    assert.is_true(mapbuf.monotime() - t < 0.5)
  end)

  it("times out after the given seconds", function()
    local m = mapbuf.anon(64)
    local t = mapbuf.monotime()
    assert.is_false(m:wait(1, 0, 0.1))
    t = mapbuf.monotime() - t
    assert.is_true(t >= 0.095 and t < 2, "waited " .. t)
    assert.is_false(m:wait(1, 0, 0))
    -- the word holds 0 .. 2^32-1: anything else is no value it can hold
    -- (cut to 32 bits, 2^33-1 would be 0xFFFFFFFF and sleep)
    m:atomic_store(1, 0xFFFFFFFF, 32)
    assert.is_false(m:wait(1, 0xFFFFFFFF, 0))
    for _, bad in ipairs({2^32, 2^33 - 1, -1, H.minint, H.maxint}) do
      assert.has_error(function() m:wait(1, bad, 0) end,
                       "bad argument #2 to 'wait' (value out of range (0..2^32-1))")
    end
  end)

  it("wake with no waiters wakes nobody", function()
    local m = mapbuf.anon(64)
    assert.equal(0, m:wake(1))
    assert.equal(0, m:wake(1, 0))
    assert.equal(0, m:wake(5, 3))
  end)

  it("checks its arguments", function()
    local m = mapbuf.anon(64)
    assert.has_error(function() m:wait(2, 0, 0) end,
                     "bad argument #1 to 'wait' (misaligned position)")
    assert.has_error(function() m:wait(63, 0, 0) end,
                     "bad argument #1 to 'wait' (out of range)")
    assert.has_error(function() m:wake(65) end,
                     "bad argument #1 to 'wake' (out of range)")
    assert.error_matches(function() m:wait(1, 0, -1) end, "non%-negative")
    assert.error_matches(function() m:wait(1, 0, 0 / 0) end, "non%-negative")
    assert.error_matches(function() m:wake(1, -1) end, "non%-negative")
    assert.error_matches(function() m:wait(1) end, "bad argument #2 to 'wait'")
    -- huge counts and timeouts are fine
    assert.equal(0, m:wake(1, H.maxint))
    m:atomic_store(1, 1, 32)
    assert.is_true(m:wait(1, 0, math.huge))
  end)

  it("wakes waiters in other processes, and counts them", function()
    local p = H.file(string.rep("\0", 4096))
    local m = assert(mapbuf.open(p, "r+"))
    local w = {}
    for i = 1, 3 do w[i] = P.start("waiter", {p, 20}) end
    -- all three counted in and asleep in the futex
    assert.truthy(P.poll(function() return m:atomic_load(65, 32) == 3 end, 20))
    assert.truthy(P.poll(function()
      return P.infutex(w[1].pid()) and P.infutex(w[2].pid()) and P.infutex(w[3].pid())
    end, 20))
    assert.equal(2, m:wake(1, 2))
    assert.equal(0, m:wake(1, 0))
    assert.equal(1, m:wake(1))
    assert.equal(0, m:wake(1))
    for i = 1, 3 do
      local out, code = w[i].finish()
      assert.equal(0, code, out)
      assert.equal("woken\n", out)
    end
    m:close()
  end)

  it("a store and a wake reach a waiter blocked on a shared file", function()
    local p = H.file(string.rep("\0", 4096))
    local m = assert(mapbuf.open(p, "r+"))
    local w = P.start("waiter", {p, 20})
    assert.truthy(P.poll(function() return m:atomic_load(65, 32) == 1 end, 20))
    assert.truthy(P.poll(function() return P.infutex(w.pid()) end, 20))
    m:atomic_store(1, 1, 32)
    assert.equal(1, m:wake(1, 1))
    local out, code = w.finish()
    assert.equal(0, code, out)
    m:close()
  end)

  it("a waiter that nobody wakes times out", function()
    local p = H.file(string.rep("\0", 4096))
    local out, code = P.start("waiter", {p, 0.2}).finish()
    assert.equal(3, code, out)
    assert.equal("timeout\n", out)
  end)
end)
