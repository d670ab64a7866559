-- png-chunks.lua: list the chunks of a PNG file and check their CRCs.
--
--   mapbuf examples/png-chunks.lua image.png [...]
--
-- Exit status 0 when every CRC matches, 1 when one does not or a chunk
-- runs past the end of the file.

local COLOR = {[0] = "grayscale", [2] = "RGB", [3] = "palette",
               [4] = "grayscale+alpha", [6] = "RGBA"}

-- A word on what some chunks hold.
local function describe(m, kind, data, len)
  if kind == "IHDR" and len >= 13 then
    local w, h, depth, color = m:unpack(">I4I4BB", data)
    return ("%d x %d, %d-bit %s"):format(w, h, depth, COLOR[color] or "?")
  elseif kind == "tEXt" then
    local text = m:sub(data, data + len - 1)
    return (text:gsub("%z", ": ", 1):gsub("[^\32-\126]", "."))
  elseif kind == "PLTE" then
    return ("%d colors"):format(math.floor(len / 3))
  end
  return ""
end

local function list(m, name)
  if #m < 8 or m:sub(1, 8) ~= "\137PNG\r\n\26\n" then
    io.stderr:write(name, ": not a PNG file\n")
    return false
  end
  print(name)
  print("  offset   length  type  crc")
  local pos, n, bad = 9, 0, 0
  while pos <= #m do
    if pos + 11 > #m then
      print(("%8d  truncated chunk header"):format(pos - 1))
      return false
    end
    local len, kind = m:unpack(">I4c4", pos)
    local data = pos + 8
    if len > #m - data - 3 then
      print(("%8d %8d  %s  truncated: the chunk runs past the end"):format(
        pos - 1, len, kind))
      return false
    end
    local stored = m:unpack(">I4", data + len)
    -- PNG's CRC is zlib's CRC-32, over the type and the data, in place
    local computed = m:crc32(pos + 4, data + len - 1)
    local ok = stored == computed
    if not ok then bad = bad + 1 end
    local line = ("%8d %8d  %s  %s  %s"):format(pos - 1, len, kind,
      ok and "ok " or ("BAD (stored %08x, computed %08x)"):format(stored, computed),
      describe(m, kind, data, len))
    print((line:gsub("%s+$", "")))
    n = n + 1
    pos = data + len + 4
    if kind == "IEND" then break end
  end
  if pos <= #m then print(("  %d bytes after IEND"):format(#m - pos + 1)) end
  print(("%d chunks, %s"):format(n, bad == 0 and "all CRCs ok"
                                  or bad .. " bad CRC" .. (bad > 1 and "s" or "")))
  return bad == 0
end

local ok = true
for i, m in ipairs {...} do
  if i > 1 then print() end
  ok = list(m, arg.files[i]) and ok
end
return ok and 0 or 1
