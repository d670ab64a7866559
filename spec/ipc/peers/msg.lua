-- Messages for the ring specs: a sequence number, a checksum and a payload
-- of 0 .. 189 bytes that depends on the sequence number.
local M = {}

local function fnv(s)
  local h = 0x811C9DC5
  for i = 1, #s do h = ((h ~ s:byte(i)) * 0x01000193) & 0xFFFFFFFF end
  return h
end

local pre, sum = {}, {}
local x = 12345
for k = 0, 63 do
  local t = {}
  for i = 1, 3 * k do
    x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    t[i] = string.char(x >> 16 & 0xFF)
  end
  pre[k] = table.concat(t)
  sum[k] = fnv(pre[k])
end

local function checksum(seq)
  return sum[seq % 64] ~ ((seq * 2654435761) & 0xFFFFFFFF)
end

function M.make(seq)
  return string.pack("<I8I4", seq, checksum(seq)) .. pre[seq % 64]
end

-- The sequence number of a well-formed message, or nil and why not.
function M.check(s)
  if #s < 12 then return nil, "short message (" .. #s .. " bytes)" end
  local seq, c = string.unpack("<I8I4", s)
  if c ~= checksum(seq) then return nil, "bad checksum at seq " .. seq end
  if s:sub(13) ~= pre[seq % 64] then return nil, "bad payload at seq " .. seq end
  return seq
end

return M
