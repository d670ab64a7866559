-- bench/pattern_gmatch.lua FILE [REPS]: string.gmatch over the whole file
-- (read into one Lua string) for each of bench/pattern_bench.c's patterns,
-- counting the matches.  CPU time (os.clock), best of REPS (3).
-- Prints "gmatch<TAB>index<TAB>string.gmatch<TAB>seconds<TAB>matches".
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
for i, p in ipairs(PATTERNS) do
  local best, n = math.huge, 0
  for _ = 1, reps do
    collectgarbage()
    local t = os.clock()
    n = 0
    for _ in s:gmatch(p) do n = n + 1 end
    best = math.min(best, os.clock() - t)
  end
  io.write(string.format("gmatch\t%d\tstring.gmatch\t%.6f\t%d\n", i - 1, best, n))
  io.flush()
end
