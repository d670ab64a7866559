-- mxholder: lock the mutex at position 9 of a file, set the word at 1,
-- write "half" at 17, and hold it until the word at 5 is set (or a minute
-- passes), then unlock.  args: path
local mapbuf = require "mapbuf"
local m = assert(mapbuf.open(arg[1], "r+"))
local mx = mapbuf.mutex(m, 9)
assert(mx:lock(10))
m:set(17, "half")                -- a protocol in the middle of an update
m:atomic_store(1, 1, 32)
m:wake(1)
local deadline = mapbuf.monotime() + 60
while m:atomic_load(5, 32) == 0 and mapbuf.monotime() < deadline do
  m:wait(5, 0, 1)
end
m:set(17, "done")
mx:unlock()
print("released")
