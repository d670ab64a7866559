-- mconsumer: one of several consumers of a ring opened with multi = true.
-- Counts the messages taken by all consumers in the 64-bit word after the
-- ring, and pops until the ring is empty and the word after that is set;
-- prints "id seq" for each message.  args: path
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local msg = require "spec.ipc.peers.msg"
local m = assert(mapbuf.open(arg[1], "r+"))
local r = ring.attach(m:view(1, #m - 64), {role = "consumer", multi = true})
local count, stop = #m - 63, #m - 55
local out = {}
local idle = mapbuf.monotime()   -- a failed spec must not leave us behind
while true do
  local s = r:pop(0.05)
  if s then
    local id = s:byte(1)                 -- the producer's tag
    local seq, why = msg.check(s:sub(2))
    if not seq then io.stderr:write("mconsumer: ", why, "\n"); os.exit(3) end
    out[#out + 1] = id .. " " .. seq
    m:atomic_add(count, 1)
    idle = mapbuf.monotime()
  elseif m:atomic_load(stop) ~= 0 then
    break
  elseif mapbuf.monotime() - idle > 60 then
    io.stderr:write("mconsumer: nothing for a minute\n"); os.exit(4)
  end
end
io.write(table.concat(out, "\n"), "\n")
