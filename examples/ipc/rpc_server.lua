-- rpc_server: answer requests through a shared file, until "quit".
--
-- The file holds two rings: requests (its first half) and replies (the
-- second).  A request is an id and a body ("17 hello 17"); the reply is
-- the same id and the body's answer, here its length and the body in
-- capitals ("17 8 HELLO 17").
-- Waiting costs nothing: pop sleeps until a request comes (a futex the
-- client's push wakes), after spinning briefly (so a busy client is
-- answered in a microsecond).  Ctrl-C ends the server cleanly.
--
--   ./mapbuf -s 64K ../examples/ipc/rpc_server.lua /dev/shm/rpc.bin &
--   ./mapbuf -s 64K ../examples/ipc/rpc_client.lua /dev/shm/rpc.bin -- 10000
local ring = require "mapbuf.ring"
local m = assert(..., "usage: mapbuf -s 64K rpc_server.lua FILE")
local half = math.floor(#m / 2)
local req = ring.open(m:view(1, half), {role = "consumer"})
local rep = ring.open(m:view(half + 1, #m), {role = "producer"})
local served = 0
while true do
  local msg = req:pop()              -- forever (Ctrl-C interrupts)
  if msg == "quit" then break end
  local id, body = msg:match("^(%d+) (.*)$")
  local answer = ("%s %d %s"):format(id, #body, body:upper())
  -- a client that timed out and left must not block the server
  if not rep:push(answer, 1) then io.stderr:write("rpc_server: reply dropped\n") end
  served = served + 1
end
print(("rpc_server: served %d requests"):format(served))
