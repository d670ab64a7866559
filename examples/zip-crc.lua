-- zip-crc.lua: list the entries of a zip file and check the CRC-32 of
-- every stored (uncompressed) one, in place, without unpacking anything.
--
--   mapbuf examples/zip-crc.lua archive.zip [...]
--
-- The central directory says where each entry's local header lies, its
-- method, sizes and CRC; a stored entry's data is its bytes, so m:crc32
-- over them (zlib's CRC-32, in C) must give the CRC the directory states.
-- Compressed entries are listed, not checked (their CRC is of the
-- uncompressed bytes).  Exit status 0 when every stored CRC matches.
-- Python:  zlib.crc32(mm[start:start + size]) == info.CRC

local function eocd(m)
  -- the end of central directory record: its signature, searched from the
  -- end (a comment of up to 65535 bytes may follow it)
  local s = m:rfind("PK\5\6", math.max(1, #m - 65535 - 21))
  if not s or s + 21 > #m then return nil end
  local entries, size, offset = m:unpack("<I2I4I4", s + 10)
  return entries, offset + 1, size
end

local function check(m, name)
  local n, pos = eocd(m)
  if not n then
    io.stderr:write(name, ": not a zip file (no end of central directory)\n")
    return false
  end
  print(name)
  local bad, stored = 0, 0
  for _ = 1, n do
    if m:sub(pos, pos + 3) ~= "PK\1\2" then
      io.stderr:write(name, ": broken central directory\n")
      return false
    end
    local method, _, _, crc, csize, usize, nlen, xlen, clen =
      m:unpack("<I2I2I2I4I4I4I2I2I2", pos + 10)
    local lho = m:unpack("<I4", pos + 42) + 1
    local fname = m:sub(pos + 46, pos + 45 + nlen)
    pos = pos + 46 + nlen + xlen + clen
    local verdict
    if method == 0 then
      stored = stored + 1
      local lnlen, lxlen = m:unpack("<I2I2", lho + 26)
      local data = lho + 30 + lnlen + lxlen
      if data + usize - 1 > #m then
        verdict = "cut short"
        bad = bad + 1
      else
        local got = m:crc32(data, data + usize - 1)
        verdict = got == crc and "ok" or ("BAD (stored %08x, computed %08x)"):format(crc, got)
        if got ~= crc then bad = bad + 1 end
      end
    else
      verdict = ("method %d, not checked"):format(method)
    end
    print(("  %10d %10d  %08x  %-28s %s"):format(usize, csize, crc, fname, verdict))
  end
  print(("%d entries, %d stored, %s"):format(n, stored,
        bad == 0 and "all stored CRCs ok" or bad .. " bad"))
  return bad == 0
end

local ok = true
for i, m in ipairs {...} do ok = check(m, arg.files[i]) and ok end
return ok and 0 or 1
