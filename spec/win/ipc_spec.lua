-- ipc_spec.lua - two processes on Windows: a named section (mapbuf.shm)
-- shared, LockFileEx locks excluding each other, wait/wake across them,
-- and the ring between a producer and a consumer.  The peer is a second
-- lua.exe started with io.popen; it reports on its standard output.
local H = require "helper"
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"

local tag = tostring(os.time() % 100000) .. "-" .. tostring(math.random(1, 1e6))

H.test("a named section is one memory for two processes", function()
  local name = "/mb-spec-" .. tag
  local m = assert(mapbuf.shm(name, 4096))
  m:set(1, "from parent")
  local p = H.spawn([[
    local mapbuf = require "mapbuf"
    local m = assert(mapbuf.shm(arg[1]))
    io.write(#m >= 4096 and m:sub(1, 11) or "short", "\n")
    m:set(101, "from child")
  ]], name)
  local out = p:read("a")
  p:close()
  assert(out == "from parent\n", out)
  assert(m:sub(101, 110) == "from child")
  m:close()
end)

H.test("maps of one file are coherent across processes", function()
  local f = H.tmpname("coh")
  local m = assert(mapbuf.open(f, "w+", {size = 65536}))
  local p = H.spawn([[
    local mapbuf = require "mapbuf"
    local m = assert(mapbuf.open(arg[1], "r+"))
    m:set(1, "written by the child")
    m:atomic_store(65, 1, 32)
  ]], f)
  p:read("a")
  p:close()
  assert(m:atomic_load(65, 32) == 1 and m:sub(1, 20) == "written by the child")
  m:close()
end)

H.test("locks exclude the other process until unlocked", function()
  local f = H.tmpname("lock")
  local m = assert(mapbuf.open(f, "w+", {size = 64}))
  assert(m:lock("w", 1, 10))
  local p = H.spawn([[
    local mapbuf = require "mapbuf"
    local m = assert(mapbuf.open(arg[1], "r+"))
    io.write("try ", tostring(m:lock("w", 1, 10, false)), "\n")
    io.write("other ", tostring(m:lock("w", 20, 4, false)), "\n")
    io.stdout:flush()
    io.write("wait ", tostring(m:lock("w", 1, 10, 30)), "\n")
    m:unlock(1, 10)
  ]], f)
  assert(p:read("l") == "try false")
  assert(p:read("l") == "other true")
  assert(m:unlock(1, 10))
  local last = p:read("l")
  p:close()
  assert(last == "wait true", tostring(last))
  m:close()
end)

H.test("wait in one process, wake from the other", function()
  local f = H.tmpname("wait")
  local m = assert(mapbuf.open(f, "w+", {size = 64}))
  local p = H.spawn([[
    local mapbuf = require "mapbuf"
    local m = assert(mapbuf.open(arg[1], "r+"))
    m:atomic_store(5, 1, 32)                 -- ready
    local woken = m:wait(1, 0, 30)
    io.write(tostring(woken), " ", m:atomic_load(1, 32), "\n")
  ]], f)
  assert(H.within(30, function() return m:atomic_load(5, 32) == 1 end), "peer never ready")
  m:atomic_store(1, 7, 32)
  m:wake(1)
  local out = p:read("a")
  p:close()
  assert(out == "true 7\n", out)
  m:close()
end)

H.test("the ring on a named section: producer here, consumer there", function()
  local name = "/mb-ring-" .. tag
  local m = assert(mapbuf.shm(name, ring.size(4096)))
  local r = ring.create(m)
  for i = 1, 50 do assert(r:push("msg " .. i, 10)) end
  local p = H.spawn([[
    local mapbuf = require "mapbuf"
    local ring = require "mapbuf.ring"
    local m = assert(mapbuf.shm(arg[1]))
    local r = ring.attach(m)
    local got = {}
    for i = 1, 60 do got[i] = assert(r:pop(30)) end
    io.write(got[1], ",", got[50], ",", got[60], "\n")
  ]], name)
  for i = 51, 60 do assert(r:push("msg " .. i, 30)) end
  local out = p:read("a")
  p:close()
  assert(out == "msg 1,msg 50,msg 60\n", out)
  m:close()
end)

H.done()
