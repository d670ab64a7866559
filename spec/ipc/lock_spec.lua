-- Byte-range locks (OFD): between two maps of one process, between
-- processes, shared and exclusive, waiting or not.
local mapbuf = require "mapbuf"
local H = require "spec.helper"
local P = require "spec.ipc.proc"

describe("lock", function()
  teardown(H.cleanup)

  local function pair()
    local p = H.file(string.rep("\0", 8192))
    return p, assert(mapbuf.open(p, "r+")), assert(mapbuf.open(p, "r+"))
  end

  it("two maps of one process exclude each other", function()
    local _, a, b = pair()
    assert.is_true(a:lock())
    assert.is_false(b:lock("w", 1, 10, false))
    assert.is_false(b:lock("r", 8000, 1, false))
    assert.is_true(a:unlock())
    assert.is_true(b:lock("w", 1, 10, false))
    a:close(); b:close()
  end)

  it("locks ranges, not whole files", function()
    local _, a, b = pair()
    assert.is_true(a:lock("w", 1, 4096))
    assert.is_true(b:lock("w", 4097, 4096, false))
    assert.is_false(b:lock("w", 4096, 1, false))
    assert.is_true(a:unlock(1, 4096))
    assert.is_true(b:lock("w", 4096, 1, false))
    -- negative positions count from the end; the default count is the rest
    assert.is_false(a:lock("w", -1, 1, false))
    assert.is_true(b:unlock(-4096))
    assert.is_true(a:lock("w", -1, 1, false))
    a:close(); b:close()
  end)

  it("shared locks share, an exclusive one excludes them", function()
    local _, a, b = pair()
    assert.is_true(a:lock("r"))
    assert.is_true(b:lock("r", 1, 8192, false))
    assert.is_false(a:lock("w", 1, 8192, false))  -- b still holds it shared
    assert.is_true(b:unlock())
    assert.is_true(a:lock("w", 1, 8192, false))   -- upgraded, alone now
    assert.is_false(b:lock("r", 1, 1, false))
    a:close()                                     -- closing releases
    assert.is_true(b:lock("r", 1, 1, false))
    b:close()
  end)

  it("maps made with mapbuf.map from one descriptor share their locks", function()
    local p = H.file(string.rep("\0", 8192))
    local f = assert(io.open(p, "r+b"))
    local a = assert(mapbuf.map(f, 0))
    local b = assert(mapbuf.map(f, 0))
    assert.is_true(a:lock())
    assert.is_true(b:lock("w", 1, 10, false))
    local c = assert(mapbuf.open(p, "r+"))
    assert.is_false(c:lock("w", 1, 10, false))
    a:close(); b:close(); c:close(); f:close()
  end)

  it("views lock their own bytes of the file", function()
    local _, a, b = pair()
    local v = a:view(4097, 8192)
    assert.is_true(v:lock("w", 1, 1))             -- byte 4097 of the file
    assert.is_true(b:lock("w", 1, 4096, false))
    assert.is_false(b:lock("w", 4097, 1, false))
    a:close(); b:close()
  end)

  it("excludes another process, and waits for it", function()
    local p, m = pair()
    local h = P.start("locker", {p, "w", 1, 100})
    assert.truthy(P.poll(function() return m:atomic_load(1, 32) == 1 end, 20))
    assert.is_false(m:lock("w", 50, 1, false))
    assert.is_false(m:lock("r", 1, 1, false))
    assert.is_true(m:lock("w", 101, 100, false))
    -- let it go in a moment; a waiting lock returns once it has
    m:atomic_store(5, 1, 32)
    m:wake(5)
    local t = mapbuf.monotime()
    assert.is_true(m:lock("w", 1, 100))
    assert.is_true(mapbuf.monotime() - t < 15)
    local out, code = h.finish()
    assert.equal(0, code, out)
    m:close()
  end)

  it("a shared lock in another process admits readers, not writers", function()
    local p, m = pair()
    local h = P.start("locker", {p, "r", 1, 8192})
    assert.truthy(P.poll(function() return m:atomic_load(1, 32) == 1 end, 20))
    assert.is_true(m:lock("r", 1, 10, false))
    assert.is_true(m:unlock(1, 10))
    assert.is_false(m:lock("w", 1, 10, false))
    m:atomic_store(5, 1, 32)
    m:wake(5)
    local out, code = h.finish()
    assert.equal(0, code, out)
    -- its exit released the lock
    assert.is_true(m:lock("w", 1, 10, false))
    m:close()
  end)

  it("waits a number of seconds, then returns false", function()
    local _, a, b = pair()
    assert.is_true(a:lock("w", 1, 10))
    -- (the best of three: a moment lost to another process is not the lock's)
    for _, T in ipairs{0, 0.05, 0.15} do
      local t = math.huge
      for _ = 1, 3 do
        local t0 = mapbuf.monotime()
        assert.is_false(b:lock("w", 5, 1, T))
        t = math.min(t, mapbuf.monotime() - t0)
      end
      assert.is_true(t >= T - 0.001 and t < T + 0.02, ("T=%g: %.4f s"):format(T, t))
    end
    -- negative or NaN: one try; huge: forever (here: granted at once)
    assert.is_false(b:lock("w", 5, 1, -1))
    assert.is_false(b:lock("w", 5, 1, 0 / 0))
    assert.is_true(b:lock("w", 11, 1, math.huge))
    -- a lock let go is taken by a waiter within a few ms (its naps are 2
    -- ms at most): here the waiter is this process, so it is taken at once
    assert.is_true(a:unlock(1, 10))
    local t = mapbuf.monotime()
    assert.is_true(b:lock("w", 1, 10, 1))
    assert.is_true(mapbuf.monotime() - t < 0.1)
    a:close(); b:close()
  end)

  it("an empty range locks nothing", function()
    local _, a, b = pair()
    assert.is_true(a:lock("w", 8193, 0))
    assert.is_true(a:lock("w", 100, 0))
    assert.is_true(b:lock("w", 1, 8192, false))
    assert.is_true(a:unlock(8193))
    a:close(); b:close()
  end)

  it("anonymous memory raises; bad modes and ranges raise", function()
    local m = mapbuf.anon(64)
    assert.error_matches(function() m:lock() end, "no file")
    local _, a = pair()
    assert.error_matches(function() a:lock("x") end, "invalid option")
    assert.has_error(function() a:lock("w", 8194) end,
                     "bad argument #2 to 'lock' (out of range)")
    assert.has_error(function() a:lock("w", 1, 8193) end,
                     "bad argument #3 to 'lock' (out of range)")
    assert.has_error(function() a:lock("w", 1, -1) end,
                     "bad argument #3 to 'lock' (out of range)")
    assert.has_error(function() a:unlock(0) end,
                     "bad argument #1 to 'unlock' (out of range)")
    a:close()
  end)
end)
