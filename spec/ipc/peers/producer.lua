-- producer: push messages first .. last (msg.lua) into the ring in a file,
-- then exit.  args: path first last
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local msg = require "spec.ipc.peers.msg"
local m = assert(mapbuf.open(arg[1], "r+"))
local r = ring.attach(m, {role = "producer"})
local make, push = msg.make, r.push
for seq = tonumber(arg[2]), tonumber(arg[3]) do
  assert(push(r, make(seq), 30), "push timed out")
end
print("pushed")
