-- bmp-invert.lua: invert the colours of a BMP image in place.
--
--   mapbuf -w examples/bmp-invert.lua image.bmp [...]
--
-- Uncompressed (BI_RGB) images: 24- and 32-bit pixels are inverted where
-- they lie, row by row, leaving the padding at the end of each row and the
-- fourth byte of 32-bit pixels alone; 1-, 4- and 8-bit images have their
-- colour table inverted instead.  Bottom-up and top-down images alike.
-- The bytes are changed by m:translate, in C, in place.

local t = {}                           -- each byte to 255 minus it
for b = 0, 255 do t[b + 1] = string.char(255 - b) end
local INV = table.concat(t)

local function invert(m, name)
  if #m < 54 or m:sub(1, 2) ~= "BM" then error(name .. ": not a BMP file", 0) end
  local offbits = m:unpack("<I4", 11)
  local hsize, width, height, planes, bits, compression, _, _, _, used =
    m:unpack("<I4i4i4I2I2I4I4i4i4I4", 15)
  if hsize < 40 then error(name .. ": an OS/2 BMP header is not handled", 0) end
  if compression ~= 0 and not (compression == 3 and bits == 32) then
    error(("%s: compressed BMP (method %d) is not handled"):format(name, compression), 0)
  end
  local rows = math.abs(height)
  if bits <= 8 then
    -- the colour table: blue, green, red, reserved
    local n = used ~= 0 and used or 2 ^ bits
    local at = 15 + hsize
    if at + 4 * n - 1 > #m then error(name .. ": colour table cut short", 0) end
    m:translate(INV, at, at + 4 * n - 1)
    for i = 0, n - 1 do                -- the reserved bytes back as they were
      local p = at + 4 * i + 3
      m[p] = 255 - m[p]
    end
    print(("%s: %dx%d, %d-bit: %d colours inverted"):format(name, width, rows, bits, n))
    return
  end
  if bits ~= 24 and bits ~= 32 then
    error(("%s: %d-bit pixels are not handled"):format(name, bits), 0)
  end
  local bpp = bits == 32 and 4 or 3   -- bytes per pixel
  local stride = math.floor((width * bits + 31) / 32) * 4   -- whole 32-bit words
  local used_bytes = width * bpp
  if offbits + stride * rows > #m then error(name .. ": pixel data cut short", 0) end
  for r = 0, rows - 1 do
    local p = offbits + r * stride + 1
    m:translate(INV, p, p + used_bytes - 1)
    if bpp == 4 then                   -- the fourth byte back as it was
      for q = p + 3, p + used_bytes - 1, 4 do m[q] = 255 - m[q] end
    end
    progress(r + 1, rows)
  end
  print(("%s: %dx%d, %d-bit: %d pixels inverted"):format(name, width, rows, bits, width * rows))
end

if tostring((...) or ""):find("access=read", 1, true) then
  error("map the files writable: mapbuf -w examples/bmp-invert.lua file.bmp", 0)
end
for i, m in ipairs {...} do invert(m, arg.files[i]) end
