-- bench/ipc_latency.lua: one-way latency of a ping-pong between two
-- processes over a shared map (futex wait/wake, and spinning), messages
-- per second of 64-byte messages through mapbuf.ring (one producer, one
-- consumer: the single ring and the multi ring), and a work queue of 600
-- jobs of 2 ms each taken by 1 and by 3 consumers (with pop, and with
-- peek .. ack), side by side with Python's multiprocessing.Pipe
-- (bench/ipc_latency.py) on the same machine.  A job's 2 ms are a sleep
-- (a job that waits on a disk or a network): this machine has two cores,
-- and three consumers of CPU-bound jobs could not go 2.5 times as fast.
--
--   lua5.4 bench/ipc_latency.lua [rounds]        (LUA_CPATH=build/?.so;;)
--   build/mapbuf bench/ipc_latency.lua [-- rounds]
--
-- The two processes are pinned to two different CPUs when taskset exists
-- (so are Python's), since a spinning peer sharing a CPU measures the
-- scheduler, not the IPC.
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"

local now = mapbuf.monotime
local PING, PONG = 1, 65            -- two 32-bit words, a cache line apart
local RING = 4097                   -- the ring lives in a view from here
local RINGCAP = 1 << 20

-- ---- the peer (this script, run again with a role) ----

-- Wait until the 32-bit word at pos holds i.  mode "spin": poll;
-- "block": sleep on the futex whenever it does not; "adaptive": poll up to
-- SPIN times, then raise the flag at flag and sleep (the other side wakes
-- only when the flag is up, so a fast exchange makes no system call).
local SPIN = 2000
local function await(m, pos, i, mode, flag)
  local load = m.atomic_load
  local v = load(m, pos, 32)
  if v == i then return end
  if mode == "spin" then
    repeat v = load(m, pos, 32) until v == i
    return
  end
  if mode == "adaptive" then
    for _ = 1, SPIN do
      if load(m, pos, 32) == i then return end
    end
    v = load(m, pos, 32)
    m:atomic_store(flag, 1, 32)
    while v ~= i do m:wait(pos, v, 1); v = load(m, pos, 32) end
    m:atomic_store(flag, 0, 32)
    return
  end
  while v ~= i do m:wait(pos, v); v = load(m, pos, 32) end
end

-- Publish i at pos and wake the other side as the mode needs.
local function post(m, pos, i, mode, flag)
  m:atomic_store(pos, i, 32)
  if mode == "block" or (mode == "adaptive" and m:atomic_load(flag, 32) ~= 0) then
    m:wake(pos, 1)
  end
end

local PINGFLAG, PONGFLAG = 129, 193
local function pong(m, n, mode)
  for i = 1, n do
    await(m, PING, i, mode, PINGFLAG)
    post(m, PONG, i, mode, PONGFLAG)
  end
end

local function produce(m, n)
  local r = ring.attach(m:view(RING), {role = "producer", spin = SPIN})
  local msg = string.rep("x", 64)
  local push, try = r.push, r.try_push
  for _ = 1, n do
    if not try(r, msg) then push(r, msg) end
  end
end

-- A consumer of the work queue: take jobs (pop, or peek then ack) until
-- the empty one; each is WORK seconds of sleep; count the jobs done in the
-- word at DONE.
local DONE, NAP = 129, 257
local function work(m, how, secs)
  local r = ring.attach(m:view(RING), {role = "consumer"})
  while true do
    local job = how == "pop" and r:pop(30) or r:peek(30)
    if not job or job == "" then
      if job and how ~= "pop" then r:ack() end
      break
    end
    m:wait(NAP, 0, secs)             -- the job
    if how ~= "pop" then r:ack() end
    m:atomic_add(DONE, 1, 32)
  end
  r:close()
end

local args = {}
for i = 1, #arg do if arg[i] ~= "--" then args[#args + 1] = arg[i] end end
if args[1] == "pong" or args[1] == "produce" or args[1] == "work" then
  local m = assert(mapbuf.shm(args[2]))
  if args[1] == "pong" then pong(m, tonumber(args[3]), args[4])
  elseif args[1] == "work" then work(m, args[3], tonumber(args[4]))
  else produce(m, tonumber(args[3])) end
  return
end

-- ---- the driver ----

local ROUNDS = tonumber(args[1]) or 20000
local WARM = 2000
local NMSG = 500000

local function interp()
  local i = -1
  while arg[i - 1] do i = i - 1 end
  return arg[i]
end

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local taskset = os.execute("command -v taskset >/dev/null 2>&1")
local function pin(cpu)
  return taskset and ("taskset -c " .. cpu .. " ") or ""
end

-- Start this script as the peer, pinned to CPU 1.
local function spawn(...)
  local words = {}
  for _, a in ipairs{...} do words[#words + 1] = q(a) end
  local cmd = pin(1) .. q(interp()) .. " " .. q(arg[0]) ..
              (arg.files and " -- " or " ") .. table.concat(words, " ")
  return io.popen(cmd, "r")
end

if taskset then
  -- pin ourselves to CPU 0 (the pid of our shell's parent is ours)
  os.execute("taskset -pc 0 $PPID >/dev/null 2>&1")
end

local name = ("/mapbuf-bench-%d"):format(math.floor(now() * 1000) % 1000000)
mapbuf.shm_unlink(name)
local m = assert(mapbuf.shm(name, RING - 1 + ring.size(RINGCAP)))

local function stats(t)
  table.sort(t)
  local function at(p) return t[math.max(1, math.floor(#t * p + 0.5))] end
  return at(0.5), at(0.99)
end

local function pingpong(mode)
  for _, pos in ipairs{PING, PONG, PINGFLAG, PONGFLAG} do
    m:atomic_store(pos, 0, 32)
  end
  local total = WARM + ROUNDS
  local child = spawn("pong", name, total, mode)
  local samples = {}
  for i = 1, total do
    local t0 = now()
    post(m, PING, i, mode, PINGFLAG)
    await(m, PONG, i, mode, PONGFLAG)
    if i > WARM then samples[i - WARM] = (now() - t0) / 2 * 1e6 end
  end
  child:close()
  return stats(samples)
end

local function throughput(multi)
  local r = ring.create(m:view(RING), {role = "consumer", spin = SPIN,
                                       multi = multi, force = true})
  local child = spawn("produce", name, NMSG)
  local pop, try = r.pop, r.try_pop
  local s = pop(r)
  local t0, bytes = now(), #s
  for _ = 2, NMSG do
    s = try(r) or pop(r)
    bytes = bytes + #s
  end
  local t = now() - t0
  child:close()
  r:close()
  assert(bytes == NMSG * 64)
  return (NMSG - 1) / t
end

-- The work queue: JOBS jobs of WORK seconds through a multi ring, taken by
-- n consumer processes; jobs per second, from the first push to the last
-- job done.
local JOBS, WORK = 600, 0.002
local function workqueue(n, how)
  local r = ring.create(m:view(RING), {multi = true, force = true})
  m:atomic_store(DONE, 0, 32)
  local kids = {}
  for i = 1, n do kids[i] = spawn("work", name, how, WORK) end
  local t = now() + 10
  while r:stats().consumers < n and now() < t do m:wait(NAP, 0, 0.001) end
  local t0 = now()
  for i = 1, JOBS do assert(r:push(("job %d"):format(i), 10)) end
  while m:atomic_load(DONE, 32) < JOBS and now() - t0 < 60 do
    m:wait(NAP, 0, 0.0005)
  end
  local dt = now() - t0
  for _ = 1, n do r:push("", 10) end
  for i = 1, n do kids[i]:close() end
  r:close()
  return JOBS / dt
end

local bmed, bp99 = pingpong("block")
local amed, ap99 = pingpong("adaptive")
local smed, sp99 = pingpong("spin")
local rate = throughput(false)
local mrate = throughput(true)
local w1 = workqueue(1, "pop")
local w3 = workqueue(3, "pop")
local l1 = workqueue(1, "lease")
local l3 = workqueue(3, "lease")
m:close()
mapbuf.shm_unlink(name)

-- Python's figures, from its own script next to this one.
local py = {}
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local pyf = io.popen("python3 " .. q(here .. "/ipc_latency.py") .. " " ..
                     ROUNDS .. " " .. NMSG .. " 2>/dev/null")
for k, v in pyf:read("a"):gmatch("(%S+)%s+(%S+)") do py[k] = tonumber(v) end
pyf:close()

local function f(x, fmt) return x and (fmt or "%8.2f"):format(x) or "     n/a" end
print(("ipc one-way latency (µs) and throughput, %d round trips, %d messages%s")
      :format(ROUNDS, NMSG, taskset and ", pinned to CPUs 0 and 1" or ""))
print(("%-40s %8s %8s   %8s %8s"):format("", "median", "p99", "Py med", "Py p99"))
print(("%-40s %s %s   %s %s"):format("ping-pong, blocking (futex)",
      f(bmed), f(bp99), f(py.pipe_median_us), f(py.pipe_p99_us)))
print(("%-40s %s %s   %s %s"):format("ping-pong, spin then futex",
      f(amed), f(ap99), f(nil), f(nil)))
print(("%-40s %s %s   %s %s"):format("ping-pong, spinning",
      f(smed), f(sp99), f(py.spin_median_us), f(py.spin_p99_us)))
print(("%-40s %s %8s   %s"):format("64-byte msgs/s (ring, spin " .. SPIN .. " / Pipe)",
      f(rate, "%8.0f"), "", f(py.pipe_msgs_per_s, "%8.0f")))
print(("%-40s %s %8s   %s"):format("64-byte msgs/s (multi ring, 1 to 1)",
      f(mrate, "%8.0f"), ("%7.0f%%"):format(mrate / rate * 100), ""))
print(("%-40s %s %s   %s"):format(("%d jobs of %g ms/s, pop: 1, 3 consumers"):format(JOBS, WORK * 1000),
      f(w1, "%8.0f"), f(w3, "%8.0f"), ("x%.2f"):format(w3 / w1)))
print(("%-40s %s %s   %s"):format("  the same with peek .. ack (leases)",
      f(l1, "%8.0f"), f(l3, "%8.0f"), ("x%.2f"):format(l3 / l1)))
print(("goals: blocking median <= 2.5 µs: futex %s, spin then futex %s; " ..
       "spinning median <= 1 µs: %s")
      :format(bmed <= 2.5 and "met" or "missed", amed <= 2.5 and "met" or "missed",
              smed <= 1 and "met" or "missed"))
print(("goals: multi ring >= 50%% of the single one: %s; 3 consumers >= 2.5x one: " ..
       "pop %s, leases %s")
      :format(mrate >= rate / 2 and "met" or "missed", w3 >= 2.5 * w1 and "met" or "missed",
              l3 >= 2.5 * l1 and "met" or "missed"))
if py.pipe_median_us then
  print(("Pipe's median / ours: futex %.1f, spin then futex %.0f; " ..
         "msgs/s ours / Pipe's: %.1f")
        :format(py.pipe_median_us / bmed, py.pipe_median_us / amed,
                rate / py.pipe_msgs_per_s))
end
