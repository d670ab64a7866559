-- producer: push numbered messages into a ring in a shared file.
--
--   mapbuf -s 1M examples/ipc/consumer.lua queue.bin &
--   mapbuf -s 1M examples/ipc/producer.lua queue.bin -- 100000
--
-- Kill either side at any moment (kill -9) and start it again: the ring
-- stays whole, the consumer goes on from the last message it took, and the
-- producer from the last one it committed.
local ring = require "mapbuf.ring"
local m = assert(..., "usage: mapbuf -s 1M producer.lua FILE [-- count]")
local count = tonumber(arg[1]) or 100000
local r = ring.open(m, {role = "producer", spin = 100})
for i = 1, count do
  -- a sequence number and some text of varying length
  local msg = string.pack("<I8", i) .. ("message %d "):format(i):rep(i % 5)
  while not r:push(msg, 1) do
    if r:alive("consumer") == false then
      io.stderr:write("producer: waiting for a consumer\n")
    end
  end
end
r:push("")                       -- the empty message: end of stream
print(("producer: pushed %d messages"):format(count))
