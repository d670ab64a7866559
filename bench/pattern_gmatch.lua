-- bench/pattern_gmatch.lua FILE [REPS]: string.gmatch over the whole file
-- (read into one Lua string) and mapbuf's m:gmatch over a map of it (no
-- copy; the binding's compiled-pattern path, captures pushed as strings),
-- for each of bench/pattern_bench.c's patterns, counting the matches.  CPU
-- time (os.clock), best of REPS (3).  m:gmatch is left out when require
-- "mapbuf" fails (bench/pattern_run points package.cpath at the build).
-- Prints "gmatch<TAB>index<TAB>who<TAB>seconds<TAB>matches".
local PATTERNS = {   -- the same, in the same order, as pattern_bench.c
  "%d+",
  "(%w+)=(%w+)",
  '\n(%d+%.%d+%.%d+%.%d+) %- %- %[([^%]]+)%] "(%u+) ([^ ]+) [^"]*" (%d+) (%d+)',
  "%f[%a]%a+",
  "\n([^\n]-)ERROR",
  '[%[%]"]+',
}
local f = assert(io.open(arg[1], "rb"))
local s = f:read("a")
f:close()
local reps = tonumber(arg[2]) or 3
local ok, mapbuf = pcall(require, "mapbuf")
local m = ok and assert(mapbuf.open(arg[1])) or nil

-- best CPU time of reps scans of subject (a string or a map) for p
local function time(subject, p)
  local best, n = math.huge, 0
  for _ = 1, reps do
    collectgarbage()
    local t = os.clock()
    n = 0
    for _ in subject:gmatch(p) do n = n + 1 end
    best = math.min(best, os.clock() - t)
  end
  return best, n
end

for i, p in ipairs(PATTERNS) do
  io.write(string.format("gmatch\t%d\tstring.gmatch\t%.6f\t%d\n", i - 1, time(s, p)))
  if m then
    io.write(string.format("gmatch\t%d\tm:gmatch\t%.6f\t%d\n", i - 1, time(m, p)))
  end
  io.flush()
end
