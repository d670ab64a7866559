-- mapbuf.ring: a message ring in a shared map (a file, POSIX shared
-- memory, or anonymous memory shared by fork), for one producer and one
-- consumer or, with opts.multi, for up to 64 of each.
--
-- The ring itself is in C (src/core/ring.c: the layout, the protocol and
-- the memory-ordering argument are written down there; src/lua/lring.c is
-- its Lua face).  It was a Lua module over the atomics once; it moved to C
-- because a lock-free multi-producer, multi-consumer ring needs several
-- atomic steps per message, and each step costs a call into the binding
-- from Lua (about 0.15 us here): the Lua version of the multi ring did
-- 77 000 messages a second against 1 300 000 for the single one, while
-- in C both are bounded by one call from Lua per message (docs/ipc.md has
-- the figures).
--
--   local ring = require "mapbuf.ring"
--   local r = ring.open(m, {role = "producer"})   -- attach, or create if all zero
--   r:push("hello", 5)                              -- waits up to 5 s while full
--   local msg = r:pop(5)                            -- nil, "timeout" after 5 s
--
-- ring.create(m [, opts])  format m and attach (refuses a live ring unless
--                           opts.force); ring.attach(m [, opts]) only attaches;
--                           ring.open(m [, opts]) attach, or create if m is all
--                           zero bytes.  opts: capacity, multi, role, spin, force.
-- ring.size(capacity)      bytes a map needs for a ring of that capacity
-- ring.fit(bytes)          the capacity of the largest ring that fits them
-- r:push(msg [, timeout]), r:try_push(msg)       true, or false when full
-- r:pop([timeout]), r:try_pop()                   the message, or nil
-- r:peek([timeout]), r:try_peek(), r:ack()        lease, then retire
-- r:stats(), r:capacity(), r:used(), r:empty(), r:alive(role), r:close()
local mapbuf = require "mapbuf"

local C = mapbuf._ring()

local M = {
  create = C.create,
  attach = C.attach,
  open = C.open,
  size = C.size,
  fit = C.fit,
  SLOT = C.SLOT,         -- bytes per data slot: a message takes 8 + #msg
                         -- rounded up to it
  PEERS = C.PEERS,       -- producers and consumers a multi ring can have
  VERSION = C.VERSION,   -- of the layout (the Lua ring of old was 1)
  methods = C.methods,   -- the ring objects' methods, to add your own
}

return M
