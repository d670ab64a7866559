-- spec/ipc/proc.lua: start peer scripts as separate processes, through the
-- host executable `mapbuf` when it is built (else stock lua5.4).
local H = require "spec.helper"

local P = {}

P.peers = H.src .. "/spec/ipc/peers/"

local function exists(p)
  local f = io.open(p, "rb")
  if f then f:close() end
  return f ~= nil
end

P.host = exists(H.bin)

-- The command line that runs peer script name with the words in args.
-- With the host, files are mapped read-write and passed as the chunk's
-- arguments (`local m = ...`); without it the peer opens them itself.
function P.cmd(name, args, files)
  local words = {}
  for _, a in ipairs(args or {}) do words[#words + 1] = H.q(a) end
  local script = H.q(P.peers .. name .. ".lua")
  if P.host then
    local f = {}
    for _, p in ipairs(files or {}) do f[#f + 1] = H.q(p) end
    return string.format("%s -w %s %s -- %s", H.q(H.bin), script,
                         table.concat(f, " "), table.concat(words, " "))
  end
  return string.format("%s %s %s", H.q(H.lua), script, table.concat(words, " "))
end

-- Start a shell command in the background; returns a handle with :pid(),
-- :kill(sig) and :finish() -> output, exit status (128 + the signal for a
-- process killed by one, as the shell tells it).
local STATUS = "\n:mapbuf-peer-status:"
function P.startcmd(cmd)
  -- the inner shell prints its pid, then becomes the command (so kill
  -- reaches it); the outer one prints its status last, since a pipe closes
  -- without it on Lua 5.1 and LuaJIT
  local inner = "echo $$; exec " .. cmd .. " 2>&1"
  local p = io.popen("sh -c " .. H.q(inner) .. "; printf '" .. STATUS .. "%d' $?", "r")
  local pid = tonumber(p:read("*l"))
  local h = {}
  function h.pid() return pid end
  function h.finish()
    local out = p:read("*a")
    p:close()
    local i = assert(out:find(STATUS, 1, true), "no status from the shell")
    return out:sub(1, i - 1), tonumber(out:sub(i + #STATUS))
  end
  function h.kill(sig)
    os.execute("kill -" .. (sig or 9) .. " " .. pid .. " 2>/dev/null")
  end
  return h
end

-- Start peer name (spec/ipc/peers/name.lua) in the background: P.startcmd's
-- handle.
function P.start(name, args, files) return P.startcmd(P.cmd(name, args, files)) end

-- Whether process pid sleeps in a futex wait (Linux's /proc tells).
function P.infutex(pid)
  local f = io.open("/proc/" .. pid .. "/wchan")
  if not f then return false end
  local w = f:read("*a") or ""
  f:close()
  return w:find("futex") ~= nil
end

-- Sleep for s seconds (without a busy loop, and without a process: a
-- futex wait on a word nobody changes).
local nap
function P.sleep(s)
  nap = nap or require("mapbuf").anon(8)
  nap:wait(1, 0, s)
end

-- Poll f() every millisecond until it is true or timeout seconds pass;
-- returns f()'s last value.
function P.poll(f, timeout)
  local mapbuf = require "mapbuf"
  local deadline = mapbuf.monotime() + (timeout or 10)
  local v = f()
  while not v and mapbuf.monotime() < deadline do
    P.sleep(0.001)
    v = f()
  end
  return v
end

return P
