-- producer: push numbered messages into a ring in a shared file.
--
--   ./mapbuf -s 1M ../examples/ipc/consumer.lua /dev/shm/queue.bin &
--   ./mapbuf -s 1M ../examples/ipc/producer.lua /dev/shm/queue.bin -- 100000
--
-- Kill either side at any moment (kill -9) and start it again: the ring
-- stays whole, the consumer goes on from the message it had not
-- acknowledged, and the producer from where it is told to start.
local ring = require "mapbuf.ring"
local m = assert(..., "usage: mapbuf -s 1M producer.lua FILE [-- count [first]]")
local count = tonumber(arg[1]) or 100000
local first = tonumber(arg[2]) or 1
local r = ring.open(m, {role = "producer"})
for i = first, count do
  -- a sequence number and some text of varying length
  local msg = ("%d "):format(i) .. ("message %d "):format(i):rep(i % 5)
  while not r:push(msg, 1) do
    if not r:alive("consumer") then
      io.stderr:write("producer: waiting for a consumer\n")
    end
  end
end
r:push("")                       -- the empty message: end of stream
print(("producer: pushed %d messages"):format(count - first + 1))
