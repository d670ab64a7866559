-- consumer: take messages from the ring in a file until the one numbered
-- last, checking each (msg.lua) and that the numbers follow each other.
-- With a log path, each number is written (and flushed) to the log before
-- the message is acknowledged, so a consumer killed at any moment and then
-- restarted loses nothing: at worst the log shows one number twice.
-- args: path last [log]
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local msg = require "spec.ipc.peers.msg"
local m = assert(mapbuf.open(arg[1], "r+"))
local r = ring.attach(m, {role = "consumer"})
local last = tonumber(arg[2])
local log = arg[3] and assert(io.open(arg[3], "a"))
local check = msg.check
local prev, count = nil, 0
while true do
  local s, err = r:peek(30)
  if not s then io.stderr:write("consumer: ", err, "\n"); os.exit(2) end
  local seq, why = check(s)
  if not seq then io.stderr:write("consumer: ", why, "\n"); os.exit(3) end
  if prev and seq ~= prev + 1 then
    io.stderr:write(("consumer: got %d after %d\n"):format(seq, prev))
    os.exit(4)
  end
  if log then log:write(seq, "\n"); log:flush() end
  r:ack()
  prev, count = seq, count + 1
  if seq == last then break end
end
print("received " .. count)
