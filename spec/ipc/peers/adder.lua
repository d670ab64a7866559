-- adder: n atomic additions of 1 to the word at pos of a file.
-- args: path n [bits [pos]]; with the host, the file comes mapped as `...`.
local mapbuf = require "mapbuf"
local m = ...
if type(m) ~= "userdata" then m = assert(mapbuf.open(arg[1], "r+")) end
local n, bits, pos = tonumber(arg[2]), tonumber(arg[3] or 64), tonumber(arg[4] or 1)
-- start together: bump the ready count, then spin until both are there
m:atomic_add(65, 1, 32)
local deadline = mapbuf.monotime() + 60
while m:atomic_load(65, 32) < 2 do
  if mapbuf.monotime() > deadline then os.exit(5) end
end
local add = m.atomic_add
for _ = 1, n do add(m, pos, 1, bits) end
print("added " .. n)
