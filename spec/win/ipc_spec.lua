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

H.test("tagname: anonymous maps of one name are one memory, across processes", function()
  local name = "mb-tag-" .. tag
  local m = assert(mapbuf.map(-1, 65536, {tagname = name}))
  local same = assert(mapbuf.map(-1, 65536, {tagname = name}))
  m:set(1, "tagged")
  assert(same:sub(1, 6) == "tagged")
  same:close()
  local p = H.spawn([[
    local mapbuf = require "mapbuf"
    local m = assert(mapbuf.map(-1, 65536, {tagname = arg[1]}))
    io.write(m:sub(1, 6), "\n")
    m:set(7, "+child")
  ]], name)
  local out = p:read("a")
  p:close()
  assert(out == "tagged\n", out)
  assert(m:sub(1, 12) == "tagged+child")
  m:close()
  -- the name went with its last map: a new one is a new, zeroed section
  local fresh = assert(mapbuf.map(-1, 65536, {tagname = name}))
  assert(fresh:sub(1, 6) == "\0\0\0\0\0\0")
  fresh:close()
end)

H.test("tagname: a file map names its section; resize makes it anew", function()
  local f = H.tmpname("tagf")
  H.writefile(f, string.rep("a", 100))
  local h = assert(io.open(f, "r+b"))
  local name = "mb-tagf-" .. tag
  local m = assert(mapbuf.map(h, 0, {tagname = name}))
  local p = H.spawn([[
    local mapbuf = require "mapbuf"
    local m = assert(mapbuf.map(-1, 100, {tagname = arg[1]}))  -- by name alone
    m:set(1, "B")
  ]], name)
  p:read("a")
  p:close()
  assert(m:sub(1, 2) == "Ba")
  m:resize(200)
  assert(#m == 200 and m:size() == 200 and m:sub(1, 2) == "Ba")
  m:close()
  h:close()
  assert(H.readfile(f):sub(1, 2) == "Ba" and #H.readfile(f) == 200)
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

H.test("a lock goes with the process that held it", function()
  local f = H.tmpname("lockdie")
  local m = assert(mapbuf.open(f, "w+", {size = 64}))
  local p = H.spawn([[
    local mapbuf = require "mapbuf"
    local m = assert(mapbuf.open(arg[1], "r+"))
    assert(m:lock("w", 1, 8))
    io.write("held\n")
    os.exit(0)   -- without unlocking or closing
  ]], f)
  assert(p:read("l") == "held")
  p:read("a")
  p:close()
  assert(m:lock("w", 1, 8, 10), "the dead process's lock stayed")
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

H.test("the robust mutex: excluded across processes, taken over from a dead owner", function()
  local f = H.tmpname("mutex")
  local m = assert(mapbuf.open(f, "w+", {size = 64}))
  local mx = mapbuf.mutex(m, 9)
  assert(mx:lock())
  local p = H.spawn([[
    local mapbuf = require "mapbuf"
    local m = assert(mapbuf.open(arg[1], "r+"))
    local mx = mapbuf.mutex(m, 9)
    io.write("try ", tostring(mx:trylock()), "\n")
    io.stdout:flush()
    io.write("lock ", tostring(mx:lock(30)), "\n")
    io.stdout:flush()
    os.exit(0)   -- dies holding it
  ]], f)
  assert(p:read("l") == "try false")
  local st = mx:state()
  assert(st.locked and st.mine and st.alive)
  assert(mx:unlock())
  assert(p:read("l") == "lock true")
  p:read("a")
  p:close()
  local ok, why = mx:lock(30)
  assert(ok == true and why == "ownerdead", tostring(why))
  assert(mx:consistent() and mx:unlock())
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
