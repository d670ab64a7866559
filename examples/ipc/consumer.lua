-- consumer: take messages from the ring in a shared file until the empty
-- message that ends the stream; checks their order.  See producer.lua.
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local m = assert(..., "usage: mapbuf -s 1M consumer.lua FILE")
local r = ring.open(m, {role = "consumer", spin = 100})
local n, last, bytes = 0, nil, 0
local t0
while true do
  local msg = r:pop(1)
  if msg == "" then break end
  if msg then
    t0 = t0 or mapbuf.monotime()
    local seq = string.unpack("<I8", msg)
    if last and seq ~= last + 1 then
      print(("consumer: %d after %d (a producer restarted?)"):format(seq, last))
    end
    last, n, bytes = seq, n + 1, bytes + #msg
  elseif r:alive("producer") == false and r:empty() then
    -- nobody is pushing and nothing is left: report, keep waiting
    io.stderr:write("consumer: no producer; waiting\n")
  end
end
local t = t0 and mapbuf.monotime() - t0 or 0
print(("consumer: %d messages, %d bytes, last %s, %.0f msgs/s")
      :format(n, bytes, tostring(last), t > 0 and n / t or 0))
