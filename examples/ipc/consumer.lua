-- consumer: take messages from the ring in a shared file until the empty
-- message that ends the stream; checks their order.  See producer.lua.
-- (the first two lines find mapbuf.ring in this source tree when mapbuf is
-- not installed: see README.md)
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local m = assert(..., "usage: mapbuf -s 1M consumer.lua FILE")
local r = ring.open(m, {role = "consumer"})
local n, last, bytes = 0, nil, 0
local t0
while true do
  -- peek, use the message, then ack: killed in between, a restarted
  -- consumer gets this message again (at least once, never lost)
  local msg = r:peek(1)
  if msg == "" then r:ack(); break end
  if msg then
    t0 = t0 or mapbuf.monotime()
    local seq = tonumber(msg:match("^%d+"))
    if last and seq ~= last + 1 then
      print(("consumer: %d after %d (a producer restarted, or a repeat)")
            :format(seq, last))
    end
    last, n, bytes = seq, n + 1, bytes + #msg
    r:ack()
  elseif not r:alive("producer") and r:empty() then
    -- nobody is pushing and nothing is left: say so, keep waiting
    io.stderr:write("consumer: no producer; waiting\n")
  end
end
local t = t0 and mapbuf.monotime() - t0 or 0
print(("consumer: %d messages, %d bytes, last %s, %.0f msgs/s")
      :format(n, bytes, tostring(last), t > 0 and n / t or 0))
