-- bench/percall.lua: one hot path of the binding, for counting
-- instructions per call.  bench/icount runs it under callgrind with REPS 1
-- and 2 and divides the difference by N: start-up and the making of the
-- data cancel out, what is left is one iteration of the loop.
--
--   lua5.4 bench/percall.lua JOB N REPS [time]
--
-- With "time", prints the best CPU time of the REPS loops in ms instead.
local mapbuf = require "mapbuf"
local job, n, reps = arg[1], tonumber(arg[2]), tonumber(arg[3]) or 1

-- n distinct lines of 31 bytes + "\n" (distinct, as real text is: Lua
-- interns short strings, so equal lines would be cheaper than real ones)
local function textmap(lines)
  local m = assert(mapbuf.anon(32 * lines))
  for i = 1, lines do m:set(32 * i - 31, string.format("%031d\n", i)) end
  return m
end

-- a map of size bytes of pseudo-random data
local function datamap(size)
  local m, x = assert(mapbuf.anon(size)), 12345
  for p = 1, size - 7, 8 do
    x = x * 6364136223846793005 + 1442695040888963407
    m:pack(p, "j", x)
  end
  return m
end

-- each job: a set-up returning the loop
local jobs = {}
jobs.index = function()
  local m = datamap(n)
  return function()
    local s = 0
    for i = 1, #m do s = s + m[i] end
    return s
  end
end
jobs.newindex = function()
  local m = assert(mapbuf.anon(n))
  return function()
    for i = 1, n do m[i] = i & 255 end
    return m[n]
  end
end
jobs.lines = function()
  local m = textmap(n)
  return function()
    local c = 0
    m:seek("set")
    for _ in m:lines() do c = c + 1 end
    return c
  end
end
jobs.readline = function()
  local m = textmap(n)
  return function()
    local c = 0
    m:seek("set")
    while m:readline() ~= "" do c = c + 1 end
    return c
  end
end
jobs.read_l = function()
  local m = textmap(n)
  return function()
    local c = 0
    m:seek("set")
    while m:read("l") do c = c + 1 end
    return c
  end
end
jobs.sub16 = function()
  local m = datamap(16 * n)
  return function()
    local c = 0
    for p = 1, #m - 15, 16 do c = c + #m:sub(p, p + 15) end
    return c
  end
end
jobs.unpack = function()
  local m = datamap(4 * n)
  return function()
    local s = 0
    for p = 1, #m - 3, 4 do s = s + m:unpack("<I4", p) end
    return s
  end
end
jobs.unpack_cached = function()
  local m = datamap(4 * n)
  return function()
    local s, up = 0, m.unpack
    for p = 1, #m - 3, 4 do s = s + up(m, "<I4", p) end
    return s
  end
end
jobs.byte = function()
  local m = datamap(n)
  return function()
    local s = 0
    for i = 1, n do s = s + m:byte(i) end
    return s
  end
end
jobs.atomic = function()
  local m = assert(mapbuf.anon(64))
  return function()
    local s = 0
    for _ = 1, n do s = s + m:atomic_add(1, 1) end
    return s
  end
end

-- The same loops on bench/floor.c's objects: what the Lua VM itself costs.
local function floorof(m)
  return require("floor").new(m:sub(1, -1))
end
jobs.floor_index = function()
  local u = floorof(datamap(n))
  return function()
    local s = 0
    for i = 1, n do s = s + u[i] end
    return s
  end
end
jobs.floor_readline = function()
  local u = floorof(textmap(n))
  return function()
    local c = 0
    u:rewind()
    while u:readline() ~= "" do c = c + 1 end
    return c
  end
end
jobs.floor_lines = function()
  local u = floorof(textmap(n))
  return function()
    local c = 0
    u:rewind()
    for _ in u:lines() do c = c + 1 end
    return c
  end
end
jobs.floor_sub16 = function()
  local u = floorof(datamap(16 * n))
  return function()
    local c = 0
    for p = 1, 16 * n - 15, 16 do c = c + #u:sub(p, p + 15) end
    return c
  end
end
jobs.floor_unpack = function()
  local u = floorof(datamap(4 * n))
  return function()
    local s = 0
    for p = 1, 4 * n - 3, 4 do s = s + u:unpack("<I4", p) end
    return s
  end
end
jobs.floor_unpack_cached = function()
  local u = floorof(datamap(4 * n))
  return function()
    local s, up = 0, u.unpack
    for p = 1, 4 * n - 3, 4 do s = s + up(u, "<I4", p) end
    return s
  end
end

-- the loop alone: what the interpreter costs without a call
jobs.empty = function()
  return function()
    local s = 0
    for i = 1, n do s = s + i end
    return s
  end
end

local loop = assert(jobs[job], "no such job")()
collectgarbage()
if arg[4] == "time" then
  local best = math.huge
  for _ = 1, reps do
    local t0 = os.clock()
    loop()
    best = math.min(best, os.clock() - t0)
  end
  print(string.format("%-20s %8.1f ms", job, best * 1000))
else
  for _ = 1, reps do print(loop()) end
end
