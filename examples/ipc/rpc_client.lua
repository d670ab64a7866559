-- rpc_client: call rpc_server.lua n times and time the round trips; each
-- call gives up after timeout seconds (default 1).  A reply that comes
-- after its call gave up is recognised by its id and skipped.  With
-- "quit", tell the server to stop at the end.
--
--   ./mapbuf -s 64K ../examples/ipc/rpc_client.lua /dev/shm/rpc.bin -- 10000
--   ./mapbuf -s 64K ../examples/ipc/rpc_client.lua /dev/shm/rpc.bin -- 3 0.1 quit
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local m = assert(..., "usage: mapbuf -s 64K rpc_client.lua FILE [-- n [timeout [quit]]]")
local n, timeout = tonumber(arg[1]) or 1000, tonumber(arg[2]) or 1
local half = math.floor(#m / 2)
local req = ring.open(m:view(1, half), {role = "producer"})
local rep = ring.open(m:view(half + 1, #m), {role = "consumer"})
local now = mapbuf.monotime

-- The last id used is kept in the file (after the rings' halves would be
-- simpler; here: in memory, seeded by the clock), so a new client's ids
-- do not collide with stale replies of an old one.
local lastid = math.floor(now() * 1000) % 0x7FFFFFFF

-- One call: the answer and the length, or nil, "timeout".
local function call(body)
  lastid = (lastid + 1) % 0x100000000
  local id = lastid
  local deadline = now() + timeout
  if not req:push(("%d %s"):format(id, body), timeout) then
    return nil, "timeout"
  end
  while true do
    local left = deadline - now()
    if left <= 0 then return nil, "timeout" end
    local r = rep:pop(left)
    if not r then return nil, "timeout" end
    local rid, len, answer = r:match("^(%d+) (%d+) (.*)$")
    if tonumber(rid) == id then return answer, tonumber(len) end
    -- a reply to a call that gave up earlier: not ours, skip it
  end
end

local times, timeouts = {}, 0
for i = 1, n do
  local t0 = now()
  local answer, len = call("hello " .. i)
  if answer then
    assert(answer == ("HELLO " .. i) and len == #answer, "wrong answer")
    times[#times + 1] = (now() - t0) * 1e6
  else
    timeouts = timeouts + 1
  end
end
table.sort(times)
if #times > 0 then
  print(("rpc_client: %d calls, %d timed out, round trip median %.1f µs")
        :format(n, timeouts, times[math.floor(#times / 2) + 1]))
else
  print(("rpc_client: %d calls, %d timed out"):format(n, timeouts))
end
if arg[3] == "quit" then req:push("quit", timeout) end
