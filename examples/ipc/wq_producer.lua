-- wq_producer: put n jobs into a work queue (a multi ring in a shared
-- file) for any number of wq_worker.lua processes, wait until every job
-- is done, then tell the workers to stop.
--
-- Workers take jobs with peek and acknowledge them when done.  A worker
-- killed with kill -9 in the middle of a job holds its lease until another
-- worker notices it died (at most some milliseconds later): then that job
-- is done again by someone else.  So every job is done at least once, and
-- one killed in the middle twice; none is lost.
--
--   ./mapbuf -s 1M ../examples/ipc/wq_producer.lua /dev/shm/jobs.bin -- 2000
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local m = assert(..., "usage: mapbuf -s 1M wq_producer.lua FILE [-- n]")
local n = tonumber(arg[1]) or 1000
local STOP = #m - 63                   -- the last 64 bytes: a stop flag
m:atomic_store(STOP, 0)
local r = ring.open(m:view(1, #m - 64), {multi = true, role = "producer"})
local before = r:stats()               -- a queue used before counts on
for i = 1, n do
  assert(r:push(("job %d"):format(i), 60), "no worker takes jobs")
end
-- wait until all are acknowledged (a look from outside: stats)
local t0 = mapbuf.monotime()
while r:stats().acked - before.acked < n do
  m:wait(STOP + 8, 0, 0.01)
  if mapbuf.monotime() - t0 > 60 then error("jobs still not done after a minute") end
end
local s = r:stats()
local again = (s.handed_out - before.handed_out) - (s.acked - before.acked)
print(("wq_producer: %d jobs done, %d workers live; handed out again because " ..
       "their worker died: %d"):format(n, s.consumers, again))
m:atomic_store(STOP, 1)
