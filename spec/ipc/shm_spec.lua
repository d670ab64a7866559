-- Named shared memory: create, attach, exclusive, read-only, grow, unlink.
local mapbuf = require "mapbuf"
local H = require "spec.helper"

local counter = 0
local function fresh()
  counter = counter + 1
  local name = ("/mapbuf-spec-%d-%d"):format(math.floor(mapbuf.monotime() * 1e6) % 1e9, counter)
  mapbuf.shm_unlink(name)
  return name
end

describe("shm", function()
  it("creates with a size, attaches, and unlinks", function()
    local name = fresh()
    local a = assert(mapbuf.shm(name, 10000))
    assert.equal(10000, #a)
    assert.equal(0, a[1])
    a:set(1, "hello")
    local b = assert(mapbuf.shm(name))
    assert.equal(10000, #b)
    assert.equal("hello", b:sub(1, 5))
    b:atomic_store(9, 42)
    assert.equal(42, a:atomic_load(9))
    assert.is_true(mapbuf.shm_unlink(name))
    -- still mapped after the name is gone
    assert.equal("hello", a:sub(1, 5))
    a:close(); b:close()
    local m, msg, errno = mapbuf.shm(name)
    assert.is_nil(m)
    assert.matches(name, msg, 1, true)
    assert.equal(2, errno)  -- ENOENT
    local ok, msg2, errno2 = mapbuf.shm_unlink(name)
    assert.is_nil(ok)
    assert.matches("No such file", msg2)
    assert.equal(2, errno2)
  end)

  it("exclusive fails when the object exists", function()
    local name = fresh()
    local a = assert(mapbuf.shm(name, 100, {exclusive = true}))
    local m, msg, errno = mapbuf.shm(name, 100, {exclusive = true})
    assert.is_nil(m)
    assert.matches("exists", msg)
    assert.equal(17, errno)  -- EEXIST
    a:close()
    mapbuf.shm_unlink(name)
  end)

  it("grows an object to the size given, never shrinks it", function()
    local name = fresh()
    local a = assert(mapbuf.shm(name, 4096))
    a:set(4000, "tail")
    local b = assert(mapbuf.shm(name, 100))
    assert.equal(4096, #b)
    local c = assert(mapbuf.shm(name, 20000))
    assert.equal(20000, #c)
    assert.equal("tail", c:sub(4000, 4003))
    assert.equal(20000, a:size())
    -- resize works: the map keeps its descriptor
    a:resize(20000)
    assert.equal(20000, #a)
    a:set(19997, "end!")
    assert.equal("end!", c:sub(19997, 20000))
    a:close(); b:close(); c:close()
    mapbuf.shm_unlink(name)
  end)

  it("an empty object maps to a zero-length map", function()
    local name = fresh()
    local a = assert(mapbuf.shm(name, 0))
    assert.equal(0, #a)
    a:resize(64)
    a:atomic_store(1, 7)
    local b = assert(mapbuf.shm(name))
    assert.equal(7, b:atomic_load(1))
    a:close(); b:close()
    mapbuf.shm_unlink(name)
  end)

  it("readonly attaches for reading only", function()
    local name = fresh()
    local a = assert(mapbuf.shm(name, 64))
    a:atomic_store(1, 99)
    local r = assert(mapbuf.shm(name, nil, {readonly = true}))
    assert.equal(99, r:atomic_load(1))
    assert.error_matches(function() r:atomic_store(1, 1) end, "read%-only")
    assert.error_matches(function() r:set(1, "x") end, "read%-only")
    assert.error_matches(function() r:resize(128) end, "resize")
    -- a read-only map may still take a shared lock
    assert.is_true(r:lock("r"))
    assert.is_false(a:lock("w", 1, 64, false))
    r:close()
    assert.is_true(a:lock("w", 1, 64, false))
    a:close()
    mapbuf.shm_unlink(name)
  end)

  it("two attachments lock like two files", function()
    local name = fresh()
    local a = assert(mapbuf.shm(name, 64))
    local b = assert(mapbuf.shm(name))
    assert.is_true(a:lock("w", 1, 8))
    assert.is_false(b:lock("w", 1, 8, false))
    assert.is_true(b:lock("w", 9, 8, false))
    a:close(); b:close()
    mapbuf.shm_unlink(name)
  end)

  it("misuse raises", function()
    assert.error_matches(function() mapbuf.shm("/x", 10, {readonly = true}) end,
                         "readonly")
    assert.error_matches(function() mapbuf.shm("/x", nil, {exclusive = true}) end,
                         "exclusive")
    assert.error_matches(function() mapbuf.shm("/x", -1) end, "non%-negative")
    assert.error_matches(function() mapbuf.shm("/x", 0 / 0) end, "bad argument #2")
    assert.error_matches(function() mapbuf.shm() end, "bad argument #1")
    assert.error_matches(function() mapbuf.shm("/x", 1, 5) end, "bad argument #3")
  end)

  it("a failed creation leaves no object behind", function()
    local name = fresh()
    local m, msg, errno = mapbuf.shm(name, math.maxinteger)
    assert.is_nil(m)
    assert.is_string(msg)
    assert.is_number(errno)
    assert.is_nil(mapbuf.shm(name))
    -- a name that the system refuses
    assert.is_nil(mapbuf.shm("/no/such/dir", 10))
  end)

  it("is seen by another process", function()
    local name = fresh()
    local a = assert(mapbuf.shm(name, 64))
    local code = ([[
      local mapbuf = require "mapbuf"
      local m = assert(mapbuf.shm(%q))
      m:atomic_add(1, 5)
      m:set(9, "from child")]]):format(name)
    local f = H.file(code, ".lua")
    local _, status = H.run(H.q(H.lua) .. " " .. H.q(f))
    assert.equal(0, status)
    assert.equal(5, a:atomic_load(1))
    assert.equal("from child", a:sub(9, 18))
    -- and by Python, which names the same object without the slash
    local out = H.python(([[
from multiprocessing import shared_memory, resource_tracker
s = shared_memory.SharedMemory(name=%q, create=False)
# attaching registers the object for removal at exit: it is not Python's
resource_tracker.unregister(s._name, "shared_memory")
print(bytes(s.buf[8:18]).decode())
s.close()
]]):format(name))
    assert.equal("from child\n", out)
    a:close()
    mapbuf.shm_unlink(name)
    H.cleanup()
  end)
end)
