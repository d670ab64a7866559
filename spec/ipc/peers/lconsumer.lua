-- lconsumer: one of several consumers of a multi ring, in lease mode: peek
-- a message, count it as processed, ack it, count the ack.  The counts are
-- 32-bit words in a second file, two per sequence number (processed at
-- 8 * seq + 1, acknowledged at 8 * seq + 5), added atomically, so a kill
-- at any instant loses no count.  Stops when the word at position 1 of
-- that file is set and nothing comes for 50 ms.  args: ringpath countpath
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local msg = require "spec.ipc.peers.msg"
local m = assert(mapbuf.open(arg[1], "r+"))
local c = assert(mapbuf.open(arg[2], "r+"))
local r = ring.attach(m, {role = "consumer", multi = true})
local add, check = c.atomic_add, msg.check
local idle = mapbuf.monotime()
while true do
  local s = r:peek(0.05)
  if s then
    local seq, why = check(s)
    if not seq then io.stderr:write("lconsumer: ", why, "\n"); os.exit(3) end
    add(c, 8 * seq + 1, 1, 32)
    -- some jobs take a while, so that kills land on held leases too
    if seq % 50 == 0 then c:wait(5, 0, 0.0005) end
    if r:ack() then add(c, 8 * seq + 5, 1, 32) end
    idle = mapbuf.monotime()
  elseif c:atomic_load(1, 32) ~= 0 then
    break
  elseif mapbuf.monotime() - idle > 60 then
    io.stderr:write("lconsumer: nothing for a minute\n"); os.exit(4)
  end
end
print("done")
