-- mxadder: n times, under the mutex at position 9 of a file, read the
-- 64-bit counter at 17, and store it plus one (a read-modify-write that
-- only the mutex makes atomic).  With "die" as the third argument: take
-- the mutex, write half an update, and die holding it (os.exit without
-- unlocking).  args: path n [die]
local mapbuf = require "mapbuf"
local m = assert(mapbuf.open(arg[1], "r+"))
local mx = mapbuf.mutex(m, 9)
if arg[3] == "die" then
  assert(mx:lock(10))
  m:pack(25, "<i8", -1)            -- the half-written record
  m:atomic_store(1, 1, 32)
  m:wake(1)
  m:wait(5, 0, 60)                 -- until killed
  os.exit(3)
end
for _ = 1, tonumber(arg[2]) do
  local ok, why = mx:lock(10)
  assert(ok, "lock timed out")
  assert(why == nil, why)
  m:pack(17, "<i8", m:unpack("<i8", 17) + 1)
  mx:unlock()
end
print("added")
