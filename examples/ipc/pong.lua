-- pong: answer every ping through a shared file, until told to stop.
--
--   mapbuf -s 4K examples/ipc/pong.lua pp.bin &
--   mapbuf -s 4K examples/ipc/ping.lua pp.bin -- 100000
--
-- The file holds three 32-bit words: the ping counter at position 1, the
-- pong counter at 65 (another cache line), and pong's "ready" flag at 129.
local m = assert(..., "usage: mapbuf -s 4K pong.lua FILE")
local PING, PONG, READY, STOP = 1, 65, 129, 0xFFFFFFFF

-- Wait until the word at pos differs from old: spin a little (a busy peer
-- answers within a microsecond), then sleep on the futex.
local function await(pos, old)
  local load = m.atomic_load
  for _ = 1, 5000 do
    local v = load(m, pos, 32)
    if v ~= old then return v end
  end
  local v = load(m, pos, 32)
  while v == old do
    m:wait(pos, old, 1)
    v = load(m, pos, 32)
  end
  return v
end

m:atomic_store(PING, 0, 32)
m:atomic_store(PONG, 0, 32)
m:atomic_store(READY, 1, 32)
m:wake(READY)
local seen, n = 0, 0
while true do
  seen = await(PING, seen)
  if seen == STOP then break end
  m:atomic_store(PONG, seen, 32)
  m:wake(PONG)
  n = n + 1
end
m:atomic_store(READY, 0, 32)
print(("pong: answered %d pings"):format(n))
