-- bench/xform_jobs.lua FILE [REPS]: the binding's side of the transform
-- rows of bench/run, the jobs of bench/transform_bench.py and .lua (numpy,
-- zlib, bytes, LuaJIT FFI) done with mapbuf's calls on a map of FILE:
-- arrays, translate, count, checksums, a map-to-map copy.  CPU time
-- (os.clock), best of REPS.  Prints "job<TAB>mapbuf<TAB>ms" lines.
local mapbuf = require "mapbuf"

local path, reps = arg[1], tonumber(arg[2] or 3)
local m = assert(mapbuf.open(path, "r+"))
local n = #m
local h = n // 2
local t = {}
for i = 0, 255 do t[i + 1] = string.char((i * 167 + 13) & 255) end
t = table.concat(t)

local T = dofile((arg[0]:match("^(.*)/") or ".") .. "/timing.lua")
local function best(job, fn) T.row("mapbuf", reps, job, fn) end

m:crc32()   -- every page in, as the other sides do
best("sum <i4", function() return m:array("<i4"):sum() end)
best("mul(0.5) <i2", function() m:array("<i2"):mul(0.5) end)
best("crc32", function() return m:crc32() end)
best("adler32", function() return m:adler32() end)
best("translate", function() m:translate(t) end)
best("count byte", function() return m:count("a") end)
best("copy <i2 -> >i2", function()
  m:array(">i2", h + 1, 2 * h):copy(m:array("<i2", 1, h))
end)
best("memmove half", function() m:set(1, m:view(h + 1, 2 * h)) end)
m:close()
