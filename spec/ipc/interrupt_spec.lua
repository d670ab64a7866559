-- SIGINT (and, in the host, SIGTERM) to a process blocked in a mapbuf call
-- ends it at once with "interrupted!": the chunk unwinds (a to-be-closed
-- variable's __close runs), writes to its maps are in the file, and a lock
-- that was interrupted before it was granted is not held.  Under the stock
-- interpreter (lua5.4's handler: sigaction without SA_RESTART; 5.1 .. 5.3's:
-- signal(), so with SA_RESTART) and under the host build/mapbuf.
local mapbuf = require "mapbuf"
local ring = require "mapbuf.ring"
local H = require "spec.helper"
local P = require "spec.ipc.proc"

local BLOCKER = P.peers .. "blocker.lua"
local PROMPT = 0.5          -- the contract: gone within half a second

-- A fresh file for the blocker, with its ring formatted.
local function blockfile()
  local p = H.file(string.rep("\0", 8192 + ring.size(1024)))
  local m = assert(mapbuf.open(p, "r+"))
  ring.create(m:view(8193, 8192 + ring.size(1024))):close()
  m:close()
  return p
end

-- Start the blocker (host or the stock interpreter) in the background.
local function start(host, what, p)
  local cmd
  if host then
    cmd = ("%s -w %s %s -- %s"):format(H.q(H.bin), H.q(BLOCKER), H.q(p), what)
  else
    cmd = ("%s %s %s %s"):format(H.q(H.lua), H.q(BLOCKER), what, H.q(p))
  end
  return P.startcmd(cmd)
end

-- Run the blocker in what, wait until it blocks, signal it, and time how
-- long it takes to be gone.  Returns its output, status and the time.
local function interrupt(host, what, sig, p)
  p = p or blockfile()
  local m = assert(mapbuf.open(p, "r+"))
  local h = start(host, what, p)
  assert.truthy(P.poll(function() return m:atomic_load(4009, 32) == 1 end, 20),
                "the blocker never got ready")
  P.sleep(0.1)                     -- inside the call by now
  local t = mapbuf.monotime()
  h.kill(sig or "INT")
  local out, code = h.finish()
  t = mapbuf.monotime() - t
  local bytes = m:sub(4001, 4002)
  m:close()
  return out, code, t, bytes
end

-- Holders for the calls that wait for another process.
local function holder(what, p)
  local m = assert(mapbuf.open(p, "r+"))
  local h
  if what == "lock" or what == "lock-pcall" then
    h = P.start("locker", {p, "w", 1, 100})
  elseif what == "mutex" then
    h = P.start("mxholder", {p})
  end
  if h then
    assert.truthy(P.poll(function() return m:atomic_load(1, 32) == 1 end, 20))
  end
  return function()
    if not h then m:close(); return end
    m:atomic_store(5, 1, 32)
    m:wake(5)
    h.finish()
    m:close()
  end
end

-- the bytes the blocker leaves: its write, and its __close's on 5.4
local CLOSED = H.luaver >= 5.4 and "WC" or "W\0"

local interps = {{"the stock interpreter", false}}
if P.host then interps[2] = {"the host", true} end

describe("a blocked call interrupted by a signal", function()
  teardown(H.cleanup)

  for _, it_ in ipairs(interps) do
    local name, host = it_[1], it_[2]
    for _, what in ipairs{"wait", "lock", "pop", "push", "peek", "mutex"} do
      it(("%s: SIGINT in %s: 'interrupted!' at once, unwound, written"):format(name, what),
         function()
        local p = blockfile()
        local release = holder(what, p)
        local out, code, t, bytes = interrupt(host, what, "INT", p)
        release()
        assert.equal(1, code, out)
        assert.matches("interrupted!", out)
        assert.not_matches("not interrupted", out)
        assert.is_true(t < PROMPT, ("took %.3f s"):format(t))
        assert.equal(CLOSED, bytes)      -- the write, and __close's
        io.stderr:write(("# %s, %s: gone %.1f ms after SIGINT\n"):format(name, what, t * 1e3))
      end)
    end

    it(name .. ": a lock interrupted before it was granted is not held", function()
      local p = blockfile()
      local release = holder("lock-pcall", p)
      local out, code, t = interrupt(host, "lock-pcall", "INT", p)
      release()
      assert.equal(0, code, out)
      assert.matches("^false\t[^\n]*interrupted!\nnot held\n$", out)
      assert.is_true(t < 5)
    end)
  end

  if P.host then
    it("the host: SIGTERM in pop, wait and lock works as SIGINT does", function()
      for _, what in ipairs{"pop", "wait", "lock"} do
        local p = blockfile()
        local release = holder(what, p)
        local out, code, t, bytes = interrupt(true, what, "TERM", p)
        release()
        assert.equal(1, code, out)
        assert.matches("^mapbuf: [^\n]*interrupted!\nstack traceback:", out)
        assert.is_true(t < PROMPT, ("took %.3f s"):format(t))
        assert.equal(CLOSED, bytes)
      end
    end)
  end
end)
