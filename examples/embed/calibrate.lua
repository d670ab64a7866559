-- calibrate.lua: scale the samples of a sensor frame (layout in frame.h).
--   sensor-host calibrate.lua [GAIN]          over the host's memory
--   mapbuf -w calibrate.lua FILE -- [GAIN]    over a frame kept in a file
local frame = ...
local gain = tonumber(arg and arg[1]) or 2
local FRAME_CALIBRATED, FRAME_CLIPPED = 0x0001, 0x0002

-- flags with the one-bit flag set (what flags | flag is from Lua 5.3 on)
local function set(flags, flag)
  if flags % (2 * flag) >= flag then return flags end
  return flags + flag
end

assert(frame:sub(1, 4) == "SFRM", "not a sensor frame")
local count, flags = frame:unpack("=I2I2", 9)
for k = 0, count - 1 do
  local pos = 13 + 2 * k
  local v = math.floor(frame:unpack("=i2", pos) * gain + 0.5)
  if v > 32767 or v < -32768 then
    v = math.max(-32768, math.min(32767, v))
    flags = set(flags, FRAME_CLIPPED)
  end
  frame:pack(pos, "=i2", v)
end
frame:pack(11, "=I2", set(flags, FRAME_CALIBRATED))
