-- bench/jobs.lua: the Lua side of bench/run, one job per call.
--
--   lua5.4 bench/jobs.lua JOB VARIANT FILE REPS
--
-- VARIANT is "mapbuf" (the job on a map of FILE), "string" (the same job
-- with Lua's own string / io functions on a copy of FILE, where that is the
-- alternative) or "floor" (the mapbuf code of the job run on an object of
-- bench/floor.c holding a copy of FILE: the least any C userdata costs in
-- stock Lua 5.4, for the jobs where the Lua VM's own work dominates).  Prints the best CPU time (os.clock) of REPS runs in
-- seconds, then a check value (so the work cannot be skipped and the two
-- sides can be compared); prints "skip <why>" when the job cannot run.
-- The "mem" job prints the growth of anonymous memory in KiB instead.
local mapbuf = require "mapbuf"

local job, variant, file, reps = arg[1], arg[2], arg[3], tonumber(arg[4]) or 3
-- CPU time, but by the clock for the *_wall jobs (a search of a large map
-- uses a helper thread, whose CPU time os.clock adds to the caller's)
local clock = job:match("_wall$") and mapbuf.monotime or os.clock

local NEEDLE = "mapbuf-needle-0123456789"

local function readall(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- RssAnon of this process, in KiB.
local function rssanon()
  for l in io.lines("/proc/self/status") do
    local kb = l:match("^RssAnon:%s*(%d+)")
    if kb then return tonumber(kb) end
  end
  return 0
end

-- Run f(data) reps times; data is a fresh map of FILE for each run (so
-- every run pays its own page faults, as Python's does) or the copy.
local FLOORED = {index = true, lines = true, readline = true, unpack = true,
                 unpack_cached = true, sub16 = true}

local function best(f, fresh)
  local copy = variant ~= "mapbuf" and readall(file) or nil
  local t, check = math.huge, nil
  for _ = 1, reps do
    local data = copy
    if variant == "floor" then data = require("floor").new(copy)
    elseif not data then data = assert((fresh or mapbuf.open)(file)) end
    collectgarbage()
    local t0 = clock()
    check = f(data)
    local dt = clock() - t0
    if dt < t then t = dt end
    if not copy and data.close then data:close() end
  end
  return t, check
end

local function need(method)
  local m = assert(mapbuf.anon(16))
  local ok, has = pcall(function() return m[method] ~= nil end)
  m:close()
  if not (ok and has) then
    print("skip m:" .. method .. " is not built yet")
    os.exit(0)
  end
end

local function anonsize(n)
  return function() return assert(mapbuf.anon(n)) end
end

local function filesize(path)
  local f = assert(io.open(path, "rb"))
  local n = f:seek("end")
  f:close()
  return n
end

local jobs = {}

jobs.find = function()
  if variant == "mapbuf" then need("find") end
  return best(function(d) return (d:find(NEEDLE, 1, true)) end)
end
jobs.find_wall = jobs.find

jobs.index = function()
  if variant == "string" then
    return best(function(s)
      local sum, byte = 0, string.byte
      for i = 1, #s do sum = sum + byte(s, i) end
      return sum
    end)
  end
  return best(function(m)
    local sum = 0
    for i = 1, #m do sum = sum + m[i] end
    return sum
  end)
end

jobs.newindex = function()
  if variant == "string" then return nil end
  local n = filesize(file)
  return best(function(m)
    for i = 1, n do m[i] = i & 255 end
    return m[n]
  end, anonsize(n))
end

jobs.lines = function()
  if variant == "string" then          -- Lua's io on the file itself
    local t, c = math.huge, 0
    for _ = 1, reps do
      local t0 = clock()
      c = 0
      for _ in io.lines(file) do c = c + 1 end
      t = math.min(t, clock() - t0)
    end
    return t, c
  end
  need("lines")
  return best(function(m)
    local c = 0
    for _ in m:lines() do c = c + 1 end
    return c
  end)
end

jobs.readline = function()
  if variant == "string" then
    local t, c = math.huge, 0
    for _ = 1, reps do
      local f = assert(io.open(file, "rb"))
      local t0 = clock()
      c = 0
      while f:read("L") do c = c + 1 end
      t = math.min(t, clock() - t0)
      f:close()
    end
    return t, c
  end
  need("readline")
  return best(function(m)
    local c = 0
    while m:readline() ~= "" do c = c + 1 end
    return c
  end)
end

jobs.unpack = function()
  if variant == "string" then
    return best(function(s)
      local sum, up = 0, string.unpack
      for p = 1, #s - 3, 4 do sum = sum + up("<I4", s, p) end
      return sum
    end)
  end
  return best(function(m)
    local sum = 0
    for p = 1, #m - 3, 4 do sum = sum + m:unpack("<I4", p) end
    return sum
  end)
end

-- The same loop with the method looked up once, as the Python side looks
-- up struct.unpack_from once.
jobs.unpack_cached = function()
  if variant == "string" then return jobs.unpack() end
  return best(function(m)
    local sum, up = 0, m.unpack
    for p = 1, #m - 3, 4 do sum = sum + up(m, "<I4", p) end
    return sum
  end)
end

jobs.gmatch = function()
  if variant == "string" then
    return best(function(s)
      local c = 0
      for _ in s:gmatch("%d+") do c = c + 1 end
      return c
    end)
  end
  need("gmatch")
  return best(function(m)
    local c = 0
    for _ in m:gmatch("%d+") do c = c + 1 end
    return c
  end)
end

jobs.sub16 = function()
  return best(function(d)
    local c, sub = 0, d.sub
    for p = 1, #d - 15, 16 do
      local x = sub(d, p, p + 15)
      c = c + #x
    end
    return c
  end)
end

-- Throughput jobs: 8 passes over the whole buffer per run.
jobs.fill = function()
  local n = filesize(file)
  if variant == "string" then          -- making a filled string instead
    local t = math.huge
    for _ = 1, reps do
      collectgarbage()
      local t0 = clock()
      for k = 1, 8 do local s = string.rep(string.char(k), n); s = nil end
      t = math.min(t, clock() - t0)
    end
    return t, n
  end
  return best(function(m)
    for k = 1, 8 do m:fill(k) end
    return m[n]
  end, anonsize(n))
end

jobs.set = function()
  if variant == "string" then return nil end
  local n = filesize(file)
  local src = readall(file)
  return best(function(m)
    for _ = 1, 8 do m:set(1, src) end
    return m[n]
  end, anonsize(n))
end

-- 1M reads of 4 bytes at pseudo-random places (the same places as Python).
jobs.random4 = function()
  local n = filesize(file)
  local count, modulus = 1 << 20, n - 4
  local function walk(read)
    local x, sum = 12345, 0
    for _ = 1, count do
      x = (x * 1103515245 + 12345) & 0x7fffffff
      sum = sum + read((x % modulus) + 1)
    end
    return sum
  end
  if variant == "string" then
    return best(function(s)
      local up = string.unpack
      return walk(function(p) return (up("<I4", s, p)) end)
    end)
  end
  return best(function(m)
    return walk(function(p) return (m:unpack("<I4", p)) end)
  end)
end

-- Growth of anonymous memory while scanning the whole (large) file.
jobs.mem = function()
  collectgarbage()
  local before = rssanon()
  local c = 0
  if variant == "string" then
    local s = readall(file)
    c = (s:find(NEEDLE .. "absent", 1, true) or 0)
    for _ in s:gmatch("needle") do c = c + 1 end
  else
    need("find"); need("gmatch")
    local m = assert(mapbuf.open(file))
    c = (m:find(NEEDLE .. "absent", 1, true) or 0)
    for _ in m:gmatch("needle") do c = c + 1 end
    for p = 1, #m - 3, 65536 do c = c + m:unpack("<I4", p) end
    m:close()
  end
  return rssanon() - before, c
end

local f = jobs[job]
if not f then error("no such job: " .. tostring(job)) end
if variant == "floor" and not FLOORED[job] then
  print("skip no floor variant")
  os.exit(0)
end
local t, check = f()
if t == nil then print("skip no " .. variant .. " variant")
else print(string.format("%.6f %s", t, tostring(check))) end
