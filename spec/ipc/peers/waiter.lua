-- waiter: count itself in at word 65, then wait on the word at 1 while it
-- is 0; exits 0 when woken, 3 on timeout.  args: path timeout
local mapbuf = require "mapbuf"
local m = assert(mapbuf.open(arg[1], "r+"))
m:atomic_add(65, 1, 32)
local ok = m:wait(1, 0, tonumber(arg[2]))
print(ok and "woken" or "timeout")
os.exit(ok and 0 or 3)
