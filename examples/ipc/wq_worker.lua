-- wq_worker: do jobs from the work queue of wq_producer.lua until it says
-- stop.  A job here is 2 ms of waiting (say, on a disk or a server).
--
--   ./mapbuf -s 1M ../examples/ipc/wq_worker.lua /dev/shm/jobs.bin &
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local m = assert(..., "usage: mapbuf -s 1M wq_worker.lua FILE")
local STOP = #m - 63
local r = ring.open(m:view(1, #m - 64), {multi = true, role = "consumer"})
local done = 0
while true do
  local job = r:peek(0.1)
  if job then
    m:wait(STOP + 8, 0, 0.002)         -- the work
    r:ack()                            -- done: nobody will do it again
    done = done + 1
  elseif m:atomic_load(STOP) ~= 0 then
    break
  end
end
r:close()
print(("wq_worker: %d jobs"):format(done))
