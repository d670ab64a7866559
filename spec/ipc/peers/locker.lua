-- locker: take a lock on a file, report it at word 1 (1 = held), hold it
-- until word 5 becomes nonzero (or a minute passes: a failed spec must not
-- leave it behind), then exit, which releases it.  args: path mode i n
local mapbuf = require "mapbuf"
local m = assert(mapbuf.open(arg[1], "r+"))
assert(m:lock(arg[2], tonumber(arg[3]), tonumber(arg[4])))
m:atomic_store(1, 1, 32)
m:wake(1)
local deadline = mapbuf.monotime() + 60
while m:atomic_load(5, 32) == 0 do
  if mapbuf.monotime() > deadline then print("gave up"); os.exit(5) end
  m:wait(5, 0, 1)
end
print("released")
