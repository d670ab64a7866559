-- blocker: block forever in one call, to be interrupted (SIGINT, SIGTERM).
-- Before it blocks it writes "W" at byte 4001 of the file (a write that
-- must reach the file however the process ends), arms a to-be-closed
-- variable that writes "C" at 4002 when the chunk unwinds (Lua 5.4), and sets the
-- word at 4009 to 1.  what: wait, lock, pop, push, peek, mutex, or
-- lock-pcall (the lock inside pcall: after the interruption it reports
-- whether the lock was left held, once the holder lets go).
-- The file: the lock range 1..100 (held by peers/locker.lua), the mutex at
-- 9 (held by peers/mxholder.lua), a ring at 8193 (ring.size(1024) bytes).
-- Under the host the file comes mapped: mapbuf -w blocker.lua FILE -- what;
-- under the interpreter: lua blocker.lua what FILE.
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local m = ...
local what = arg[1]
if type(m) ~= "userdata" then m = assert(mapbuf.open(arg[2], "r+")) end
local v = m:view(8193, 8192 + ring.size(1024))

local r
if what == "pop" or what == "peek" then
  r = ring.attach(v, {role = "consumer"})
elseif what == "push" then
  r = ring.attach(v, {role = "producer"})
  while r:try_push(("x"):rep(100)) do end     -- full now
end

m:set(4001, "W")

local function block()
m:atomic_store(4009, 1, 32)
if what == "wait" then m:wait(4013, 0)
elseif what == "lock" then m:lock("w", 1, 10)
elseif what == "pop" then r:pop()
elseif what == "peek" then r:peek()
elseif what == "push" then r:push("one more")
elseif what == "mutex" then mapbuf.mutex(m, 9):lock()
elseif what == "lock-pcall" then
  local ok, err = pcall(m.lock, m, "w", 1, 10)
  print(ok, err)
  -- let the holder go; then see whether this map holds the lock (another
  -- map of the file is another open file description: it would be refused)
  m:atomic_store(5, 1, 32)
  m:wake(5)
  local other = assert(mapbuf.open(arg.files and arg.files[1] or arg[2], "r+"))
  local deadline = mapbuf.monotime() + 10
  local free = false
  repeat
    free = other:lock("w", 1, 10, false)
    if not free then m:wait(4013, 0, 0.01) end
  until free or mapbuf.monotime() > deadline
  print(free and "not held" or "held")
  return
end
print("not interrupted")
end

-- To-be-closed variables are Lua 5.4's (and so is the syntax: compiled
-- there only); on the others the chunk unwinds without one.
if _VERSION == "Lua 5.4" then
  assert(load([[
    local m, block = ...
    local guard <close> = setmetatable({}, {__close = function() m:set(4002, "C") end})
    block()
  ]]))(m, block)
else
  block()
end
