-- ping: send numbered pings to pong.lua through a shared file and time
-- the answers; prints the one-way latency.  See pong.lua for how to run.
local mapbuf = require "mapbuf"
local m = assert(..., "usage: mapbuf -s 4K ping.lua FILE [-- rounds]")
local rounds = tonumber(arg[1]) or 100000
local PING, PONG, READY, STOP = 1, 65, 129, 0xFFFFFFFF

local function await(pos, want)
  local load = m.atomic_load
  for _ = 1, 5000 do
    if load(m, pos, 32) == want then return end
  end
  local v = load(m, pos, 32)
  while v ~= want do
    m:wait(pos, v, 1)
    v = load(m, pos, 32)
  end
end

await(READY, 1)                  -- pong is there
local t = {}
for i = 1, rounds do
  local t0 = mapbuf.monotime()
  m:atomic_store(PING, i, 32)
  m:wake(PING)
  await(PONG, i)
  t[i] = (mapbuf.monotime() - t0) / 2 * 1e6
end
m:atomic_store(PING, STOP, 32)
m:wake(PING)
table.sort(t)
print(("ping: %d round trips, one-way latency median %.2f µs, p99 %.2f µs")
      :format(rounds, t[math.floor(rounds / 2) + 1], t[math.ceil(rounds * 0.99)]))
