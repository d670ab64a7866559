-- mapbuf.ring: a single-producer, single-consumer message ring in a shared
-- map (a file, POSIX shared memory, or anonymous memory shared by fork).
--
-- Layout (byte offsets from the start of the map or view; all words are in
-- the machine's byte order, 64-bit words 8-aligned):
--
--   0  "MBRG"            magic
--   4  u32 version       1
--   8  u64 capacity      bytes of the data area, a multiple of 8
--  16  u64 data offset   256
--  64  u64 tail          bytes ever committed by the producer
--  72  u32 cwait         how many consumers sleep on tail
--  80  u64 longest       longest message ever pushed (a bound for readers)
-- 128  u64 head          bytes ever consumed
-- 136  u32 pwait         how many producers sleep on head
-- 192  byte              held (OFD lock) by the live producer
-- 193  byte              held by the live consumer
-- 194  byte              held while a ring is being formatted
-- 195  byte              held by the producer pushing (opts.multi)
-- 196  u32 zero          never written: a word to sleep on for a while
-- 200  byte              held by the consumer between peek and ack (multi)
-- 256  data area         records: u32 length, the bytes, padding to 8
--
-- tail and head only grow; a record starts at data + index % capacity and
-- may wrap around the end of the data area.  The producer writes a record's
-- bytes first and then publishes tail (commit); the consumer reads a record
-- and then publishes head.  Whatever either peer has not yet published does
-- not exist for the other, so a peer killed at any moment leaves a ring
-- that a restarted peer takes up where the committed indexes say.
--
-- Sleepers wait on the low 32 bits of the other side's index with a futex.
-- Those bits cannot come back to the same value while one side sleeps: the
-- other side can move at most capacity (< 2^32) bytes ahead of it.

local mapbuf = require "mapbuf"

local M = {}

local MAGIC, VERSION, HEADER = "MBRG", 1, 256
local CAP, DATAOFF = 8, 16
local TAIL, CWAIT, LONGEST, HEAD, PWAIT = 64, 72, 80, 128, 136
local PRODUCER, CONSUMER, INIT, PUSHLOCK, NAP, POPLOCK =
  192, 193, 194, 195, 196, 200
local MAXCAP = 0x7FFFFFF8   -- the futex trick needs capacity < 2^32
local SLICE = 0.5           -- longest single sleep: a peer killed between
                            -- commit and wake costs at most this much

M.HEADER = HEADER
M.VERSION = VERSION

-- The 32-bit futex word inside a 64-bit index: its low half.
local LOW = string.unpack("=I4", string.pack("<I4", 1)) == 1 and 0 or 4

local monotime = mapbuf.monotime

local Ring = {}
Ring.__index = Ring

-- Bytes a map needs to hold a ring with this data capacity.
function M.size(capacity)
  return HEADER + capacity
end

local function round8(n) return n - n % 8 end

-- Take the one-byte lock at off of the map (exclusive unless mode is "r");
-- true if held, false if busy, nil when the map has no file behind it
-- (anonymous memory).
local function trylock(m, off, wait, mode)
  local ok, got = pcall(m.lock, m, mode or "w", off + 1, 1, wait)
  if not ok then
    if tostring(got):find("no file", 1, true) then return nil end
    error(got, 0)
  end
  return got
end


-- Sleep until cond() holds or the deadline passes: spin a little first,
-- then count ourselves in at flag, check once more (the other side reads
-- the count after it publishes, so one of us sees the other) and wait on
-- the futex word of the other side's index.
local function block(m, spin, flag, word, cond, timeout)
  for _ = 1, spin do
    if cond() then return true end
  end
  local deadline = timeout and monotime() + timeout
  while true do
    local w = m:atomic_load(word, 32)
    m:atomic_add(flag, 1, 32)
    if cond() then m:atomic_add(flag, -1, 32); return true end
    local left = SLICE
    if deadline then
      left = deadline - monotime()
      if left <= 0 then m:atomic_add(flag, -1, 32); return false end
      if left > SLICE then left = SLICE end
    end
    m:wait(word, w, left)
    m:atomic_add(flag, -1, 32)
    if cond() then return true end
  end
end

-- Call f() until it returns a value or the deadline passes, sleeping with
-- block on cond in between.
local function retry(m, spin, flag, word, cond, f, timeout)
  local deadline = timeout and monotime() + timeout
  while true do
    local v = f()
    if v then return v end
    local left = deadline and deadline - monotime()
    if left and left <= 0 then return nil end
    if not block(m, spin, flag, word, cond, left) then return nil end
  end
end


-- A ring object: the hot paths are closures over the map, the binding's
-- functions and the indexes this side knows, so a push or a pop costs a
-- handful of C calls and no table lookups.
local function new(m, opts)
  local cap = m:unpack("=I8", CAP + 1)
  local base = m:unpack("=I8", DATAOFF + 1) + 1   -- Lua position of data
  local aload, astore = m.atomic_load, m.atomic_store
  local pack, unpack, set, sub = m.pack, m.unpack, m.set, m.sub
  local wake, lock, unlock = m.wake, m.lock, m.unlock
  local spin = opts.spin or 100    -- polls before sleeping: a futex wake-up
                                    -- costs more than a short spin
  local multi = opts.multi         -- several producers or consumers: each
                                   -- push, and each peek .. ack, under a lock
  local PUSHL, POPL = PUSHLOCK + 1, POPLOCK + 1
  local holding = false            -- multi: we hold the consumers' lock
  local TAILP, HEADP, CWAITP, PWAITP, LONGP = TAIL + 1, HEAD + 1, CWAIT + 1,
                                                PWAIT + 1, LONGEST + 1
  local TAILW, HEADW = TAIL + LOW + 1, HEAD + LOW + 1
  local tail, head = aload(m, TAILP), aload(m, HEADP)
  local longest = aload(m, LONGP)  -- producer: what it published;
                                   -- consumer: a bound on what it will read
  local peeked = nil               -- size of the record last peeked

  local r = setmetatable({m = m, cap = cap, multi = multi}, Ring)

  -- ---- producer ----

  -- Write and commit a record of rec bytes, or false if it does not fit.
  local function put(msg, n, rec)
    if rec > cap - (tail - head) then
      head = aload(m, HEADP)       -- stale: read what is free now
      if rec > cap - (tail - head) then return false end
    end
    if n > longest then            -- before the commit that needs it
      longest = n
      astore(m, LONGP, n)
    end
    local p = tail % cap
    if p + 4 + n <= cap then
      pack(m, base + p, "=s4", msg)
    else                           -- the record wraps around the end
      pack(m, base + p, "=I4", n)  -- never split: p and cap are 8-aligned
      local q = (p + 4) % cap
      local first = cap - q
      if n <= first then
        set(m, base + q, msg)
      else
        set(m, base + q, msg:sub(1, first))
        set(m, base, msg:sub(first + 1))
      end
    end
    tail = tail + rec
    astore(m, TAILP, tail)         -- commit
    if aload(m, CWAITP, 32) ~= 0 then wake(m, TAILW) end
    return true
  end

  local function try_push(_, msg)
    local n = #msg
    local rec = (n + 11) & ~7
    if rec > cap then
      error("bad argument #1 to 'push' (message longer than the ring)", 2)
    end
    if not multi then return put(msg, n, rec) end
    -- several producers: one at a time, each from the tail as it is now;
    -- one killed in here leaves an uncommitted record and drops the lock
    lock(m, "w", PUSHL, 1)
    tail, longest = aload(m, TAILP), aload(m, LONGP)
    local ok, res = pcall(put, msg, n, rec)
    unlock(m, PUSHL, 1)
    if not ok then error(res, 0) end
    return res
  end

  local function push(self, msg, timeout)
    local rec = (#msg + 11) & ~7
    -- whether the record would fit now: a cheap check before trying again
    local function room()
      return cap - (aload(m, TAILP) - aload(m, HEADP)) >= rec
    end
    return retry(m, spin, PWAITP, HEADW, room,
                 function() return try_push(self, msg) end, timeout) or false
  end

  -- ---- consumer ----

  local function corrupt(what)
    if holding then holding = false; unlock(m, POPL, 1) end
    error(string.format("mapbuf.ring: corrupted ring (%s at head %d)", what,
                        head), 0)
  end

  -- Whether there is a message: reloads tail when we know of none, and
  -- with it the longest length, which covers every record before tail.
  local function ready()
    if multi then head = aload(m, HEADP) end
    if head ~= tail then return true end
    tail = aload(m, TAILP)
    if head == tail then return false end
    longest = aload(m, LONGP)
    return true
  end

  -- The message at head (not consumed), or nil when the ring is empty.
  local function try_peek()
    if multi and not holding then
      -- several consumers: one at a time from peek to ack, each from the
      -- head as it is now
      lock(m, "w", POPL, 1)
      holding = true
      head, tail = aload(m, HEADP), aload(m, TAILP)
      longest = aload(m, LONGP)
    end
    if head == tail and not ready() then
      if holding then holding = false; unlock(m, POPL, 1) end
      return nil
    end
    local p = head % cap
    local s
    if p + 4 + longest <= cap then   -- cannot wrap: one call reads it
      local ok, v = pcall(unpack, m, "=s4", base + p)
      if not ok then corrupt("record length") end
      s = v
    else
      local n = unpack(m, "=I4", base + p)
      if n > cap - 4 then corrupt("record length " .. n) end
      local q = (p + 4) % cap
      local first = cap - q
      if n <= first then
        s = sub(m, base + q, base + q + n - 1)
      else
        s = sub(m, base + q, base + cap - 1) .. sub(m, base, base + n - first - 1)
      end
    end
    local rec = (#s + 11) & ~7
    if rec > tail - head then corrupt("record length " .. #s) end
    peeked = rec
    return s
  end

  local function ack()
    local rec = peeked
    if not rec then return false end
    peeked = nil
    head = head + rec
    astore(m, HEADP, head)         -- commit
    if holding then holding = false; unlock(m, POPL, 1) end
    if aload(m, PWAITP, 32) ~= 0 then wake(m, HEADW) end
    return true
  end

  local function try_pop()
    local s = try_peek()
    if s then ack() end
    return s
  end

  local function peek(_, timeout)
    local s = retry(m, spin, CWAITP, TAILW, ready, try_peek, timeout)
    if s then return s end
    return nil, "timeout"
  end

  local function pop(_, timeout)
    local s = retry(m, spin, CWAITP, TAILW, ready, try_pop, timeout)
    if s then return s end
    return nil, "timeout"
  end

  -- let go of the consumers' lock if a peek was never acknowledged
  function r.release()
    if holding then holding = false; unlock(m, POPL, 1) end
    peeked = nil
  end

  r.try_push, r.push = try_push, push
  r.try_peek, r.peek, r.ack = try_peek, peek, ack
  r.try_pop, r.pop = try_pop, pop
  return r
end

local function format(m, capacity)
  local len = #m
  local cap = round8(capacity or (len - HEADER))
  if cap < 16 or cap > MAXCAP or HEADER + cap > len then
    error(string.format("mapbuf.ring: capacity %s does not fit a map of %d bytes",
                        tostring(capacity or cap), len), 3)
  end
  -- magic last: a ring half-formatted by a killed process is not a ring
  m:fill(0, 1, HEADER)
  m:pack(CAP + 1, "=I8I8", cap, HEADER)
  m:pack(5, "=I4", VERSION)
  m:atomic_store(TAIL + 1, 0)
  m:atomic_store(HEAD + 1, 0)
  m:set(1, MAGIC)
  m:atomic_load(1, 32)  -- a full barrier before anyone may see the magic
end

local function check(m)
  if #m < HEADER then return nil, "map too small for a ring" end
  if m:sub(1, 4) ~= MAGIC then return nil, "not a ring (bad magic)" end
  local version, cap, data = m:unpack("=I4I8I8", 5)
  if version ~= VERSION then
    return nil, "unsupported ring version " .. version
  end
  if data ~= HEADER or cap < 16 or cap % 8 ~= 0 or cap > MAXCAP
     or data + cap > #m then
    return nil, "corrupted ring header"
  end
  return true
end

-- Claim a role ("producer" or "consumer"): hold its lock byte while this
-- ring object lives, so the peer can tell whether we are alive.
local function claim(r, role)
  if role == nil then return r end
  local off = role == "producer" and PRODUCER or role == "consumer" and CONSUMER
  if not off then error("mapbuf.ring: bad role '" .. tostring(role) .. "'", 3) end
  -- another process may hold it for an instant to probe it (alive): retry
  -- (several producers or consumers share their role's lock)
  local got
  for _ = 1, 200 do
    got = trylock(r.m, off, false, r.multi and "r" or "w")
    if got ~= false then break end
    r.m:wait(NAP + 1, 0, 0.001)  -- sleep 1 ms
  end
  if got == false then
    error("mapbuf.ring: the ring already has a live " .. role, 3)
  end
  r.role = role
  -- a dead predecessor may have left itself counted among the sleepers
  if not r.multi then
    r.m:atomic_store((role == "producer" and PWAIT or CWAIT) + 1, 0, 32)
  end
  return r
end

-- Format m (a map or a view) as an empty ring.
function M.create(m, opts)
  opts = opts or {}
  format(m, opts.capacity)
  return claim(new(m, opts), opts.role)
end

-- Attach to the ring already in m; raises when m holds none.
function M.attach(m, opts)
  opts = opts or {}
  local ok, err = check(m)
  if not ok then error("mapbuf.ring: " .. err, 2) end
  return claim(new(m, opts), opts.role)
end

-- Attach to the ring in m, formatting it first if it holds none (under a
-- lock, so two processes racing to open a fresh file agree).
function M.open(m, opts)
  opts = opts or {}
  local locked = trylock(m, INIT, true)
  local ok, err = pcall(function()
    if m:sub(1, 4) ~= MAGIC then format(m, opts.capacity) end
  end)
  if locked then m:unlock(INIT + 1, 1) end
  if not ok then error(err, 2) end
  return M.attach(m, opts)
end


-- ---- state ----

function Ring:capacity() return self.cap end

-- Bytes committed and not yet consumed (records, with their headers).
function Ring:used()
  return self.m:atomic_load(TAIL + 1) - self.m:atomic_load(HEAD + 1)
end

function Ring:empty() return self:used() == 0 end

-- Whether a process holds the role ("producer" or "consumer"): true, false,
-- or nil when it cannot be told (anonymous memory has no file to lock).
function Ring:alive(role)
  if role == self.role then return true end
  local off = role == "producer" and PRODUCER or role == "consumer" and CONSUMER
  if not off then error("bad argument #1 to 'alive' (bad role)", 2) end
  local got = trylock(self.m, off, false)
  if got == nil then return nil end
  if got then self.m:unlock(off + 1, 1) end
  return not got
end

-- Give up the role and any lock held (the ring stays as it is; a message
-- peeked and not acknowledged stays for the next consumer).
function Ring:close()
  if self.m:closed() then self.role = nil; return end
  self.release()
  if self.role then
    self.m:unlock((self.role == "producer" and PRODUCER or CONSUMER) + 1, 1)
  end
  self.role = nil
end

Ring.__close = Ring.close
Ring.__gc = Ring.close

return M
