-- Messages for the ring specs: a sequence number, a checksum and a payload
-- of 0 .. 189 bytes that depends on the sequence number.  Written for every
-- Lua: the arithmetic stays below 2^53 (exact in a double), and the binary
-- header is written and read by mapbuf's m:pack / m:unpack (string.pack is
-- 5.3's).
local mapbuf = require "mapbuf"
local M = {}

local TWO32 = 0x100000000

-- a * b modulo 2^32, for 0 <= a, b < 2^32: b in two 16-bit halves, so no
-- product reaches 2^49
local function mul32(a, b)
  local lo, hi = b % 0x10000, math.floor(b / 0x10000)
  return (a * lo + (a * hi % 0x10000) * 0x10000) % TWO32
end

-- A multiplicative hash of s (FNV-1's multiplier, the byte added), 32 bits.
local function hash(s)
  local h = 0x811C9DC5
  for i = 1, #s do h = mul32(h + s:byte(i), 0x01000193) end
  return h
end

local pre, sum = {}, {}
local x = 12345
for k = 0, 63 do
  local t = {}
  for i = 1, 3 * k do
    x = (mul32(x, 1103515245) + 12345) % 0x80000000
    t[i] = string.char(math.floor(x / 0x10000) % 0x100)
  end
  pre[k] = table.concat(t)
  sum[k] = hash(pre[k])
end

local function checksum(seq)
  return (sum[seq % 64] + mul32(seq % TWO32, 2654435761)) % TWO32
end

-- a scratch map for the 12-byte header
local head = mapbuf.anon(12)

function M.make(seq)
  head:pack(1, "<I8I4", seq, checksum(seq))
  return head:sub(1, 12) .. pre[seq % 64]
end

-- The sequence number of a well-formed message, or nil and why not.
function M.check(s)
  if #s < 12 then return nil, "short message (" .. #s .. " bytes)" end
  head:set(1, s:sub(1, 12))
  local seq, c = head:unpack("<I8I4")
  if c ~= checksum(seq) then return nil, "bad checksum at seq " .. seq end
  if s:sub(13) ~= pre[seq % 64] then return nil, "bad payload at seq " .. seq end
  return seq
end

return M
