-- mproducer: one of several producers of a ring opened with multi = true;
-- pushes messages first .. last tagged with its id (one byte before the
-- message: ids are 1 .. 255).
-- args: path id first last
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local msg = require "spec.ipc.peers.msg"
local m = assert(mapbuf.open(arg[1], "r+"))
local r = ring.attach(m:view(1, #m - 64), {role = "producer", multi = true})
local id = tonumber(arg[2])
local tag = string.char(id)
for seq = tonumber(arg[3]), tonumber(arg[4]) do
  assert(r:push(tag .. msg.make(seq), 30), "push timed out")
end
print("pushed")
