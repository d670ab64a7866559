-- bench/timing.lua: the timing rule the Lua sides of the transform rows
-- share (bench/xform_jobs.lua under lua5.4, bench/transform_bench.lua
-- under LuaJIT): the best CPU time (os.clock) of reps runs, printed as
-- "job<TAB>who<TAB>ms" for bench/run and bench/transform_bench.sh to
-- gather.  Loaded with dofile next to the script, so no LUA_PATH is needed.
local T = {}

function T.row(who, reps, job, fn)
  local b = math.huge
  for _ = 1, reps do
    local c = os.clock()
    fn()
    c = os.clock() - c
    if c < b then b = c end
  end
  io.write(string.format("%s\t%s\t%.3f\n", job, who, b * 1e3))
  io.flush()
end

return T
