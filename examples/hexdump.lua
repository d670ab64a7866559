-- hexdump.lua: print a file as `hexdump -C` does, byte for byte: offset,
-- sixteen bytes in hex in two groups of eight, the printable ones between
-- bars; a run of lines equal to the one before it shown as a single '*';
-- the length of the file on the last line.
--
--   mapbuf examples/hexdump.lua file
--   mapbuf -P examples/hexdump.lua big.bin > dump.txt   (with a progress bar)

local m = ...
assert(m, "usage: mapbuf examples/hexdump.lua file")

local HALF = ("%02x "):rep(8)
local FULL = HALF .. " " .. HALF      -- 16 bytes: 49 characters

local out, n = {}, 0
local function emit(s)
  n = n + 1
  out[n] = s
  if n == 4096 then io.write(table.concat(out, "\n", 1, n), "\n"); n = 0 end
end

local len, prev, starred = #m, nil, false
m:seek("set", 0)
for off = 0, len - 1, 16 do
  local line = m:read(16)             -- the cursor is what -P follows
  if line == prev then                -- only whole lines can be equal
    if not starred then emit("*"); starred = true end
  else
    starred = false
    prev = line
    local hex
    if #line == 16 then
      hex = FULL:format(line:byte(1, 16))
    else
      local h = {}
      for i = 1, #line do h[i] = ("%02x "):format(line:byte(i)) end
      hex = table.concat(h, "", 1, math.min(8, #line))
            .. (#line > 8 and " " .. table.concat(h, "", 9) or "")
    end
    emit(("%08x  %-49s |%s|"):format(off, hex, (line:gsub("[^\32-\126]", "."))))
  end
end
if len > 0 then emit(("%08x"):format(len)) end
if n > 0 then io.write(table.concat(out, "\n", 1, n), "\n") end
