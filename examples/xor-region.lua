-- xor-region.lua: XOR bytes i..j of a file with a one-byte key, in place:
-- undoes the simple obfuscation some formats and firmware use (the same
-- call obfuscates again).
--
--   mapbuf -w examples/xor-region.lua firmware.bin -- KEY [I [J]]
--
-- KEY is a byte (0x5A, 90); I and J are positions (1-based, negative from
-- the end; default the whole file).  A 256-byte table turns each byte into
-- itself XOR KEY, and m:translate applies it in C.
-- Python:  mm[i-1:j] = mm[i-1:j].translate(bytes(b ^ key for b in range(256)))

local key = tonumber(arg[1] or "")
if not key or key ~= math.floor(key) or key < 0 or key > 255 then
  error("usage: mapbuf -w examples/xor-region.lua file -- KEY [I [J]] (KEY 0..255)", 0)
end
local i, j = tonumber(arg[2] or "1"), tonumber(arg[3] or "-1")

-- a XOR b for bytes, one bit at a time (5.3's a ~ b, on every Lua)
local function xor(a, b)
  local r, bit = 0, 1
  for _ = 1, 8 do
    if a % 2 ~= b % 2 then r = r + bit end
    a, b, bit = math.floor(a / 2), math.floor(b / 2), bit * 2
  end
  return r
end

local t = {}
for b = 0, 255 do t[b + 1] = string.char(xor(b, key)) end
t = table.concat(t)

for n, m in ipairs {...} do
  m:translate(t, i, j)
  print(("%s: bytes %d..%d XOR 0x%02X"):format(arg.files[n], i, j, key))
end
