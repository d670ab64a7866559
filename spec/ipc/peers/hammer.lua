-- hammer: work the ring in a file as fast as it can, until the word 8
-- bytes from its end is set; counts its rounds in the word 16 bytes from
-- the end.  what: "both" (default; push, then pop or peek and ack, no
-- role), "push" (the producer: push only, waiting while full), "pop" (the
-- consumer: pop only, waiting while empty).  args: path [what]
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local m = assert(mapbuf.open(arg[1], "r+"))
local what = arg[2] or "both"
local role = what == "push" and "producer" or what == "pop" and "consumer" or nil
local r = ring.attach(m:view(1, #m - 64), {role = role})
local stop, count = #m - 7, #m - 15
local msg = ("h"):rep(40)
local n = 0
while m:atomic_load(stop) == 0 do
  if what == "push" then r:push(msg, 0.05)
  elseif what == "pop" then r:pop(0.05)
  else
    r:try_push(msg)
    if n % 2 == 0 then r:try_pop()
    elseif r:try_peek() then r:ack() end
  end
  n = n + 1
  if n % 64 == 0 then m:atomic_add(count, 64) end
end
print("hammered " .. n)
