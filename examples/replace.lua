-- replace.lua: same-length binary search-and-replace, in place.
--
--   mapbuf -w examples/replace.lua file [...] -- FROM TO
--
-- FROM and TO are byte strings of the same length, with escapes \xHH, \n,
-- \r, \t, \0 and \\ for the bytes a shell cannot type.  Every occurrence,
-- left to right and not overlapping (as Python's bytes.replace), is
-- overwritten.  Without -w nothing is written: the occurrences are only
-- counted.  Prints the count for each file; exit status 0.

local ESC = {n = "\n", r = "\r", t = "\t", ["0"] = "\0", ["\\"] = "\\"}

local function unescape(s)
  local out, i = {}, 1
  while i <= #s do
    local c = s:sub(i, i)
    if c ~= "\\" then
      out[#out + 1] = c
      i = i + 1
    else
      local e = s:sub(i + 1, i + 1)
      if e == "x" and s:find("^%x%x", i + 2) then
        out[#out + 1] = string.char(tonumber(s:sub(i + 2, i + 3), 16))
        i = i + 4
      elseif ESC[e] then
        out[#out + 1] = ESC[e]
        i = i + 2
      else
        error(("bad escape '%s' (use \\xHH, \\n, \\r, \\t, \\0 or \\\\)")
              :format(s:sub(i, i + 1)), 0)
      end
    end
  end
  return table.concat(out)
end

local from, to = arg[1], arg[2]
if not from or not to or arg[3] then
  error("usage: mapbuf -w examples/replace.lua file ... -- FROM TO", 0)
end
from, to = unescape(from), unescape(to)
if #from == 0 then error("FROM is empty", 0) end
if #from ~= #to then
  error(("FROM and TO differ in length (%d and %d bytes)"):format(#from, #to), 0)
end

local writable = not tostring((...) or ""):find("access=read", 1, true)

for i, m in ipairs {...} do
  local count, pos = 0, 1
  while true do
    local s, e = m:find(from, pos, true)
    if not s then break end
    if writable then m:set(s, to) end
    count = count + 1
    pos = e + 1
  end
  print(("%s: %d %s"):format(arg.files[i], count,
    writable and "replaced" or "found (map with -w to replace)"))
end
