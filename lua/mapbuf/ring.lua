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
--  72  u32 cwait         1 while the consumer sleeps on tail
-- 128  u64 head          bytes ever consumed
-- 136  u32 pwait         1 while the producer sleeps on head
-- 192  byte              held (OFD lock) by the live producer
-- 193  byte              held by the live consumer
-- 194  byte              held while a ring is being formatted
-- 196  u32 zero          never written: a word to sleep on for a while
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
local TAIL, CWAIT, HEAD, PWAIT = 64, 72, 128, 136
local PRODUCER, CONSUMER, INIT, NAP = 192, 193, 194, 196
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

-- Take the one-byte lock at off of the map; true if held, false if busy,
-- nil when the map has no file behind it (anonymous memory).
local function trylock(m, off, wait)
  local ok, got = pcall(m.lock, m, "w", off + 1, 1, wait)
  if not ok then
    if tostring(got):find("no file", 1, true) then return nil end
    error(got, 0)
  end
  return got
end

local function new(m, opts)
  local r = setmetatable({m = m, spin = opts and opts.spin or 0}, Ring)
  local cap = m:unpack("=I8", CAP + 1)
  r.cap = cap
  r.data = m:unpack("=I8", DATAOFF + 1)
  r.tail = m:atomic_load(TAIL + 1)
  r.head = m:atomic_load(HEAD + 1)
  -- the binding's functions, fetched once: the hot paths call them directly
  r.aload, r.astore = m.atomic_load, m.atomic_store
  r.sub, r.set, r.unpack, r.pack = m.sub, m.set, m.unpack, m.pack
  r.wait, r.wake = m.wait, m.wake
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
  local got
  for _ = 1, 200 do
    got = trylock(r.m, off, false)
    if got ~= false then break end
    r.m:wait(NAP + 1, 0, 0.001)  -- sleep 1 ms
  end
  if got == false then
    error("mapbuf.ring: the ring already has a live " .. role, 3)
  end
  r.role = role
  -- a dead predecessor may have left its sleeping flag up
  r.m:atomic_store((role == "producer" and PWAIT or CWAIT) + 1, 0, 32)
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


-- ---- producer ----

-- Write the record of msg at index t (no commit).
local function write(r, t, msg)
  local m, cap, data = r.m, r.cap, r.data
  local n = #msg
  local p = t % cap
  r.pack(m, data + p + 1, "=I4", n)     -- never split: p and cap are 8-aligned
  local q = (p + 4) % cap
  local first = cap - q
  if n <= first then
    if n > 0 then r.set(m, data + q + 1, msg) end
  else
    r.set(m, data + q + 1, msg:sub(1, first))
    r.set(m, data + 1, msg:sub(first + 1))
  end
end

local function recsize(n) return (n + 11) & ~7 end

function Ring:try_push(msg)
  local rec = recsize(#msg)
  if rec > self.cap then
    error("bad argument #1 to 'push' (message longer than the ring)", 2)
  end
  local m, t = self.m, self.tail
  if rec > self.cap - (t - self.head) then
    self.head = self.aload(m, HEAD + 1)   -- stale: read what is free now
    if rec > self.cap - (t - self.head) then return false end
  end
  write(self, t, msg)
  t = t + rec
  self.tail = t
  self.astore(m, TAIL + 1, t)            -- commit
  if self.aload(m, CWAIT + 1, 32) ~= 0 then self.wake(m, TAIL + LOW + 1) end
  return true
end

-- Sleep on the other side's index until cond() holds or the deadline
-- passes.  flag is our sleeping flag, word the futex word we sleep on.
local function block(r, flag, word, cond, timeout)
  local m = r.m
  for _ = 1, r.spin do
    if cond() then return true end
  end
  local deadline = timeout and monotime() + timeout
  while true do
    local w = r.aload(m, word, 32)
    r.astore(m, flag, 1, 32)
    if cond() then r.astore(m, flag, 0, 32); return true end
    local left = SLICE
    if deadline then
      left = deadline - monotime()
      if left <= 0 then r.astore(m, flag, 0, 32); return false end
      if left > SLICE then left = SLICE end
    end
    r.wait(m, word, w, left)
    r.astore(m, flag, 0, 32)
    if cond() then return true end
  end
end

-- Push msg, waiting while the ring is full.  true, or false on timeout.
function Ring:push(msg, timeout)
  if self:try_push(msg) then return true end
  local ok = block(self, PWAIT + 1, HEAD + LOW + 1,
                   function() return self:try_push(msg) end, timeout)
  return ok
end


-- ---- consumer ----

local function corrupt(r, what)
  error(string.format("mapbuf.ring: corrupted ring (%s at head %d)", what,
                      r.head), 0)
end

-- The record at head, or nil when the ring is empty.  Returns the message
-- and the record's size.
local function read(r)
  local m, h = r.m, r.head
  if h == r.tail then
    r.tail = r.aload(m, TAIL + 1)
    if h == r.tail then return nil end
  end
  local cap, data = r.cap, r.data
  local p = h % cap
  local n = r.unpack(m, "=I4", data + p + 1)
  local rec = recsize(n)
  if rec > r.tail - h then corrupt(r, "record length " .. n) end
  local q = (p + 4) % cap
  local first = cap - q
  local s
  if n <= first then
    s = n > 0 and r.sub(m, data + q + 1, data + q + n) or ""
  else
    s = r.sub(m, data + q + 1, data + cap) .. r.sub(m, data + 1, data + n - first)
  end
  return s, rec
end

-- Consume the record seen by the last peek.
function Ring:ack()
  local rec = self.peeked
  if not rec then return false end
  self.peeked = nil
  local m = self.m
  self.head = self.head + rec
  self.astore(m, HEAD + 1, self.head)    -- commit
  if self.aload(m, PWAIT + 1, 32) ~= 0 then self.wake(m, HEAD + LOW + 1) end
  return true
end

-- The next message without consuming it (nil when empty); ack consumes.
function Ring:try_peek()
  local s, rec = read(self)
  self.peeked = rec
  return s
end

function Ring:try_pop()
  local s, rec = read(self)
  if s then
    self.peeked = rec
    self:ack()
  end
  return s
end

local function await(r, timeout)
  return block(r, CWAIT + 1, TAIL + LOW + 1, function()
    if r.head ~= r.tail then return true end
    r.tail = r.aload(r.m, TAIL + 1)
    return r.head ~= r.tail
  end, timeout)
end

-- The next message, waiting for one; nil, "timeout" after timeout seconds.
function Ring:peek(timeout)
  local s = self:try_peek()
  if s then return s end
  if not await(self, timeout) then return nil, "timeout" end
  return self:try_peek()
end

function Ring:pop(timeout)
  local s = self:try_pop()
  if s then return s end
  if not await(self, timeout) then return nil, "timeout" end
  return self:try_pop()
end


-- ---- state ----

function Ring:capacity() return self.cap end

-- Bytes committed and not yet consumed (records, with their headers).
function Ring:used()
  return self.aload(self.m, TAIL + 1) - self.aload(self.m, HEAD + 1)
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

-- Give up the role (the ring stays as it is).
function Ring:close()
  if self.role and not self.m:closed() then
    self.m:unlock((self.role == "producer" and PRODUCER or CONSUMER) + 1, 1)
  end
  self.role = nil
end

Ring.__close = Ring.close

return M
