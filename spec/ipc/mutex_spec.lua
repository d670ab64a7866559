-- mapbuf.mutex: a robust mutex in 8 bytes of a shared map.  Excludes other
-- processes; the next holder learns that the previous one died holding it
-- (kill -9), until someone says the data is whole again (consistent).
local mapbuf = require "mapbuf"
local H = require "spec.helper"
local P = require "spec.ipc.proc"

describe("mapbuf.mutex", function()
  teardown(H.cleanup)

  it("locks, unlocks, tries, and says who holds it", function()
    local m = mapbuf.anon(64)
    local mx = mapbuf.mutex(m, 9)
    assert.matches("^mapbuf%.mutex", tostring(mx))
    assert.same({locked = false, alive = false, mine = false, inconsistent = false,
                 waiters = false}, mx:state())
    assert.is_true(mx:lock())
    local s = mx:state()
    assert.is_true(s.locked and s.mine and s.alive)
    assert.is_true(s.pid > 0)
    assert.error_matches(function() mx:lock() end, "already held by this process")
    assert.error_matches(function() mx:trylock() end, "already held by this process")
    assert.is_true(mx:unlock())
    assert.error_matches(function() mx:unlock() end, "not held by this process")
    assert.error_matches(function() mx:consistent() end, "not held by this process")
    assert.is_true(mx:trylock())
    assert.is_true(mx:unlock())
    assert.is_true(mx:lock(0.5))
    mx:unlock()
    -- a word of zeros is an unlocked mutex: nothing to set up
    assert.equal(string.rep("\0", 8), m:sub(9, 16))
  end)

  it("checks its arguments", function()
    local m = mapbuf.anon(64)
    assert.has_error(function() mapbuf.mutex(m, 2) end,
                     "bad argument #2 to 'mutex' (misaligned position)")
    assert.has_error(function() mapbuf.mutex(m, 60) end,
                     "bad argument #2 to 'mutex' (out of range)")
    assert.error_matches(function() mapbuf.mutex({}, 1) end, "mapbuf.map expected")
    assert.error_matches(function() mapbuf.mutex(m, 1):lock(-1) end, "non%-negative")
    local mx = mapbuf.mutex(m, -8)      -- the last 8 bytes
    assert.is_true(mx:lock())
    assert.equal(string.rep("\0", 8), m:sub(1, 8))
    mx:unlock()
    local ro = mapbuf.open(H.file(string.rep("\0", 64)), "r")
    assert.error_matches(function() mapbuf.mutex(ro, 1):lock() end, "read%-only")
    assert.is_false(mapbuf.mutex(ro, 1):state().locked)
    m:close()
    assert.error_matches(function() mx:lock() end, "map is closed")
  end)

  it("excludes other processes: no update lost", function()
    local p = H.file(string.rep("\0", 4096))
    local hs = {}
    for i = 1, 3 do hs[i] = P.start("mxadder", {p, 3000}) end
    for i = 1, 3 do
      local out, code = hs[i].finish()
      assert.equal(0, code, out)
    end
    local m = assert(mapbuf.open(p, "r+"))
    assert.equal(9000, m:unpack("<i8", 17))
    assert.is_false(mapbuf.mutex(m, 9):state().locked)
    m:close()
  end)

  it("tells the next holder that the last one died holding it", function()
    local p = H.file(string.rep("\0", 4096))
    local m = assert(mapbuf.open(p, "r+"))
    local mx = mapbuf.mutex(m, 9)
    local h = P.start("mxadder", {p, 0, "die"})
    assert.truthy(P.poll(function() return m:atomic_load(1, 32) == 1 end, 20))
    assert.is_false(mx:trylock())
    assert.is_true(mx:state().alive)
    h.kill(9)
    assert.equal(137, select(2, h.finish()))
    local s = mx:state()
    assert.is_true(s.locked)
    assert.is_false(s.alive)
    local t = mapbuf.monotime()
    local ok, why = mx:lock(5)
    assert.is_true(mapbuf.monotime() - t < 1)
    assert.is_true(ok)
    assert.equal("ownerdead", why)
    assert.is_true(mx:state().inconsistent)
    assert.equal(-1, m:unpack("<i8", 25))   -- the half-written record is there
    -- unlocked without repair: the next holder is told too
    mx:unlock()
    ok, why = mx:lock()
    assert.equal("ownerdead", why)
    m:pack(25, "<i8", 0)                     -- repaired
    assert.is_true(mx:consistent())
    assert.is_false(mx:state().inconsistent)
    mx:unlock()
    ok, why = mx:lock()
    assert.is_true(ok)
    assert.is_nil(why)
    mx:unlock()
    m:close()
  end)

  it("a waiter asleep when the holder is killed takes it over", function()
    local p = H.file(string.rep("\0", 4096))
    local m = assert(mapbuf.open(p, "r+"))
    local h = P.start("mxadder", {p, 0, "die"})
    assert.truthy(P.poll(function() return m:atomic_load(1, 32) == 1 end, 20))
    local w = P.start("mxadder", {p, 1})   -- asserts no 'ownerdead': fails
    P.sleep(0.2)
    h.kill(9)
    h.finish()
    local out, code = w.finish()
    assert.equal(1, code)
    assert.matches("ownerdead", out)
    m:close()
  end)
end)
